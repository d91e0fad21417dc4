//! Face guidance at the identity check: a face detector on the station ([`Seeta`], the SeetaFace
//! model compiled in) finds the faces in each camera frame, and a [`Guide`] decides over several
//! frames: exactly one face, large enough, lit enough, or what to tell the student ("move
//! closer", "too dark", "only one person"). It never decides alone: after a few failed tries
//! the proctor may go on with the PIN, so a detector cannot lock a student out.
//!
//! Nothing here is a device: it reads frames the camera gave and keeps nothing.

mod guide;

pub use faces::{Detector, FaceBox, Gray, Seeta, DETECT_WIDTH};
pub use guide::{advise, Advice, Guide, Look, Seen, TryResult, NEED, OFFER_AFTER, PER_TRY};

use crate::devices::Frame;

/// What `detector` sees in `frame`: its faces (in the frame's pixels) and how bright it is.
pub fn look(detector: &mut dyn Detector, frame: &Frame) -> Look {
    let gray = Gray::of_rgb(frame.width, frame.height, &frame.rgb, DETECT_WIDTH);
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
