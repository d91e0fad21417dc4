//! The station's screens.

use super::{Canvas, Rgb};
use crate::devices::Frame;

/// Colours of the station screens.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Background.
    pub bg: Rgb,
    /// Text.
    pub fg: Rgb,
    /// Title bar.
    pub bar: Rgb,
    /// Headings in the text.
    pub heading: Rgb,
    /// The "recording" badge.
    pub recording: Rgb,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            bg: [16, 24, 40],
            fg: [235, 235, 235],
            bar: [32, 80, 160],
            heading: [110, 160, 240],
            recording: [200, 30, 30],
        }
    }
}

/// Scale of the station's drawing on a screen `h` pixels high: font pixels per screen pixel.
pub fn scale(h: u32) -> u32 {
    (h / 160).max(1)
}

/// Height of the title bar at `scale`.
fn bar_height(scale: u32) -> u32 {
    12 * scale
}

/// The "recording" badge at `scale`: "REC" on the badge colour. The station screens show it in
/// their title bar, and the station keeps it over the kiosk's screen while the exam records
/// ([`crate::devices::linux::wayland::badge`]), so the student sees the same sign everywhere.
pub fn badge(scale: u32, t: &Theme) -> Frame {
    let label = "REC";
    let w = Canvas::text_width(label, scale) + 4 * scale;
    let mut c = Canvas::new(w, bar_height(scale) - 2 * scale, t.recording);
    c.text(2 * scale, scale + scale / 2, label, scale, t.fg);
    c.frame
}

/// A screen: background, the title bar with `title` and, if `recording`, the badge.
pub(super) fn frame_with_title(w: u32, h: u32, t: &Theme, title: &str, recording: bool) -> Canvas {
    let mut c = Canvas::new(w, h, t.bg);
    let scale = scale(h);
    c.rect(0, 0, w, bar_height(scale), t.bar);
    c.text(2 * scale, 2 * scale + scale / 2, title, scale, t.fg);
    if recording {
        let b = badge(scale, t);
        c.blit(&b, w.saturating_sub(b.width + 2 * scale), scale);
    }
    c
}

/// The check-in screen: station name and the prompt to sign in.
pub fn check_in(w: u32, h: u32, t: &Theme, station: &str) -> Frame {
    let mut c = frame_with_title(w, h, t, &format!("EXAM STATION {station}"), false);
    let s = (h / 100).max(1);
    c.centered(h / 3, "WELCOME", s * 2, t.fg);
    c.centered(h / 2, "ENTER YOUR STUDENT ID TO CHECK IN", s, t.fg);
    c.frame
}

/// The status screen: one line per item (e.g. device checks), and whether recording is on.
pub fn status(w: u32, h: u32, t: &Theme, lines: &[String], recording: bool) -> Frame {
    let mut c = frame_with_title(w, h, t, "STATION STATUS", recording);
    let s = scale(h);
    for (i, l) in lines.iter().enumerate() {
        c.text(4 * s, 20 * s + i as u32 * 10 * s, l, s, t.fg);
    }
    c.frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screens_have_the_mode_size_and_show_text() {
        let t = Theme::default();
        for f in [
            check_in(640, 480, &t, "S-01"),
            status(640, 480, &t, &["CAMERA OK".into()], true),
        ] {
            assert_eq!((f.width, f.height, f.rgb.len()), (640, 480, 640 * 480 * 3));
            assert!(f.rgb.chunks(3).any(|p| p == t.fg), "text drawn");
        }
        let rec = status(640, 480, &t, &[], true);
        assert!(rec.rgb.chunks(3).any(|p| p == t.recording));
        let idle = status(640, 480, &t, &[], false);
        assert!(!idle.rgb.chunks(3).any(|p| p == t.recording));
    }

    #[test]
    fn the_badge_is_the_title_bars_badge() {
        let t = Theme::default();
        let b = badge(scale(480), &t);
        assert_eq!((b.width, b.height), (Canvas::text_width("REC", 3) + 12, 30));
        assert!(b.rgb.chunks(3).any(|p| p == t.fg), "label drawn");
        let rec = status(640, 480, &t, &[], true);
        let (x0, y0) = (640 - b.width - 2 * 3, 3);
        for y in 0..b.height {
            let row = ((y0 + y) * 640 + x0) as usize * 3;
            let want = (y * b.width) as usize * 3;
            assert_eq!(
                rec.rgb[row..row + b.width as usize * 3],
                b.rgb[want..want + b.width as usize * 3],
                "badge row {y}"
            );
        }
    }
}
