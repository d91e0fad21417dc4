//! The camera stream, sampled: once a second a picture, how bright and how varied it is, and
//! how many faces the detector finds, or that it could not tell (too dark or too flat to judge).
//! Detection runs on every core; the order of samples is kept.

use std::path::Path;
use std::sync::mpsc;

use faces::{Detector, Gray, Seeta, DETECT_WIDTH};

use crate::Error;

/// Samples per second.
pub const SAMPLE_HZ: u32 = 1;
/// Width and height of a sample (the detector's picture, and the evidence stills).
pub const SAMPLE_W: u32 = 320;
/// See [`SAMPLE_W`].
pub const SAMPLE_H: u32 = 240;
/// Below this mean luma (0-255) a picture is too dark to judge faces in.
pub const JUDGE_MIN_LUMA: u8 = 45;
/// Below this luma spread (standard deviation) a picture is too flat to judge faces in.
pub const JUDGE_MIN_SPREAD: f64 = 18.0;

/// One sample of the camera.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Exam time, seconds.
    pub t: f64,
    /// Mean luma.
    pub luma: u8,
    /// Luma spread (standard deviation).
    pub spread: f64,
    /// Faces found, or `None`: could not tell (see [`judgeable`]).
    pub faces: Option<u8>,
    /// The sample as a JPEG (evidence).
    pub jpeg: Vec<u8>,
}

/// Whether faces can be judged in a picture this bright and this varied.
pub fn judgeable(luma: u8, spread: f64) -> bool {
    luma >= JUDGE_MIN_LUMA && spread >= JUDGE_MIN_SPREAD
}

/// What the detector makes of one grey picture: faces, or `None` when it cannot be judged.
pub fn judge(detector: &mut dyn Detector, gray: &Gray) -> Option<u8> {
    if !judgeable(gray.mean(), gray.spread()) {
        return None;
    }
    Some(detector.faces(gray).len().min(255) as u8)
}

/// A picture's luma, brightness, spread, faces and JPEG.
fn sample(detector: &mut dyn Detector, t: f64, rgb: &[u8]) -> Sample {
    let gray = Gray::of_rgb(SAMPLE_W, SAMPLE_H, rgb, DETECT_WIDTH);
    let mut jpeg = Vec::new();
    let _ = jpeg_encoder::Encoder::new(&mut jpeg, 80).encode(
        rgb,
        SAMPLE_W as u16,
        SAMPLE_H as u16,
        jpeg_encoder::ColorType::Rgb,
    );
    Sample {
        t,
        luma: gray.mean(),
        spread: gray.spread(),
        faces: judge(detector, &gray),
        jpeg,
    }
}

/// The RGB picture of a JPEG file (an identity still) at the samples' size.
pub fn still(file: &Path) -> Result<Vec<u8>, Error> {
    let chain = format!(
        "jpegdec ! videoscale ! videoconvert ! video/x-raw,format=RGB,width={SAMPLE_W},height={SAMPLE_H},pixel-aspect-ratio=1/1"
    );
    let mut rgb = Vec::new();
    crate::media::each_buffer(file, &chain, |_, b| rgb = b.to_vec())?;
    if rgb.len() != (SAMPLE_W * SAMPLE_H * 3) as usize {
        return Err(Error::media(file, "not a picture"));
    }
    Ok(rgb)
}

/// Faces the detector finds in an identity still (`None`: too dark or flat to tell).
pub fn faces_in_still(file: &Path) -> Result<Option<u8>, Error> {
    let rgb = still(file)?;
    let mut detector = Seeta::new().map_err(|e| Error::media(file, e))?;
    Ok(judge(
        &mut detector,
        &Gray::of_rgb(SAMPLE_W, SAMPLE_H, &rgb, DETECT_WIDTH),
    ))
}

/// Samples `file` (an opened `camera.mkv`), [`SAMPLE_HZ`] a second, on `workers` threads.
pub fn analyse(file: &Path, workers: usize) -> Result<Vec<Sample>, Error> {
    let chain = format!(
        "matroskademux ! decodebin ! videorate drop-only=true ! video/x-raw,framerate={SAMPLE_HZ}/1 ! videoscale ! videoconvert ! video/x-raw,format=RGB,width={SAMPLE_W},height={SAMPLE_H},pixel-aspect-ratio=1/1"
    );
    let workers = workers.max(1);
    let (done_tx, done_rx) = mpsc::channel::<(usize, Sample)>();
    let mut senders = Vec::new();
    let mut threads = Vec::new();
    // The model is compiled in: if it loads here, it loads in every worker.
    Seeta::new().map_err(|e| Error::media(file, e))?;
    for _ in 0..workers {
        let (tx, rx) = mpsc::sync_channel::<(usize, f64, Vec<u8>)>(4);
        let done = done_tx.clone();
        threads.push(std::thread::spawn(move || {
            let Ok(mut detector) = Seeta::new() else {
                return;
            };
            for (i, t, rgb) in rx {
                let _ = done.send((i, sample(&mut detector, t, &rgb)));
            }
        }));
        senders.push(tx);
    }
    drop(done_tx);
    let mut n = 0usize;
    let decoded = crate::media::each_buffer(file, &chain, |t, rgb| {
        if rgb.len() == (SAMPLE_W * SAMPLE_H * 3) as usize {
            let _ = senders[n % workers].send((n, t, rgb.to_vec()));
            n += 1;
        }
    });
    drop(senders);
    for t in threads {
        let _ = t.join();
    }
    decoded?;
    let mut samples: Vec<(usize, Sample)> = done_rx.into_iter().collect();
    samples.sort_by_key(|(i, _)| *i);
    Ok(samples.into_iter().map(|(_, s)| s).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Always(usize);
    impl Detector for Always {
        fn faces(&mut self, _: &Gray) -> Vec<faces::FaceBox> {
            vec![
                faces::FaceBox {
                    x: 0,
                    y: 0,
                    w: 1,
                    h: 1,
                    score: 1.0
                };
                self.0
            ]
        }
    }

    #[test]
    fn a_dark_or_flat_picture_cannot_be_judged() {
        let gray = |luma: Vec<u8>| Gray {
            width: 10,
            height: 10,
            luma,
        };
        let varied: Vec<u8> = (0..100)
            .map(|i| if i % 2 == 0 { 40 } else { 160 })
            .collect();
        assert_eq!(judge(&mut Always(1), &gray(varied)), Some(1));
        let dark: Vec<u8> = (0..100).map(|i| if i % 2 == 0 { 0 } else { 60 }).collect();
        assert_eq!(judge(&mut Always(1), &gray(dark)), None, "mean 30");
        assert_eq!(judge(&mut Always(0), &gray(vec![120; 100])), None, "flat");
    }
}
