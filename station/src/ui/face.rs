//! The typeface of the station's screens: DejaVu Sans (Debian's `fonts-dejavu-core`, in the
//! image) rasterised by fontdue, anti-aliased, with real accents and lower case. Where no font
//! file can be read, the 5x7 bitmap font ([`super::font`]) draws instead, so a screen always
//! says something.
//!
//! fontdue keeps every glyph's outline in memory, about 3 KB a glyph: the whole DejaVu Sans
//! (6,253 glyphs) is 19 MB resident for the station's life, the image's Latin subset
//! (`/usr/share/exam-station/fonts/DejaVuSans-Latin.ttf`, 664 glyphs: Latin-1, Latin Extended
//! A and B, punctuation, arrows, the badge's marks; made with `pyftsubset`, see the README
//! beside it) is 2 MB. A character the subset lacks (a Greek or Cyrillic exam title) is drawn
//! from the whole font, loaded the first time one is needed.
//!
//! Sizes keep the bitmap font's measure: text at `scale` is `9 * scale` pixels high, and lines
//! of the screens are `10 * scale` apart.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::{font, Canvas, Rgb};

/// The whole font: the fallback for characters the subset lacks.
pub const FULL_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Where the font is looked for (`STATION_FONT` first, if set): the image's Latin subset, then
/// the whole font.
pub const FONT_FILES: &[&str] = &[
    "/usr/share/exam-station/fonts/DejaVuSans-Latin.ttf",
    FULL_FONT,
];

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

/// The font the screens draw with, and the file it came from.
static LOADED: OnceLock<Option<(fontdue::Font, String)>> = OnceLock::new();
/// The whole font, when the loaded one is a subset and a character was missing from it.
static FALLBACK: OnceLock<Option<fontdue::Font>> = OnceLock::new();

/// Rasterised glyphs, by character and pixel size.
type Glyphs = HashMap<(char, u32), (fontdue::Metrics, Vec<u8>)>;
static GLYPHS: OnceLock<Mutex<Glyphs>> = OnceLock::new();

/// The first of `files` that reads and parses, with its path.
fn first_font<'a>(files: impl IntoIterator<Item = &'a str>) -> Option<(fontdue::Font, String)> {
    for f in files {
        match std::fs::read(f) {
            Ok(bytes) => match fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default()) {
                Ok(font) => return Some((font, f.to_owned())),
                Err(e) => tracing::warn!("font {f}: {e}"),
            },
            Err(e) => tracing::debug!("font {f}: {e}"),
        }
    }
    None
}

fn load() -> Option<(fontdue::Font, String)> {
    let env = std::env::var("STATION_FONT").ok();
    let files = env
        .iter()
        .map(String::as_str)
        .chain(FONT_FILES.iter().copied());
    if let Some(found) = first_font(files) {
        return Some(found);
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
        Some((f, _)) => Face::Outline(f),
        None => Face::Bitmap,
    }
}

/// The font that has `c`: `primary`, else the whole font (loaded now if it was not, and only
/// when `primary` came from another file), else `primary` (its missing-glyph box).
fn font_for(primary: &'static fontdue::Font, c: char) -> &'static fontdue::Font {
    pick(primary, c, || {
        let from_full = LOADED
            .get()
            .and_then(|l| l.as_ref())
            .is_some_and(|(_, path)| path == FULL_FONT);
        match from_full {
            true => None,
            false => FALLBACK
                .get_or_init(|| first_font([FULL_FONT]).map(|(f, _)| f))
                .as_ref(),
        }
    })
}

/// [`font_for`] with the whole font given by `full` (called only for a character `primary`
/// lacks).
fn pick<'f>(
    primary: &'f fontdue::Font,
    c: char,
    full: impl FnOnce() -> Option<&'f fontdue::Font>,
) -> &'f fontdue::Font {
    if primary.lookup_glyph_index(c) != 0 || c.is_control() {
        return primary;
    }
    match full() {
        Some(f) if f.lookup_glyph_index(c) != 0 => f,
        _ => primary,
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
                    .map(|c| font_for(f, c).metrics(c, px).advance_width)
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
                    let (m, cover) = Self::glyph(font_for(f, ch), ch, px);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subset_draws_latin_and_hands_other_scripts_to_the_whole_font() {
        let subset = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../images/common/overlay/usr/share/exam-station/fonts/DejaVuSans-Latin.ttf"
        );
        let (sub, _) = first_font([subset]).expect("the image's subset font");
        let (full, _) = first_font([FULL_FONT]).expect("fonts-dejavu-core");
        assert!(sub.glyph_count() < 1000 && full.glyph_count() > 5000);
        let mut asked = 0;
        for c in "Examen terminé: Œuvre, déjà vu ●".chars() {
            let f = pick(&sub, c, || {
                asked += 1;
                Some(&full)
            });
            assert!(std::ptr::eq(f, &sub), "{c:?} should be in the subset");
        }
        assert_eq!(asked, 0, "the whole font is not loaded for Latin text");
        for c in "Экзамен Εξέταση".chars().filter(|c| !c.is_whitespace()) {
            assert!(std::ptr::eq(pick(&sub, c, || Some(&full)), &full), "{c:?}");
        }
        assert!(
            std::ptr::eq(pick(&sub, 'Ж', || None), &sub),
            "no whole font: the box"
        );
    }
}
