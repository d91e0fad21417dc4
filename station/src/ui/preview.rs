//! The identity check's screen: the live camera picture with a framing guide (a card outline for
//! the photo ID, an oval for the face) and the faces the detector found, the instruction and
//! advice under it, a PIN field when the proctor is asked, and the help line.

use super::form::{help_line, ERROR, GOOD};
use super::screens::{frame_with_title, scale};
use super::{Canvas, Rgb, Theme};
use crate::devices::Frame;

/// The shape the student fits into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// An ID card's outline (ISO/IEC 7810 ID-1, 85.6 x 54 mm).
    Card,
    /// An oval for the head.
    Face,
}

/// One camera preview screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview<'a> {
    /// The title bar's text.
    pub title: String,
    /// The latest camera picture (none yet: the box stays black).
    pub camera: Option<&'a Frame>,
    /// The framing guide over it.
    pub framing: Framing,
    /// Rectangles (x, y, w, h, in the camera picture's pixels) around the faces found.
    pub boxes: Vec<[u32; 4]>,
    /// Whether the picture is right (the guide and boxes are then drawn in green).
    pub good: bool,
    /// Lines under the picture: the instruction first, then advice.
    pub lines: Vec<String>,
    /// An input field: its label and what it shows (a PIN shows as stars).
    pub field: Option<(String, String)>,
    /// What went wrong with the last input.
    pub error: Option<String>,
    /// The help line at the bottom.
    pub help: String,
}

/// Colour of the guide while the picture is not right yet.
const WAIT: Rgb = [250, 200, 80];

/// Draws `p` on a `w` x `h` screen.
pub fn preview(w: u32, h: u32, t: &Theme, p: &Preview) -> Frame {
    let mut c = frame_with_title(w, h, t, &p.title, true);
    let s = scale(h);
    let text = (h / 300).max(1) + 1;
    let line = 10 * text;
    // The picture's box: half the screen high at most, in the camera's proportions.
    let (cw, ch) = p
        .camera
        .map_or((4, 3), |f| (f.width.max(1), f.height.max(1)));
    let bh = (h / 2).min(w * 6 / 10 * ch / cw);
    let bw = bh * cw / ch;
    let (x0, y0) = ((w - bw) / 2, 16 * s);
    c.rect(x0 - s, y0 - s, bw + 2 * s, bh + 2 * s, t.fg);
    c.rect(x0, y0, bw, bh, [0, 0, 0]);
    if let Some(f) = p.camera {
        c.blit(&resize(f, bw, bh), x0, y0);
    }
    let colour = if p.good { GOOD } else { WAIT };
    let thick = s.max(2);
    match p.framing {
        Framing::Card => {
            let gw = bw * 7 / 10;
            let gh = gw * 54 / 86;
            outline(
                &mut c,
                x0 + (bw - gw) / 2,
                y0 + (bh - gh) / 2,
                gw,
                gh,
                thick,
                colour,
            );
        }
        Framing::Face => {
            let (rx, ry) = (bh * 3 / 10, bh * 4 / 10);
            oval(&mut c, x0 + bw / 2, y0 + bh / 2, rx, ry, thick, colour);
        }
    }
    for b in &p.boxes {
        let [x, y, bxw, bxh] = b.map(|v| v * bw / cw);
        outline(&mut c, x0 + x, y0 + y, bxw, bxh.min(bh), thick, colour);
    }
    let margin = 6 * s;
    let width = w.saturating_sub(2 * margin);
    let mut y = y0 + bh + 2 * line;
    for (i, l) in p.lines.iter().enumerate() {
        let (size, col) = if i == 0 {
            (text * 3 / 2, t.fg)
        } else {
            (text, colour)
        };
        y = c.wrapped(margin, y, l, size, width, col, 10 * size);
    }
    if let Some((label, value)) = &p.field {
        y += text * 2;
        let drawn = c.text(margin, y, label, text, t.heading);
        c.text(
            margin + drawn + 2 * text,
            y,
            &format!("{value}_"),
            text,
            t.fg,
        );
        y += line;
    }
    if let Some(e) = &p.error {
        c.wrapped(margin, y + text * 2, e, text, width, ERROR, line);
    }
    help_line(&mut c, &p.help, text, t);
    c.frame
}

/// `f` scaled to `w` x `h` (nearest pixel).
fn resize(f: &Frame, w: u32, h: u32) -> Frame {
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        let sy = (y * f.height / h.max(1)).min(f.height.saturating_sub(1));
        for x in 0..w {
            let sx = (x * f.width / w.max(1)).min(f.width.saturating_sub(1));
            let i = ((sy * f.width + sx) * 3) as usize;
            rgb.extend_from_slice(&f.rgb[i..i + 3]);
        }
    }
    Frame {
        width: w,
        height: h,
        rgb,
    }
}

/// A rectangle's outline, `t` pixels thick.
fn outline(c: &mut Canvas, x: u32, y: u32, w: u32, h: u32, t: u32, col: Rgb) {
    c.rect(x, y, w, t, col);
    c.rect(x, (y + h).saturating_sub(t), w, t, col);
    c.rect(x, y, t, h, col);
    c.rect((x + w).saturating_sub(t), y, t, h, col);
}

/// An ellipse's outline centred at (cx, cy) with radii `rx`, `ry`, `t` pixels thick.
fn oval(c: &mut Canvas, cx: u32, cy: u32, rx: u32, ry: u32, t: u32, col: Rgb) {
    let steps = 4 * (rx + ry).max(1);
    for i in 0..steps {
        let a = std::f64::consts::TAU * f64::from(i) / f64::from(steps);
        let x = f64::from(cx) + f64::from(rx) * a.cos();
        let y = f64::from(cy) + f64::from(ry) * a.sin();
        c.rect(
            (x as u32).saturating_sub(t / 2),
            (y as u32).saturating_sub(t / 2),
            t,
            t,
            col,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(f: &Frame, c: Rgb) -> usize {
        f.rgb.chunks(3).filter(|p| *p == c).count()
    }

    #[test]
    fn the_camera_picture_guide_and_boxes_are_drawn() {
        let t = Theme::default();
        let camera = Frame {
            width: 640,
            height: 480,
            rgb: [1u8, 2, 3].repeat(640 * 480),
        };
        let mut p = Preview {
            title: "IDENTITY CHECK".into(),
            camera: Some(&camera),
            framing: Framing::Face,
            boxes: vec![],
            good: false,
            lines: vec!["Look at the camera".into(), "No face found".into()],
            field: None,
            error: None,
            help: "Wait".into(),
        };
        for (w, h) in [(1024, 768), (1920, 1080), (640, 480)] {
            let f = preview(w, h, &t, &p);
            assert_eq!(f.rgb.len() as u32, w * h * 3);
            assert!(
                count(&f, [1, 2, 3]) > (w * h / 8) as usize,
                "picture shown at {w}x{h}"
            );
            assert!(count(&f, WAIT) > 0, "guide drawn");
        }
        let oval_only = count(&preview(1024, 768, &t, &p), GOOD);
        p.good = true;
        p.boxes = vec![[200, 100, 240, 240]];
        let with_box = preview(1024, 768, &t, &p);
        assert_eq!(count(&with_box, WAIT), 0);
        assert!(
            count(&with_box, GOOD) > oval_only + 500,
            "box drawn in green"
        );
        p.framing = Framing::Card;
        p.camera = None;
        p.error = Some("Wrong PIN".into());
        let f = preview(1024, 768, &t, &p);
        assert_eq!(count(&f, [1, 2, 3]), 0);
        assert!(count(&f, ERROR) > 0);
    }
}
