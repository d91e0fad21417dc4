//! The flag card: each detector's false-positive and false-negative rates on a labelled set
//! made from pictures that ship in a Debian package (scikit-image's sample images: the
//! astronaut and the cameraman have a face, nineteen others none), framed as a webcam would
//! (several crops, mirrored), two faces side by side, and a dim copy of each; the dark-camera
//! detector on covered lenses; the voice-activity detector on speech from espeak-ng over a
//! quiet room against the room alone and a steady hum.

pub mod pictures;
pub mod sound;

use review::camera::{self, SAMPLE_H, SAMPLE_W};

/// What is in a picture.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Label {
    /// Nobody.
    None,
    /// One face.
    One,
    /// Two faces.
    Two,
}

/// A labelled picture at the samples' size.
pub struct Item {
    /// What is in it.
    pub label: Label,
    /// Where it came from.
    pub name: String,
    /// RGB, SAMPLE_W x SAMPLE_H.
    pub rgb: Vec<u8>,
}

/// A count and how many of it were wrong.
#[derive(Default, Clone, Copy)]
pub struct Rate {
    /// Wrong.
    pub wrong: u32,
    /// Of.
    pub of: u32,
}

impl Rate {
    /// Counts one case.
    pub fn add(&mut self, wrong: bool) {
        self.of += 1;
        self.wrong += u32::from(wrong);
    }
    /// As "12.5% (2 of 16)".
    pub fn show(&self) -> String {
        if self.of == 0 {
            return "n/a (0 judged)".into();
        }
        format!(
            "{:.1}% ({} of {})",
            100.0 * f64::from(self.wrong) / f64::from(self.of),
            self.wrong,
            self.of
        )
    }
}

/// The face detector's rates on one set (bright or dim).
#[derive(Default, Clone)]
pub struct FaceRates {
    /// "No face" said where there is a face.
    pub no_face_fp: Rate,
    /// A face said where there is none ("no face" missed).
    pub no_face_fn: Rate,
    /// "More than one face" said where there are fewer.
    pub multi_fp: Rate,
    /// Fewer than two said where there are two.
    pub multi_fn: Rate,
    /// Samples the review could not judge (too dark or flat).
    pub could_not_tell: Rate,
    /// The pictures it got wrong, and what it said.
    pub wrong: Vec<String>,
}

/// Rates over `items` of the review's judgement (`raw`: the detector alone, judging every
/// sample); a sample the review could not judge raises nothing, so it is neither a false
/// positive nor a false negative, and is counted apart.
pub fn face_rates(items: &[Item], raw: bool) -> FaceRates {
    let mut detector = faces::Seeta::new().unwrap();
    let mut r = FaceRates::default();
    for it in items {
        let gray = faces::Gray::of_rgb(SAMPLE_W, SAMPLE_H, &it.rgb, faces::DETECT_WIDTH);
        let n = if raw {
            use faces::Detector;
            Some(detector.faces(&gray).len() as u8)
        } else {
            camera::judge(&mut detector, &gray)
        };
        r.could_not_tell.add(n.is_none());
        let Some(n) = n else { continue };
        let right = match it.label {
            Label::None => n == 0,
            Label::One => n == 1,
            Label::Two => n == 2,
        };
        if !right {
            r.wrong.push(format!("{} ({n} found)", it.name));
        }
        match it.label {
            Label::None => {
                r.no_face_fn.add(n >= 1);
                r.multi_fp.add(n >= 2);
            }
            Label::One => {
                r.no_face_fp.add(n == 0);
                r.multi_fp.add(n >= 2);
            }
            Label::Two => {
                r.no_face_fp.add(n == 0);
                r.multi_fn.add(n < 2);
            }
        }
    }
    r
}

/// The dark-camera detector's rates: covered lenses should read dark, every bright picture
/// not; the threshold is the review's, from the bright set's median as the baseline.
pub fn dark_rates(bright: &[Item], covered: &[Item]) -> (Rate, Rate, f64) {
    let luma =
        |it: &Item| f64::from(faces::Gray::of_rgb(SAMPLE_W, SAMPLE_H, &it.rgb, SAMPLE_W).mean());
    let mut lumas: Vec<f64> = bright.iter().map(luma).collect();
    lumas.sort_by(f64::total_cmp);
    let baseline = lumas[lumas.len() / 2];
    let threshold = (baseline * review::analyse::DARK_SHARE).min(review::analyse::DARK_LUMA);
    let (mut fp, mut missed) = (Rate::default(), Rate::default());
    for it in bright {
        fp.add(luma(it) < threshold);
    }
    for it in covered {
        missed.add(luma(it) >= threshold);
    }
    (fp, missed, threshold)
}
