//! The SeetaFace frontal detector (`rustface`, pure Rust) with its model compiled in.

use crate::{Detector, FaceBox, Gray};

/// The model file, from the `rustface` crate (see faces/assets/README.md).
const MODEL: &[u8] = include_bytes!("../assets/seeta_fd_frontal_v1.0.bin");

/// Smallest face the detector looks for, in the grey picture's pixels (the model's floor is
/// 20): a face this small is found, so the student is told to move closer rather than that no
/// face is there.
const MIN_FACE: u32 = 24;

/// Detections below this score are dropped (rustface's example uses 2.0).
const SCORE: f64 = 2.0;

/// The SeetaFace detector.
pub struct Seeta {
    inner: Box<dyn rustface::Detector>,
}

impl Seeta {
    /// The detector with the compiled-in model.
    pub fn new() -> Result<Seeta, String> {
        let model = rustface::read_model(std::io::Cursor::new(MODEL))
            .map_err(|e| format!("face model (compiled in): {e}"))?;
        let mut inner = rustface::create_detector_with_model(model);
        inner.set_min_face_size(MIN_FACE);
        inner.set_score_thresh(SCORE);
        inner.set_pyramid_scale_factor(0.8);
        inner.set_slide_window_step(4, 4);
        Ok(Seeta { inner })
    }
}

impl Detector for Seeta {
    fn faces(&mut self, gray: &Gray) -> Vec<FaceBox> {
        if gray.width < MIN_FACE || gray.height < MIN_FACE {
            return Vec::new();
        }
        let image = rustface::ImageData::new(&gray.luma, gray.width, gray.height);
        self.inner
            .detect(&image)
            .into_iter()
            .map(|f| {
                let b = f.bbox();
                let x = b.x().max(0) as u32;
                let y = b.y().max(0) as u32;
                FaceBox {
                    x,
                    y,
                    w: b.width().min(gray.width.saturating_sub(x)),
                    h: b.height().min(gray.height.saturating_sub(y)),
                    score: f.score(),
                }
            })
            .collect()
    }
}
