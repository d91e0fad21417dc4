//! The typeface of the station's screens: DejaVu Sans (Debian's `fonts-dejavu-core`, in the
//! image) rasterised by fontdue, anti-aliased, with real accents and lower case. Where no font
//! file can be read, the 5x7 bitmap font ([`super::font`]) draws instead, so a screen always
//! says something.
//!
//! Sizes keep the bitmap font's measure: text at `scale` is `9 * scale` pixels high, and lines
//! of the screens are `10 * scale` apart.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::{font, Canvas, Rgb};

/// Where the font is looked for (`STATION_FONT` first, if set).
pub const FONT_FILES: &[&str] = &["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"];

/// A typeface to draw with.
#[derive(Clone, Copy)]
pub enum Face {
    /// The 5x7 bitmap font, one square per font pixel.
    Bitmap,
    /// An outline font, anti-aliased.
    Outline(&'static fontdue::Font),
}

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Face::Bitmap => "Bitmap",
            Face::Outline(_) => "Outline",
        })
    }
}

static LOADED: OnceLock<Option<fontdue::Font>> = OnceLock::new();

/// Rasterised glyphs, by character and pixel size.
type Glyphs = HashMap<(char, u32), (fontdue::Metrics, Vec<u8>)>;
static GLYPHS: OnceLock<Mutex<Glyphs>> = OnceLock::new();

fn load() -> Option<fontdue::Font> {
    let env = std::env::var("STATION_FONT").ok();
    let files = env
        .iter()
        .map(String::as_str)
        .chain(FONT_FILES.iter().copied());
    for f in files {
        match std::fs::read(f) {
            Ok(bytes) => match fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default()) {
                Ok(font) => return Some(font),
                Err(e) => tracing::warn!("font {f}: {e}"),
            },
            Err(e) => tracing::debug!("font {f}: {e}"),
        }
    }
    tracing::warn!(
        "no font file readable ({}): the screens use the 5x7 bitmap font",
        FONT_FILES.join(", ")
    );
    None
}

/// The screens' typeface: the outline font if it loads, else the bitmap font.
pub fn current() -> Face {
    match LOADED.get_or_init(load) {
        Some(f) => Face::Outline(f),
        None => Face::Bitmap,
    }
}

impl Face {
    /// Pixel size of text at `scale`.
    fn px(scale: u32) -> u32 {
        9 * scale.max(1)
    }

    /// The glyph of `c` at `px` pixels (cached).
    fn glyph(font: &fontdue::Font, c: char, px: u32) -> (fontdue::Metrics, Vec<u8>) {
        let cache = GLYPHS.get_or_init(|| Mutex::new(HashMap::new()));
        let mut g = cache.lock().unwrap_or_else(|p| p.into_inner());
        g.entry((c, px))
            .or_insert_with(|| font.rasterize(c, px as f32))
            .clone()
    }

    /// Width of `text` at `scale`, in pixels.
    pub fn width(self, text: &str, scale: u32) -> u32 {
        match self {
            Face::Bitmap => text.chars().count() as u32 * (font::WIDTH + 1) * scale,
            Face::Outline(f) => {
                let px = Self::px(scale) as f32;
                text.chars()
                    .map(|c| f.metrics(c, px).advance_width)
                    .sum::<f32>()
                    .ceil() as u32
            }
        }
    }

    /// Draws `text` with its top-left corner at (x, y) on `c`; returns the width drawn.
    pub fn draw(self, c: &mut Canvas, x: u32, y: u32, text: &str, scale: u32, color: Rgb) -> u32 {
        match self {
            Face::Bitmap => {
                let advance = (font::WIDTH + 1) * scale;
                let mut cx = x;
                for ch in text.chars() {
                    let g = font::glyph(ch).unwrap_or(font::MISSING);
                    for (row, bits) in g.iter().enumerate() {
                        for col in 0..font::WIDTH {
                            if bits & (0x10 >> col) != 0 {
                                c.rect(
                                    cx + col * scale,
                                    y + row as u32 * scale,
                                    scale,
                                    scale,
                                    color,
                                );
                            }
                        }
                    }
                    cx += advance;
                }
                cx - x
            }
            Face::Outline(f) => {
                let px = Self::px(scale);
                let ascent = f
                    .horizontal_line_metrics(px as f32)
                    .map(|m| m.ascent)
                    .unwrap_or(px as f32 * 0.8);
                // The bitmap font's 7 rows sit in the top of the line: so does the cap height.
                let baseline = y as f32 + ascent * 0.9;
                let mut pen = x as f32;
                for ch in text.chars() {
                    let (m, cover) = Self::glyph(f, ch, px);
                    let gx = (pen + m.xmin as f32).round() as i64;
                    let gy = (baseline - m.height as f32 - m.ymin as f32).round() as i64;
                    c.blend(gx, gy, m.width, m.height, &cover, color);
                    pen += m.advance_width;
                }
                (pen - x as f32).ceil() as u32
            }
        }
    }
}
