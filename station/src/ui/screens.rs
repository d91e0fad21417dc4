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
    /// The "recording" badge.
    pub recording: Rgb,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            bg: [16, 24, 40],
            fg: [235, 235, 235],
            bar: [32, 80, 160],
            recording: [200, 30, 30],
        }
    }
}

fn frame_with_title(w: u32, h: u32, t: &Theme, title: &str, recording: bool) -> Canvas {
    let mut c = Canvas::new(w, h, t.bg);
    let scale = (h / 160).max(1);
    let bar = 12 * scale;
    c.rect(0, 0, w, bar, t.bar);
    c.text(2 * scale, 2 * scale + scale / 2, title, scale, t.fg);
    if recording {
        let label = "REC";
        let lw = Canvas::text_width(label, scale) + 4 * scale;
        c.rect(
            w.saturating_sub(lw + 2 * scale),
            scale,
            lw,
            bar - 2 * scale,
            t.recording,
        );
        c.text(
            w.saturating_sub(lw),
            2 * scale + scale / 2,
            label,
            scale,
            t.fg,
        );
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

/// The identity screen: a box where the camera picture goes and the current instruction.
pub fn identity(w: u32, h: u32, t: &Theme, instruction: &str) -> Frame {
    let mut c = frame_with_title(w, h, t, "IDENTITY CHECK", true);
    let s = (h / 100).max(1);
    let (bw, bh) = (w / 2, h / 2);
    c.rect((w - bw) / 2 - s, h / 6 - s, bw + 2 * s, bh + 2 * s, t.fg);
    c.rect((w - bw) / 2, h / 6, bw, bh, [0, 0, 0]);
    c.centered(h / 6 + bh + 6 * s, instruction, s, t.fg);
    c.frame
}

/// The status screen: one line per item (e.g. device checks), and whether recording is on.
pub fn status(w: u32, h: u32, t: &Theme, lines: &[String], recording: bool) -> Frame {
    let mut c = frame_with_title(w, h, t, "STATION STATUS", recording);
    let s = (h / 160).max(1);
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
            identity(640, 480, &t, "SHOW YOUR PHOTO ID"),
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
}
