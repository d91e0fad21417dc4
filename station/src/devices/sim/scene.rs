//! A simulated camera's scene: a numbered sequence of JPEG pictures (`scene/%04d.jpg`), one a
//! second, shown in a loop, so the demo and the tests record something with faces in it.

use std::path::PathBuf;
use std::time::Instant;

use crate::devices::convert::{fit, jpeg_to_rgb};
use crate::devices::Frame;

/// The pictures of a scene and when the camera started showing them.
#[derive(Debug)]
pub struct Scene {
    /// The board file's pattern (one `%d` or `%0Nd`).
    pub pattern: String,
    files: Vec<PathBuf>,
    opened: Instant,
}

/// The file name for picture `index` of `pattern` (`%d`, or `%0Nd` zero-padded to N digits).
pub fn nth(pattern: &str, index: usize) -> String {
    let Some((before, after)) = pattern.split_once('%') else {
        return pattern.to_owned();
    };
    let (width, rest) = match after.strip_prefix('0') {
        Some(r) => (
            r.chars().next().and_then(|c| c.to_digit(10)).unwrap_or(0) as usize,
            &r[1..],
        ),
        None => (0, after),
    };
    let rest = rest.strip_prefix('d').unwrap_or(rest);
    format!("{before}{index:0width$}{rest}")
}

impl Scene {
    /// The scene of `pattern`: its pictures from number 0 up to the first one missing.
    pub fn open(pattern: &str) -> Result<Scene, String> {
        let files: Vec<PathBuf> = (0..)
            .map(|i| PathBuf::from(nth(pattern, i)))
            .take_while(|p| p.is_file())
            .collect();
        if files.is_empty() {
            return Err(format!(
                "camera scene {pattern}: no picture {} (the sequence starts at 0)",
                nth(pattern, 0)
            ));
        }
        Ok(Scene {
            pattern: pattern.to_owned(),
            files,
            opened: Instant::now(),
        })
    }

    /// How many pictures (seconds) the scene has.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the scene has no picture (never: [`Scene::open`] refuses that).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The picture on show now (one a second since the camera opened), at `width` x `height`.
    pub fn now(&self, width: u32, height: u32) -> Result<Frame, String> {
        let i = self.opened.elapsed().as_secs() as usize % self.files.len();
        let path = &self.files[i];
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let frame = jpeg_to_rgb(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(fit(frame, width, height))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names() {
        assert_eq!(nth("s/%04d.jpg", 7), "s/0007.jpg");
        assert_eq!(nth("s/%d.jpg", 12), "s/12.jpg");
        assert_eq!(nth("s/f%09d.jpeg", 3), "s/f000000003.jpeg");
    }

    #[test]
    fn a_scene_is_its_pictures_from_zero_and_shows_them_fitted() {
        let dir = tempfile::tempdir().unwrap();
        let pattern = dir.path().join("%02d.jpg").to_string_lossy().into_owned();
        let e = Scene::open(&pattern).unwrap_err();
        assert!(e.contains("00.jpg"), "{e}");
        let mut jpeg = Vec::new();
        jpeg_encoder::Encoder::new(&mut jpeg, 90)
            .encode(&[200; 8 * 8 * 3], 8, 8, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        for i in [0, 1, 3] {
            std::fs::write(nth(&pattern, i), &jpeg).unwrap();
        }
        let s = Scene::open(&pattern).unwrap();
        assert_eq!(s.len(), 2, "stops at the first missing number");
        let f = s.now(16, 12).unwrap();
        assert_eq!((f.width, f.height), (16, 12));
        assert!(f.rgb.iter().all(|&v| v.abs_diff(200) < 4));
    }
}
