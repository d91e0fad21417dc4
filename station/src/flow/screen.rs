//! The station's screens as the flow draws them: size, colours, and the overlays (the receipt's
//! QR code, the call and case alerts) put on a frame before it is shown.

use crate::devices::{Devices, Frame};
use crate::ui;

/// Screen size and colours of the station's screens.
pub struct Screen {
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
    /// Colours.
    pub theme: ui::Theme,
}

impl Screen {
    /// Shows `frame`; a display failure is logged, never fatal to the exam.
    pub fn show(&self, devices: &mut Devices, frame: &Frame) {
        if let Err(e) = devices.display.show(frame) {
            tracing::warn!("display: {e}");
        }
    }

    /// `frame` with `text` as a QR code bottom right, above the help line (none: as it is).
    pub fn with_qr(&self, frame: Frame, text: Option<&str>) -> Frame {
        let Some(q) = text.and_then(|t| ui::qr_code(t, ui::scale(self.h) + 1)) else {
            return frame;
        };
        let (x, y) = (
            self.w.saturating_sub(q.width + 8 * ui::scale(self.h)),
            self.h.saturating_sub(q.height + 24 * ui::scale(self.h)),
        );
        let mut c = ui::Canvas {
            frame,
            face: ui::face::current(),
        };
        c.blit(&q, x, y);
        c.frame
    }

    /// `frame` with the call and case `lines` (none: as it is) on the recording colour, top
    /// right, as the badge shows them during the exam.
    pub fn with_alerts(&self, frame: Frame, lines: &[String]) -> Frame {
        if lines.is_empty() {
            return frame;
        }
        let s = ui::scale(self.h);
        let badge = ui::overlay(lines, true, s, &self.theme);
        let mut c = ui::Canvas {
            frame,
            face: ui::face::current(),
        };
        c.blit(&badge, self.w.saturating_sub(badge.width + 4 * s), 4 * s);
        c.frame
    }
}
