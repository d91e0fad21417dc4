//! Station screens drawn into a frame the display shows: the exam flow's screens, the privacy
//! notice, identity and status, and the badge over the kiosk.
//!
//! Plain pixels (text in DejaVu Sans rasterised by fontdue, or the 5x7 bitmap font where the
//! font file is missing, and filled rectangles), so the same screens work on a DRM dumb buffer,
//! in the simulated display and in tests, with no toolkit.

pub mod face;
pub mod font;
mod form;
mod notice;
mod overlay;
mod preview;
mod qr;
mod screens;

pub use form::{form, with_help, View};
pub use notice::{privacy_notice, Notice};
pub use overlay::overlay;
pub use preview::{preview, Framing, Preview};
pub use qr::qr_code;
pub use screens::{badge, check_in, scale, status, Theme};

use crate::devices::Frame;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// Drawing on a [`Frame`].
pub struct Canvas {
    /// The pixels drawn so far.
    pub frame: Frame,
    /// The typeface of its text.
    pub face: face::Face,
}

impl Canvas {
    /// A `width` x `height` canvas filled with `bg`, drawing text in the screens' typeface.
    pub fn new(width: u32, height: u32, bg: Rgb) -> Canvas {
        Self::with_face(width, height, bg, face::current())
    }

    /// A canvas drawing text in `face`.
    pub fn with_face(width: u32, height: u32, bg: Rgb, face: face::Face) -> Canvas {
        let rgb = bg
            .iter()
            .copied()
            .cycle()
            .take((width * height * 3) as usize)
            .collect();
        Canvas {
            frame: Frame { width, height, rgb },
            face,
        }
    }

    /// Fills a rectangle (clipped to the canvas).
    pub fn rect(&mut self, x: u32, y: u32, w: u32, h: u32, c: Rgb) {
        let (fw, fh) = (self.frame.width, self.frame.height);
        for yy in y.min(fh)..(y.saturating_add(h)).min(fh) {
            for xx in x.min(fw)..(x.saturating_add(w)).min(fw) {
                let i = ((yy * fw + xx) * 3) as usize;
                self.frame.rgb[i..i + 3].copy_from_slice(&c);
            }
        }
    }

    /// Mixes `c` into a `w` x `h` block at (x, y) by `cover` (0 to 255 a pixel, rows packed),
    /// clipped to the canvas: anti-aliased text.
    pub fn blend(&mut self, x: i64, y: i64, w: usize, h: usize, cover: &[u8], c: Rgb) {
        let (fw, fh) = (i64::from(self.frame.width), i64::from(self.frame.height));
        for row in 0..h {
            let yy = y + row as i64;
            if !(0..fh).contains(&yy) {
                continue;
            }
            for col in 0..w {
                let xx = x + col as i64;
                let a = u32::from(cover[row * w + col]);
                if a == 0 || !(0..fw).contains(&xx) {
                    continue;
                }
                let i = ((yy * fw + xx) * 3) as usize;
                for (k, ch) in c.iter().enumerate() {
                    let bg = u32::from(self.frame.rgb[i + k]);
                    self.frame.rgb[i + k] = ((u32::from(*ch) * a + bg * (255 - a)) / 255) as u8;
                }
            }
        }
    }

    /// Copies `src` with its top-left corner at (x, y) (clipped to the canvas).
    pub fn blit(&mut self, src: &Frame, x: u32, y: u32) {
        let fw = self.frame.width;
        let w = src.width.min(fw.saturating_sub(x)) as usize;
        for row in 0..src.height.min(self.frame.height.saturating_sub(y)) {
            let from = (row * src.width) as usize * 3;
            let to = ((y + row) * fw + x) as usize * 3;
            self.frame.rgb[to..to + w * 3].copy_from_slice(&src.rgb[from..from + w * 3]);
        }
    }

    /// Draws `text` with its top-left corner at (x, y), `9 * scale` pixels high. Returns the
    /// width drawn.
    pub fn text(&mut self, x: u32, y: u32, text: &str, scale: u32, c: Rgb) -> u32 {
        let face = self.face;
        face.draw(self, x, y, text, scale, c)
    }

    /// Width of `text` at `scale` in the screens' typeface.
    pub fn text_width(text: &str, scale: u32) -> u32 {
        face::current().width(text, scale)
    }

