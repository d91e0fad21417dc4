//! The locked-down exam shell, station side: while an exam runs, every keyboard and pointer is
//! grabbed and only allowed key combinations reach the exam shell (see [`combo`] for the list).
//!
//! [`Lockdown::start`] takes the board's input from [`Devices`] for the running exam and
//! journals what the filter blocks; [`Lockdown::stop`] releases the devices and puts the input
//! back. Outside `ExamRunning` nothing is grabbed. The network side ([`net`]) raises the
//! exam's nftables ruleset through a marker file and journals the forward proxy's reports; with
//! that ruleset, root's `exam-vt-lock.service` locks VT switching ([`vt`]).

pub mod combo;
pub mod filter;
pub mod net;
pub mod storage;
pub mod vt;

pub use filter::{Filter, Sink, StationInput};

use std::marker::PhantomData;
use std::sync::mpsc::Receiver;

use bundle::event::{text, Device, Event};

use crate::devices::linux::Absent;
use crate::devices::{DeviceError, Devices, ErrorKind};
use crate::exam::ExamError;
use crate::session::{ExamRunning, Session};

/// The input filter of a running exam (absent if the devices could not be grabbed, which is
/// journaled as `DeviceLost`), its network lockdown (absent where there is no runtime folder,
/// i.e. not on a station image) and the station keys it hands the exam flow. It borrows the
/// running session, as the recorder's grant does, so the exam cannot end while the input is
/// still grabbed:
///
/// ```compile_fail
/// # fn f(s: station::session::Session<station::session::ExamRunning>,
/// #      d: &mut station::devices::Devices) {
/// let lockdown = station::lockdown::Lockdown::start(&s, d).unwrap();
/// let finalizing = s.end(bundle::event::EndReason::TimeUp); // `s` is still borrowed
/// lockdown.stop(d).unwrap();
/// # }
/// ```
pub struct Lockdown<'s> {
    filter: Option<Filter>,
    net: Option<net::NetLock>,
    keys: Receiver<StationInput>,
    _session: PhantomData<&'s Session<ExamRunning>>,
}

impl<'s> Lockdown<'s> {
    /// Grabs the board's keyboards and pointers for the exam of `session`; blocked attempts and
    /// devices attached mid-exam go to its journal. If grabbing fails the exam goes on without
    /// the filter and the journal says why.
    pub fn start(
        session: &'s Session<ExamRunning>,
        devices: &mut Devices,
    ) -> Result<Lockdown<'s>, ExamError> {
        let exam = session.exam();
        let policy = &session.station().site.exam;
        let combos = combo::Combos::new(&policy.blocked_combinations).map_err(|e| {
            ExamError::Device(DeviceError::new(
                "exam.blocked_combinations",
                ErrorKind::Unsupported,
                e,
            ))
        })?;
        let netlock = Self::start_net(session)?;
        let handle = exam.handle();
        let sink: Sink = Box::new(move |event| {
            if let Err(e) = handle.record(event) {
                tracing::error!("input filter: journal: {e}");
            }
        });
        let placeholder = Box::new(Absent(DeviceError::new(
            "input",
            ErrorKind::Busy,
            "held by the exam's input filter",
        )));
        let mut input = std::mem::replace(&mut devices.input, placeholder);
        // The inventory: every keyboard, pointer, button or switch there at the start.
        match input.devices() {
            Ok(present) => {
                for d in present {
                    exam.record(Event::InputPresent {
                        name: text(&format!("{} ({})", d.name, d.node)),
                    })?;
                }
            }
            Err(e) => tracing::warn!("input inventory: {e}"),
        }
        let (station, keys) = std::sync::mpsc::channel();
        let lockdown = |filter| Lockdown {
            filter,
            net: netlock,
            keys,
            _session: PhantomData,
        };
        match Filter::start(input, combos, sink, station) {
            Ok(f) => Ok(lockdown(Some(f))),
            Err((input, e)) => {
                devices.input = input;
                tracing::error!("input filter not running: {e}");
                exam.record_sync(Event::DeviceLost {
                    device: Device::Input,
                    reason: text(&format!("input filter not running: {e}")),
                })?;
                Ok(lockdown(None))
            }
        }
    }

    /// The network lockdown, if this machine has the runtime folder.
    fn start_net(session: &Session<ExamRunning>) -> Result<Option<net::NetLock>, ExamError> {
        let dir = &session.station().runtime_dir;
        if !dir.is_dir() {
            tracing::warn!(
                "no runtime folder {}: the exam's network ruleset is not raised (not a station image?)",
                dir.display()
            );
            return Ok(None);
        }
        let handle = session.exam().handle();
        let sink = std::sync::Arc::new(move |event| {
            if let Err(e) = handle.record(event) {
                tracing::error!("proxy reports: journal: {e}");
            }
        });
        let reporters = session.station().reporters.clone();
        net::NetLock::start(dir, reporters, sink)
            .map(Some)
            .map_err(|e| {
                ExamError::Device(DeviceError::new(
                    "network lockdown",
                    ErrorKind::Other,
                    e.to_string(),
                ))
            })
    }

    /// The station keys pressed, and the keys diverted to the station, since the last call.
    pub fn station_input(&self) -> Vec<StationInput> {
        self.keys.try_iter().collect()
    }

    /// Sends every key to the station instead of the exam shell (while the station asks
    /// something over the kiosk), or stops doing so.
    pub fn divert(&self, on: bool) {
        if let Some(f) = &self.filter {
            f.divert(on);
        }
    }

    /// Types key `code` into the exam shell (the station reloading a blank exam page).
    pub fn press(&self, code: u16) {
        if let Some(f) = &self.filter {
            f.press(code);
        }
    }

    /// Releases every grabbed device and gives the input back to `devices`; lowers the
    /// network lockdown.
    pub fn stop(self, devices: &mut Devices) -> Result<(), ExamError> {
        if let Some(n) = self.net {
            n.stop().map_err(|e| {
                ExamError::Device(DeviceError::new(
                    "network lockdown",
                    ErrorKind::Other,
                    e.to_string(),
                ))
            })?;
        }
        let Some(filter) = self.filter else {
            return Ok(());
        };
        let (input, released) = filter.stop();
        devices.input = input;
        Ok(released?)
    }
}
