//! Station screens drawn into a frame the display shows: check-in, identity and status.
//!
//! Plain pixels (text with a bitmap font and filled rectangles), so the same screens work on a
//! DRM dumb buffer, in the simulated display and in tests, with no toolkit.

pub mod font;
mod form;
mod notice;
mod overlay;
mod screens;

pub use form::{form, with_help, View};
pub use notice::{privacy_notice, Notice};
pub use overlay::overlay;
pub use screens::{badge, check_in, identity, scale, status, Theme};

use crate::devices::Frame;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// Drawing on a [`Frame`].
pub struct Canvas {
    /// The pixels drawn so far.
    pub frame: Frame,
}

impl Canvas {
    /// A `width` x `height` canvas filled with `bg`.
    pub fn new(width: u32, height: u32, bg: Rgb) -> Canvas {
        let rgb = bg
            .iter()
            .copied()
            .cycle()
            .take((width * height * 3) as usize)
            .collect();
        Canvas {
            frame: Frame { width, height, rgb },
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

    /// Draws `text` with its top-left corner at (x, y), each font pixel `scale` pixels wide.
    /// Returns the width drawn.
    pub fn text(&mut self, x: u32, y: u32, text: &str, scale: u32, c: Rgb) -> u32 {
        let advance = (font::WIDTH + 1) * scale;
        let mut cx = x;
        for ch in text.chars() {
            let g = font::glyph(ch).unwrap_or(font::MISSING);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..font::WIDTH {
                    if bits & (0x10 >> col) != 0 {
                        self.rect(cx + col * scale, y + row as u32 * scale, scale, scale, c);
                    }
                }
            }
            cx += advance;
        }
        cx - x
    }

    /// Width of `text` at `scale`.
    pub fn text_width(text: &str, scale: u32) -> u32 {
        text.chars().count() as u32 * (font::WIDTH + 1) * scale
    }

    /// Draws `text` from (x, y), broken at spaces into lines at most `max_w` wide (a word
    /// longer than that is cut by the edge), `line` pixels apart. Returns the row after it.
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
        let fits = (max_w / ((font::WIDTH + 1) * scale)).max(1) as usize;
        let mut current = String::new();
        for word in text.split_whitespace() {
            let len = current.chars().count();
            if len > 0 && len + 1 + word.chars().count() > fits {
                self.text(x, y, &current, scale, c);
                y += line;
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        if !current.is_empty() {
            self.text(x, y, &current, scale, c);
            y += line;
        }
        y
    }

    /// Draws `text` centred horizontally at row `y`.
    pub fn centered(&mut self, y: u32, text: &str, scale: u32, c: Rgb) {
        let w = Self::text_width(text, scale);
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
        let mut c = Canvas::new(20, 10, [0, 0, 0]);
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
        let mut c = Canvas::new(8, 8, [0, 0, 0]);
        c.text(0, 0, "WW", 2, [9, 9, 9]);
        assert_eq!(c.frame.rgb.len(), 8 * 8 * 3);
        c.rect(6, 6, 100, 100, [1, 2, 3]);
        assert_eq!(px(&c.frame, 7, 7), [1, 2, 3]);
        assert_eq!(Canvas::text_width("abc", 2), 36);
    }

    #[test]
    fn wrapped_text_breaks_at_spaces_within_the_width() {
        let mut c = Canvas::new(60, 40, [0, 0, 0]);
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
