//! Deciding over several frames: a face scan passes after a few frames in a row with exactly
//! one face, large enough and lit enough; a try fails after a run of frames that never got
//! there; after a few failed tries the proctor is offered to go on with the PIN.
//!
//! Pure logic, fed with what a detector saw ([`Look`]): the tests drive it with real pictures
//! through the real detector and with made-up looks.

use std::collections::VecDeque;

use super::FaceBox;

/// What a detector saw in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    /// The faces found, in the frame's pixels.
    pub faces: Vec<FaceBox>,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Mean luma, 0 to 255.
    pub luma: u8,
}

/// What the student is told about one frame (or a few).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// Exactly one face, large and lit enough: hold still.
    Good,
    /// No face found.
    NoFace,
    /// More than one face.
    OnlyOne,
    /// One face, too small in the picture.
    MoveCloser,
    /// The picture is too dark to see a face.
    TooDark,
}

/// Mean luma below which a frame is too dark (of 255).
pub const DARK: u8 = 40;

/// A face narrower than this share of the frame's width is too far away (1/N).
pub const SMALL: u32 = 6;

/// The advice for one frame.
pub fn advise(look: &Look) -> Advice {
    if look.luma < DARK {
        return Advice::TooDark;
    }
    match look.faces.as_slice() {
        [] => Advice::NoFace,
        [one] if one.w * SMALL < look.width => Advice::MoveCloser,
        [_] => Advice::Good,
        _ => Advice::OnlyOne,
    }
}

/// How a try ended, as the journal's `FaceCheck` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryResult {
    /// Frames looked at in this try.
    pub frames: u16,
    /// Fewest faces in one frame.
    pub faces_min: u8,
    /// Most faces in one frame.
    pub faces_max: u8,
    /// Whether the scan passed.
    pub passed: bool,
}

/// What the guide makes of one more frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// What to tell the student now (the most frequent advice of the last few frames, so the
    /// message does not flicker with every frame).
    pub advice: Advice,
    /// Set when this frame ended a try (passed, or failed after a whole try).
    pub ended: Option<TryResult>,
}

/// Frames in a row with one good face that pass the scan.
pub const NEED: u16 = 3;

/// Frames in one try.
pub const PER_TRY: u16 = 6;

/// Failed tries after which the proctor may go on with the PIN.
pub const OFFER_AFTER: u16 = 2;

/// Frames the shown advice is taken from.
const SMOOTH: usize = 3;

/// Decides a face scan over several frames.
#[derive(Debug, Clone, Default)]
pub struct Guide {
    streak: u16,
    frames: u16,
    faces: Option<(u8, u8)>,
    failed: u16,
    recent: VecDeque<Advice>,
}

impl Guide {
    /// A guide at the start of its first try.
    pub fn new() -> Guide {
        Guide::default()
    }

    /// One more frame.
    pub fn see(&mut self, look: &Look) -> Seen {
        let advice = advise(look);
        let n = look.faces.len().min(u8::MAX.into()) as u8;
        self.faces = Some(self.faces.map_or((n, n), |(lo, hi)| (lo.min(n), hi.max(n))));
        self.frames = self.frames.saturating_add(1);
        self.streak = if advice == Advice::Good {
            self.streak + 1
        } else {
            0
        };
        self.recent.push_back(advice);
        if self.recent.len() > SMOOTH {
            self.recent.pop_front();
        }
        let passed = self.streak >= NEED;
        let ended = (passed || self.frames >= PER_TRY).then(|| self.end_try(passed));
        Seen {
            advice: if passed { Advice::Good } else { self.shown() },
            ended,
        }
    }

    fn end_try(&mut self, passed: bool) -> TryResult {
        let (lo, hi) = self.faces.take().unwrap_or((0, 0));
        let r = TryResult {
            frames: self.frames,
            faces_min: lo,
            faces_max: hi,
            passed,
        };
        if !passed {
            self.failed += 1;
        }
        self.frames = 0;
        self.streak = 0;
        r
    }

