//! Face guidance at the identity check: a face detector on the station ([`Seeta`], the SeetaFace
//! model compiled in) finds the faces in each camera frame, and a [`Guide`] decides over several
//! frames: exactly one face, large enough, lit enough, or what to tell the student ("move
//! closer", "too dark", "only one person"). It never decides alone: after a few failed tries
//! the proctor may go on with the PIN, so a detector cannot lock a student out.
//!
//! Nothing here is a device: it reads frames the camera gave and keeps nothing.

mod guide;
mod seeta;

pub use guide::{advise, Advice, Guide, Look, Seen, TryResult, NEED, OFFER_AFTER, PER_TRY};
pub use seeta::Seeta;

use crate::devices::Frame;

/// A face found in a frame, in the frame's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
    /// The detector's confidence (higher is surer).
    pub score: f64,
}

/// A grey picture (one byte of luma per pixel), as detectors read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Gray {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Luma, row by row.
    pub luma: Vec<u8>,
}

impl Gray {
    /// The luma of `frame`, shrunk by a whole factor (averaging blocks) until it is at most
    /// `max_width` wide: detection time grows with the pixels, and a face filling a fair part
    /// of the picture is still many pixels wide at 320.
    pub fn of(frame: &Frame, max_width: u32) -> Gray {
        let f = frame.width.div_ceil(max_width.max(1)).max(1);
        let (w, h) = (frame.width / f, frame.height / f);
        let mut luma = Vec::with_capacity((w * h) as usize);
        for by in 0..h {
            for bx in 0..w {
                let mut sum = 0u32;
                for y in by * f..(by + 1) * f {
                    for x in bx * f..(bx + 1) * f {
                        let i = ((y * frame.width + x) * 3) as usize;
                        let p = &frame.rgb[i..i + 3];
                        sum +=
                            (77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2]))
                                >> 8;
                    }
                }
                luma.push((sum / (f * f)) as u8);
            }
        }
        Gray {
            width: w,
            height: h,
            luma,
        }
    }

    /// Mean luma, 0 (black) to 255 (white).
    pub fn mean(&self) -> u8 {
        if self.luma.is_empty() {
            return 0;
        }
        let sum: u64 = self.luma.iter().map(|&v| u64::from(v)).sum();
        (sum / self.luma.len() as u64) as u8
    }
}

/// Finds faces in a grey picture.
pub trait Detector {
    /// The faces in `gray`, in its pixels.
    fn faces(&mut self, gray: &Gray) -> Vec<FaceBox>;
}

/// Width of the picture detectors are given.
pub const DETECT_WIDTH: u32 = 320;

/// What `detector` sees in `frame`: its faces (in the frame's pixels) and how bright it is.
pub fn look(detector: &mut dyn Detector, frame: &Frame) -> Look {
    let gray = Gray::of(frame, DETECT_WIDTH);
    let (fx, fy) = (
        f64::from(frame.width) / f64::from(gray.width.max(1)),
        f64::from(frame.height) / f64::from(gray.height.max(1)),
    );
    let faces = detector
        .faces(&gray)
        .into_iter()
        .map(|b| FaceBox {
            x: (f64::from(b.x) * fx) as u32,
            y: (f64::from(b.y) * fy) as u32,
            w: (f64::from(b.w) * fx) as u32,
            h: (f64::from(b.h) * fy) as u32,
            score: b.score,
        })
        .collect();
    Look {
        faces,
        width: frame.width,
        height: frame.height,
        luma: gray.mean(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_shrinks_by_whole_factors_and_averages() {
        let mut rgb = Vec::new();
        for i in 0..(640 * 480) {
            let v = if i % 2 == 0 { 255 } else { 0 };
            rgb.extend([v, v, v]);
        }
        let g = Gray::of(
            &Frame {
                width: 640,
                height: 480,
                rgb,
            },
            320,
        );
        assert_eq!((g.width, g.height), (320, 240));
        assert!(g.luma.iter().all(|&v| v == 127), "{:?}", &g.luma[..4]);
        assert_eq!(g.mean(), 127);
        let small = Gray::of(
            &Frame {
                width: 200,
                height: 100,
                rgb: vec![10; 200 * 100 * 3],
            },
            320,
        );
        assert_eq!((small.width, small.height, small.mean()), (200, 100, 10));
    }
}
