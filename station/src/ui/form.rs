//! The interactive station screens (readiness card, check-in steps, proctor PIN): a title, lines
//! of text, an input field or a list to choose from, an error message and a help line at the
//! bottom. What they say is decided above (`crate::flow`); this only draws a [`View`].

use super::screens::{frame_with_title, scale};
use super::{Canvas, Rgb, Theme};
use crate::devices::Frame;

/// Colour of error messages.
pub(super) const ERROR: Rgb = [255, 120, 100];
/// Colour of the verdict line when the station may be used.
pub(super) const GOOD: Rgb = [120, 220, 140];

/// One interactive screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// The title bar's text.
    pub title: String,
    /// Whether something is being captured (the title bar then carries the REC badge).
    pub recording: bool,
    /// A large verdict line (`READY`, `DO NOT USE: ...`) and whether it is good news.
    pub verdict: Option<(String, bool)>,
    /// Lines of text, top to bottom.
    pub lines: Vec<String>,
    /// An input field: its label and what it shows (a PIN shows as stars).
    pub field: Option<(String, String)>,
    /// Choices, and which one is selected.
    pub choices: Vec<String>,
    /// The selected choice, if any.
    pub selected: Option<usize>,
    /// What went wrong with the last input, in the error colour.
    pub error: Option<String>,
    /// The help line at the bottom: which keys do what.
    pub help: String,
}

/// Draws `view` on a `w` x `h` screen.
pub fn form(w: u32, h: u32, t: &Theme, view: &View) -> Frame {
    let mut c = frame_with_title(w, h, t, &view.title, view.recording);
    let s = scale(h);
    let text = (h / 300).max(1) + 1;
    let line = 10 * text;
    let margin = 6 * s;
    let width = w.saturating_sub(2 * margin);
    let mut y = 20 * s;
    if let Some((verdict, good)) = &view.verdict {
        let big = text * 2;
        y = c.wrapped(
            margin,
            y,
            verdict,
            big,
            width,
            if *good { GOOD } else { ERROR },
            10 * big,
        );
        y += line;
    }
    for l in &view.lines {
        y = c.wrapped(margin, y, l, text, width, t.fg, line);
    }
    if let Some((label, value)) = &view.field {
        y += line;
        c.text(margin, y, label, text, t.heading);
        y += line + text * 2;
        let boxh = 13 * text;
        c.rect(margin, y, width, boxh, t.fg);
        c.rect(
            margin + text,
            y + text,
            width - 2 * text,
            boxh - 2 * text,
            [0, 0, 0],
        );
        let shown = format!("{value}_");
        c.text(margin + 3 * text, y + 2 * text, &shown, text, t.fg);
        y += boxh + line;
    }
    for (i, choice) in view.choices.iter().enumerate() {
        let chosen = view.selected == Some(i);
        if chosen {
            c.rect(margin, y - text, width, line, t.bar);
        }
        let mark = if chosen { "> " } else { "  " };
        c.text(margin + text, y, &format!("{mark}{choice}"), text, t.fg);
        y += line + text;
    }
    if let Some(e) = &view.error {
        y += line;
        c.wrapped(margin, y, e, text, width, ERROR, line);
    }
    help_line(&mut c, &view.help, text, t);
    c.frame
}

/// Writes `help` on the bottom row of `frame` (the notice screen gets one too).
pub fn with_help(mut frame: Frame, t: &Theme, help: &str) -> Frame {
    let text = (frame.height / 300).max(1) + 1;
    let mut c = Canvas {
        frame,
        face: super::face::current(),
    };
    help_line(&mut c, help, text, t);
    frame = c.frame;
    frame
}

pub(super) fn help_line(c: &mut Canvas, help: &str, text: u32, t: &Theme) {
    // Parts of the help are three spaces apart (`Enter: next   F2: Français`); the wrapping
    // keeps one space between words, so a slash keeps the parts apart.
    let help = help.split("   ").collect::<Vec<_>>().join("  /  ");
    let help = help.as_str();
    let (w, h) = (c.frame.width, c.frame.height);
    let line = 10 * text;
    let width = w.saturating_sub(8 * text);
    // As many rows as the help needs at this width (a long help wraps, never cut).
    let rows = c.wrap_lines(help, text, width).len().max(1) as u32;
    let barh = rows * line + 2 * text;
    let top = h.saturating_sub(barh);
    c.rect(0, top, w, barh, t.bar);
    c.wrapped(4 * text, top + 2 * text, help, text, width, t.fg, line);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(f: &Frame, c: Rgb) -> usize {
        f.rgb.chunks(3).filter(|p| *p == c).count()
    }

    #[test]
    fn errors_choices_and_verdicts_are_drawn_in_their_colours() {
        let t = Theme::default();
        let mut v = View {
            title: "CHECK-IN".into(),
            lines: vec!["Hello".into()],
            field: Some(("Student number".into(), "1234".into())),
            help: "Enter: next".into(),
            ..View::default()
        };
        for (w, h) in [(1024, 768), (1920, 1080), (640, 480)] {
            let f = form(w, h, &t, &v);
            assert_eq!(f.rgb.len() as u32, w * h * 3);
            assert_eq!(count(&f, ERROR), 0);
        }
        let plain = count(&form(1024, 768, &t, &v), t.bar);
        v.error = Some("1234 is not a student number".into());
        v.choices = vec!["A".into(), "B".into()];
        v.selected = Some(1);
        let f = form(1024, 768, &t, &v);
        assert!(count(&f, ERROR) > 0, "error drawn");
        assert!(count(&f, t.bar) > plain, "selection bar drawn");
        v.verdict = Some(("READY".into(), true));
        assert!(count(&form(1024, 768, &t, &v), GOOD) > 0);
    }

    #[test]
    fn a_long_help_wraps_into_a_taller_bar() {
        let bitmap = Canvas::with_face(100, 10, [0; 3], crate::ui::face::Face::Bitmap);
        // 6 px a glyph at scale 1: 42 px hold "aaa bbb", 66 px all three words.
        assert_eq!(bitmap.wrap_lines("aaa bbb ccc", 1, 42), ["aaa bbb", "ccc"]);
        assert_eq!(bitmap.wrap_lines("aaa bbb ccc", 1, 66), ["aaa bbb ccc"]);
        let t = Theme::default();
        let short = with_help(Canvas::new(400, 300, t.bg).frame, &t, "Enter");
        let long = with_help(Canvas::new(400, 300, t.bg).frame, &t, &"word ".repeat(40));
        assert!(count(&long, t.bar) > 2 * count(&short, t.bar));
    }
}
