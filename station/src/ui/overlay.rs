//! What the station keeps over the kiosk's screen during the exam: the recording badge with
//! the time left and, when there is one, a warning or a question (end the exam? the proctor's
//! PIN), on the recording colour, so the student sees the station speaking, not the exam page.

use super::{Canvas, Theme};
use crate::devices::Frame;

/// `lines` (the first is `REC mm:ss`) at `scale`, one under the other; a question or warning
/// (`alert`) is drawn one size larger.
pub fn overlay(lines: &[String], alert: bool, scale: u32, t: &Theme) -> Frame {
    let s = if alert { scale + 1 } else { scale };
    // Text is 9 * s high; its descenders need the rest of a 12 * s line.
    let line = 12 * s;
    let w = lines
        .iter()
        .map(|l| Canvas::text_width(l, s))
        .max()
        .unwrap_or(0)
        + 4 * s;
    let h = lines.len() as u32 * line + 3 * s;
    let mut c = Canvas::new(w, h, t.recording);
    for (i, l) in lines.iter().enumerate() {
        c.text(2 * s, 2 * s + i as u32 * line, l, s, t.fg);
    }
    c.frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overlay_fits_its_lines_and_grows_for_questions() {
        let t = Theme::default();
        let one = overlay(&["REC 59:12".into()], false, 3, &t);
        assert_eq!(one.width, Canvas::text_width("REC 59:12", 3) + 12);
        assert_eq!(one.height, 36 + 9);
        assert!(one.rgb.chunks(3).any(|p| p == t.fg));
        let ask = overlay(
            &["REC 59:12".into(), "End your exam now?".into()],
            true,
            3,
            &t,
        );
        assert!(ask.width > one.width && ask.height > 2 * one.height);
    }
}