    /// `text` broken at spaces into lines at most `max_w` pixels wide at `scale` (a word longer
    /// than that is a line of its own, cut by the edge when drawn).
    pub fn wrap_lines(&self, text: &str, scale: u32, max_w: u32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if !current.is_empty() && self.face.width(&candidate, scale) > max_w {
                lines.push(std::mem::replace(&mut current, word.to_owned()));
            } else {
                current = candidate;
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        lines
    }

    /// Draws `text` from (x, y), broken at spaces into lines at most `max_w` wide, `line`
    /// pixels apart. Returns the row after it.
    #[allow(clippy::too_many_arguments)]
    pub fn wrapped(
        &mut self,
        x: u32,
        mut y: u32,
        text: &str,
        scale: u32,
        max_w: u32,
        c: Rgb,
        line: u32,
    ) -> u32 {
        for l in self.wrap_lines(text, scale, max_w) {
            self.text(x, y, &l, scale, c);
            y += line;
        }
        y
    }

    /// Draws `text` centred horizontally at row `y`.
    pub fn centered(&mut self, y: u32, text: &str, scale: u32, c: Rgb) {
        let w = self.face.width(text, scale);
        let x = self.frame.width.saturating_sub(w) / 2;
        self.text(x, y, text, scale, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(f: &Frame, x: u32, y: u32) -> Rgb {
        let i = ((y * f.width + x) * 3) as usize;
        [f.rgb[i], f.rgb[i + 1], f.rgb[i + 2]]
    }

    #[test]
    fn text_sets_exactly_the_glyph_pixels() {
        let mut c = Canvas::with_face(20, 10, [0, 0, 0], face::Face::Bitmap);
        let w = c.text(1, 1, "1", 1, [255, 255, 255]);
        assert_eq!(w, 6);
        // '1' row 0 is 0x04: only column 2 is set.
        assert_eq!(px(&c.frame, 3, 1), [255, 255, 255]);
        assert_eq!(px(&c.frame, 2, 1), [0, 0, 0]);
        // Row 6 is 0x0E: columns 1..=3.
        for x in 2..=4 {
            assert_eq!(px(&c.frame, x, 7), [255, 255, 255]);
        }
        let lit = c.frame.rgb.chunks(3).filter(|p| p[0] == 255).count();
        let want: u32 = font::glyph('1')
            .unwrap()
            .iter()
            .map(|r| r.count_ones())
            .sum();
        assert_eq!(lit as u32, want);
    }

    #[test]
    fn scaled_text_and_clipping() {
        let mut c = Canvas::with_face(8, 8, [0, 0, 0], face::Face::Bitmap);
        c.text(0, 0, "WW", 2, [9, 9, 9]);
        assert_eq!(c.frame.rgb.len(), 8 * 8 * 3);
        c.rect(6, 6, 100, 100, [1, 2, 3]);
        assert_eq!(px(&c.frame, 7, 7), [1, 2, 3]);
        assert_eq!(face::Face::Bitmap.width("abc", 2), 36);
    }

    #[test]
    fn wrapped_text_breaks_at_spaces_within_the_width() {
        let mut c = Canvas::with_face(60, 40, [0, 0, 0], face::Face::Bitmap);
        // 60 px at scale 1 holds 10 glyphs: "AAAA BBBB" (9), then "CCCCCC".
        let end = c.wrapped(0, 0, "AAAA BBBB  CCCCCC", 1, 60, [255, 255, 255], 10);
        assert_eq!(end, 20);
        let lit_in = |y0: u32, y1: u32, x0: u32| {
            (y0..y1).any(|y| (x0..60).any(|x| px(&c.frame, x, y) == [255, 255, 255]))
        };
        assert!(lit_in(0, 7, 30), "BBBB on the first line");
        assert!(lit_in(10, 17, 0), "CCCCCC on the second");
        assert!(!lit_in(10, 17, 36), "nothing past CCCCCC");
        assert!(!lit_in(20, 40, 0), "no third line");
    }

    #[test]
    fn the_outline_font_draws_anti_aliased_accented_text_where_it_is_installed() {
        let face = face::current();
        let face::Face::Outline(_) = face else {
            // Without fonts-dejavu-core the bitmap font stands in (tested above).
            return;
        };
        let mut c = Canvas::new(200, 40, [0, 0, 0]);
        let w = c.text(2, 2, "Numéro d'étudiant", 2, [255, 255, 255]);
        assert!(w > 100 && w < 198, "{w}");
        let grey = c
            .frame
            .rgb
            .chunks(3)
            .filter(|p| p[0] > 0 && p[0] < 255)
            .count();
        let white = c.frame.rgb.chunks(3).filter(|p| p[0] == 255).count();
        assert!(
            grey > 50 && white > 50,
            "anti-aliased: {grey} grey, {white} white"
        );
        // Nothing drawn below the line's height (9 px a scale step).
        assert!(c.frame.rgb[(2 + 20) * 200 * 3..].iter().all(|b| *b == 0));
        assert_eq!(
            Canvas::text_width("Numéro d'étudiant", 2),
            face.width("Numéro d'étudiant", 2)
        );
    }

    #[test]
    fn every_printable_glyph_fits_five_columns() {
        for c in ' '..='~' {
            if let Some(g) = font::glyph(c) {
                assert!(g.iter().all(|r| *r < 0x20), "{c}");
            }
        }
        assert!(font::glyph('a').is_some() && font::glyph('~').is_none());
        // French names read right: accents dropped, apostrophes drawn.
        for (accented, plain) in [('é', 'E'), ('È', 'E'), ('ç', 'C'), ('ô', 'O'), ('à', 'A')] {
            assert_eq!(font::glyph(accented), font::glyph(plain), "{accented}");
        }
        assert!("Université de l'Île"
            .chars()
            .all(|c| font::glyph(c).is_some()));
    }
}
