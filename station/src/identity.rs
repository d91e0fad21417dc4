//! Identity stills: the photo ID held to the camera and a few face frames, JPEG-encoded in
//! memory and sealed straight into the exam's `identity/` folder (never in clear on disk).

use bundle::event::{text, Event, Still};

use crate::devices::Frame;
use crate::exam::ExamError;
use crate::session::Capture;

/// JPEG quality of identity stills.
const QUALITY: u8 = 85;

/// Encodes an RGB frame as JPEG.
pub fn jpeg(frame: &Frame) -> Result<Vec<u8>, ExamError> {
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, QUALITY);
    let (w, h) = (u16::try_from(frame.width), u16::try_from(frame.height));
    let (Ok(w), Ok(h)) = (w, h) else {
        return Err(ExamError::Recorder(format!(
            "still {}x{} too large for JPEG",
            frame.width, frame.height
        )));
    };
    enc.encode(&frame.rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| ExamError::Recorder(format!("JPEG: {e}")))?;
    Ok(out)
}

/// Seals `frame` (a picture the camera gave under `grant`, e.g. the one the student saw on
/// screen) as the still `identity/<name>.jpg.sealed` of `kind`, and journals it.
pub fn seal(grant: &Capture<'_>, frame: &Frame, kind: Still, name: &str) -> Result<(), ExamError> {
    let exam = grant.exam().ok_or_else(|| {
        ExamError::Recorder("identity stills need an exam in the Identity state".into())
    })?;
    let file = format!("identity/{name}.jpg.sealed");
    let mut w = exam.create_sealed(&file)?;
    w.append(&jpeg(frame)?)?;
    w.finish()?;
    exam.record_sync(Event::StillCaptured {
        kind,
        file: text(&file),
        width: frame.width,
        height: frame.height,
    })?;
    Ok(())
}
