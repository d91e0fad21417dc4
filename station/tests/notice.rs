//! The privacy notice comes before anything is captured: a simulated exam shows, in this order,
//! the check-in screens, the notice for the station's own site, and only then the identity
//! screen under which the photo ID is taken.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use station::devices::Permit;
use station::devices::{Display, Frame, Result};
use station::simulate::{self, Plan};
use station::ui;

/// A display that keeps every frame shown, in order.
struct Recording {
    inner: Box<dyn Display>,
    shown: Arc<Mutex<Vec<Frame>>>,
}

impl Display for Recording {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn modes(&mut self) -> Result<Vec<String>> {
        self.inner.modes()
    }
    fn set_mode(&mut self) -> Result<(u32, u32)> {
        self.inner.set_mode()
    }
    fn show(&mut self, frame: &Frame) -> Result<()> {
        self.shown.lock().unwrap().push(frame.clone());
        self.inner.show(frame)
    }
    fn grab(&mut self, grant: &dyn Permit) -> Result<Frame> {
        self.inner.grab(grant)
    }
}

#[test]
fn the_notice_is_shown_after_check_in_and_before_the_identity_check() {
    let f = Fixture::new();
    let station = f.station();
    let mut devices = station::devices::open(&station.board).unwrap();
    let shown = Arc::new(Mutex::new(Vec::new()));
    let inner = std::mem::replace(&mut devices.display, Box::new(NoDisplay));
    devices.display = Box::new(Recording {
        inner,
        shown: shown.clone(),
    });
    let plan = Plan {
        student: "x".into(),
        duration: Duration::from_secs(1),
        face_frames: 1,
        pin: None,
    };
    let notice = ui::Notice::of(&station.site);
    assert_eq!(notice.institution, "Test U");
    simulate::run(station, &mut devices, &plan).unwrap();

    let frames = shown.lock().unwrap();
    let (w, h) = (frames[0].width, frames[0].height);
    let t = ui::Theme::default();
    // The notice and identity screens carry a help line at the bottom: compare above it.
    let above = (h * 85 / 100 * w * 3) as usize;
    let like = |a: &Frame, b: &Frame| a.rgb[..above] == b.rgb[..above];
    let notice_at = frames
        .iter()
        .position(|f| {
            like(
                f,
                &ui::privacy_notice(w, h, &t, &notice, board_config::Language::English),
            )
        })
        .expect("the notice was shown");
    // The identity check's screens show the camera: their title bar is the same whatever the
    // picture.
    let identity = ui::preview(
        w,
        h,
        &t,
        &ui::Preview {
            title: "IDENTITY CHECK".into(),
            camera: None,
            framing: ui::Framing::Card,
            boxes: Vec::new(),
            good: false,
            lines: Vec::new(),
            field: None,
            error: None,
            help: String::new(),
        },
    );
    let bar = (12 * ui::scale(h) * w * 3) as usize;
    let identity_at = frames
        .iter()
        .position(|f| f.rgb[..bar] == identity.rgb[..bar])
        .expect("the identity screen was shown");
    // Check-in screens (the readiness card, student number, exam, proctor) come first: the
    // first frame is the readiness card, the one before the notice the proctor's.
    assert!(
        notice_at >= 4,
        "check-in screens before the notice: {notice_at}"
    );
    assert!(
        identity_at > notice_at,
        "notice {notice_at}, identity {identity_at}"
    );
}

/// Stands in while the real display is moved into the wrapper.
struct NoDisplay;

impl Display for NoDisplay {
    fn name(&self) -> String {
        "none".into()
    }
    fn modes(&mut self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    fn set_mode(&mut self) -> Result<(u32, u32)> {
        Ok((0, 0))
    }
    fn show(&mut self, _: &Frame) -> Result<()> {
        Ok(())
    }
    fn grab(&mut self, _: &dyn Permit) -> Result<Frame> {
        Ok(Frame {
            width: 0,
            height: 0,
            rgb: Vec::new(),
        })
    }
}
