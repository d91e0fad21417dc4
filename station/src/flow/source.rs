//! Where the flow's keys come from: the board's keyboards ([`DeviceKeys`]) or a [`Script`] of
//! key events; both through the same [`Keyboard`] translation.

use std::collections::VecDeque;
use std::time::Duration;

use super::keys::{Key, Keyboard};
use crate::devices::Devices;
use crate::exam::ExamError;

/// Where the flow's keys come from.
pub trait Keys {
    /// Keys pressed within `timeout`; `None` when the source has ended (a script ran out).
    fn next(
        &mut self,
        devices: &mut Devices,
        timeout: Duration,
    ) -> Result<Option<Vec<Key>>, ExamError>;

    /// The exam's input filter takes the devices over as they are (still grabbed, so no key
    /// slips out in between) and releases them when the exam ends: read them afresh after.
    fn hand_over(&mut self) {}
}

/// The board's keyboards, grabbed while the station's own screens show: nothing typed at
/// check-in reaches a console or anything else.
#[derive(Default)]
pub struct DeviceKeys {
    keyboard: Keyboard,
    grabbed: bool,
    failing: Option<String>,
}

impl DeviceKeys {
    /// Keys from the board's input devices.
    pub fn new() -> DeviceKeys {
        DeviceKeys::default()
    }
}

impl DeviceKeys {
    /// Logs an input failure once, until the input works again.
    fn failed(&mut self, e: String) {
        if self.failing.as_ref() != Some(&e) {
            tracing::warn!("input: {e}");
            self.failing = Some(e);
        }
    }
}

impl Keys for DeviceKeys {
    fn hand_over(&mut self) {
        self.grabbed = false;
        self.keyboard = Keyboard::new();
    }

    fn next(
        &mut self,
        devices: &mut Devices,
        timeout: Duration,
    ) -> Result<Option<Vec<Key>>, ExamError> {
        if !self.grabbed {
            match devices.input.grab() {
                Ok(()) => self.grabbed = true,
                Err(e) => {
                    self.failed(e.to_string());
                    std::thread::sleep(timeout);
                    return Ok(Some(Vec::new()));
                }
            }
        }
        // A keyboard (or card reader) plugged in at the readiness card is grabbed and read too.
        match devices.input.changes() {
            Ok(changes) => {
                for c in changes {
                    tracing::info!("input: {c:?}");
                }
            }
            Err(e) => self.failed(e.to_string()),
        }
        let mut events = Vec::new();
        let ms = timeout.as_millis().min(u32::MAX.into()) as u32;
        let r = devices.input.pump_filtered(ms, &mut |ev| {
            events.push((ev.kind, ev.code, ev.value));
            false // the station's own screens read keys; nothing is passed on
        });
        match r {
            Ok(_) => self.failing = None,
            Err(e) => {
                self.failed(e.to_string());
                self.grabbed = false;
                std::thread::sleep(timeout);
            }
        }
        let kb = &mut self.keyboard;
        Ok(Some(
            events
                .into_iter()
                .filter_map(|(k, c, v)| kb.event(k, c, v))
                .collect(),
        ))
    }
}

/// Key events played in order, a few at a time, through the same translation as a keyboard's.
pub struct Script {
    events: VecDeque<(u16, i32)>,
    keyboard: Keyboard,
}

impl Script {
    /// A script of `(code, value)` key events (see [`keys::typing`] and [`keys::press`]).
    pub fn new(events: impl IntoIterator<Item = (u16, i32)>) -> Script {
        Script {
            events: events.into_iter().collect(),
            keyboard: Keyboard::new(),
        }
    }
}

impl Keys for Script {
    fn next(&mut self, _: &mut Devices, _: Duration) -> Result<Option<Vec<Key>>, ExamError> {
        if self.events.is_empty() {
            return Ok(None);
        }
        // One key per call (its press and release), as a person types.
        let mut out = Vec::new();
        while let Some((code, value)) = self.events.pop_front() {
            if let Some(k) = self.keyboard.event(1, code, value) {
                out.push(k);
            }
            if value == 0 && !out.is_empty() {
                break;
            }
        }
        Ok(Some(out))
    }
}
