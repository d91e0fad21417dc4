//! Finding faces in grey pictures: [`Seeta`], the SeetaFace frontal detector (`rustface`, pure
//! Rust) with its model compiled in, behind the [`Detector`] trait.
//!
//! Two users: the station's identity check (`station::face`, which decides over several frames
//! whether the student may go on) and the institution's review (`review::camera`, which samples
//! a recorded camera stream). Nothing here keeps a picture.

mod seeta;

pub use seeta::Seeta;

/// A face found in a picture, in the picture's pixels.
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
    /// The luma of an RGB picture (`width * height * 3` bytes), shrunk by a whole factor
    /// (averaging blocks) until it is at most `max_width` wide: detection time grows with the
    /// pixels, and a face filling a fair part of the picture is still many pixels wide at 320.
    pub fn of_rgb(width: u32, height: u32, rgb: &[u8], max_width: u32) -> Gray {
        let f = width.div_ceil(max_width.max(1)).max(1);
        let (w, h) = (width / f, height / f);
        let mut luma = Vec::with_capacity((w * h) as usize);
        for by in 0..h {
            for bx in 0..w {
                let mut sum = 0u32;
                for y in by * f..(by + 1) * f {
                    for x in bx * f..(bx + 1) * f {
                        let i = ((y * width + x) * 3) as usize;
                        let p = &rgb[i..i + 3];
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

    /// Standard deviation of the luma: how much the picture varies (a covered lens or a dark
    /// room is nearly flat).
    pub fn spread(&self) -> f64 {
        if self.luma.is_empty() {
            return 0.0;
        }
        let n = self.luma.len() as f64;
        let (s, s2) = self.luma.iter().fold((0f64, 0f64), |(s, s2), &v| {
            let v = f64::from(v);
            (s + v, s2 + v * v)
        });
        let mean = s / n;
        (s2 / n - mean * mean).max(0.0).sqrt()
    }
}

/// Finds faces in a grey picture.
pub trait Detector {
    /// The faces in `gray`, in its pixels.
    fn faces(&mut self, gray: &Gray) -> Vec<FaceBox>;
}

/// Width of the picture detectors are given.
pub const DETECT_WIDTH: u32 = 320;

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
        let g = Gray::of_rgb(640, 480, &rgb, 320);
        assert_eq!((g.width, g.height), (320, 240));
        assert!(g.luma.iter().all(|&v| v == 127), "{:?}", &g.luma[..4]);
        assert_eq!(g.mean(), 127);
        assert!(g.spread() < 0.5);
        let small = Gray::of_rgb(200, 100, &vec![10; 200 * 100 * 3], 320);
        assert_eq!((small.width, small.height, small.mean()), (200, 100, 10));
    }

    #[test]
    fn spread_of_half_black_half_white_is_half_the_range() {
        let luma = [0u8, 255].repeat(50);
        let g = Gray {
            width: 10,
            height: 10,
            luma,
        };
        assert!((g.spread() - 127.5).abs() < 0.01, "{}", g.spread());
    }
}