    /// The most frequent recent advice; on a tie, the latest.
    fn shown(&self) -> Advice {
        let count = |a: &Advice| self.recent.iter().filter(|b| *b == a).count();
        let mut best = *self.recent.back().unwrap_or(&Advice::NoFace);
        for a in self.recent.iter().rev() {
            if count(a) > count(&best) {
                best = *a;
            }
        }
        best
    }

    /// Tries that ended without a pass.
    pub fn failed_tries(&self) -> u16 {
        self.failed
    }

    /// Whether the proctor may go on with the PIN (after [`OFFER_AFTER`] failed tries).
    pub fn proctor_may_override(&self) -> bool {
        self.failed >= OFFER_AFTER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(w: u32) -> FaceBox {
        FaceBox {
            x: 100,
            y: 100,
            w,
            h: w,
            score: 5.0,
        }
    }

    fn look(faces: Vec<FaceBox>, luma: u8) -> Look {
        Look {
            faces,
            width: 640,
            height: 480,
            luma,
        }
    }

    #[test]
    fn each_frame_gets_its_advice() {
        assert_eq!(advise(&look(vec![face(200)], 120)), Advice::Good);
        assert_eq!(advise(&look(vec![], 120)), Advice::NoFace);
        assert_eq!(
            advise(&look(vec![face(200), face(150)], 120)),
            Advice::OnlyOne
        );
        assert_eq!(advise(&look(vec![face(60)], 120)), Advice::MoveCloser);
        assert_eq!(advise(&look(vec![face(200)], 20)), Advice::TooDark);
    }

    #[test]
    fn passes_after_three_good_frames_in_a_row() {
        let mut g = Guide::new();
        let good = look(vec![face(200)], 120);
        assert_eq!(g.see(&good).ended, None);
        assert_eq!(
            g.see(&look(vec![], 120)).ended,
            None,
            "a miss restarts the run"
        );
        assert_eq!(g.see(&good).ended, None);
        assert_eq!(g.see(&good).ended, None);
        let s = g.see(&good);
        assert_eq!(
            s.ended,
            Some(TryResult {
                frames: 5,
                faces_min: 0,
                faces_max: 1,
                passed: true
            })
        );
        assert_eq!(s.advice, Advice::Good);
        assert_eq!(g.failed_tries(), 0);
    }

    #[test]
    fn two_failed_tries_offer_the_proctor_override() {
        let mut g = Guide::new();
        let two = look(vec![face(200), face(180)], 120);
        for i in 1..=PER_TRY {
            let s = g.see(&two);
            assert_eq!(s.advice, Advice::OnlyOne);
            assert_eq!(s.ended.is_some(), i == PER_TRY, "frame {i}");
        }
        assert_eq!(g.failed_tries(), 1);
        assert!(!g.proctor_may_override());
        let dark = look(vec![], 10);
        let mut last = None;
        for _ in 0..PER_TRY {
            last = g.see(&dark).ended;
        }
        assert_eq!(
            last,
            Some(TryResult {
                frames: PER_TRY,
                faces_min: 0,
                faces_max: 0,
                passed: false
            })
        );
        assert!(g.proctor_may_override());
        // The student may still pass after the offer.
        let good = look(vec![face(200)], 120);
        g.see(&good);
        g.see(&good);
        assert!(g.see(&good).ended.is_some_and(|r| r.passed));
    }

    #[test]
    fn the_shown_advice_does_not_flicker() {
        let mut g = Guide::new();
        let small = look(vec![face(60)], 120);
        let none = look(vec![], 120);
        assert_eq!(g.see(&small).advice, Advice::MoveCloser);
        assert_eq!(g.see(&small).advice, Advice::MoveCloser);
        assert_eq!(
            g.see(&none).advice,
            Advice::MoveCloser,
            "one miss changes nothing"
        );
        assert_eq!(g.see(&none).advice, Advice::NoFace);
    }
}
