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
pub mod vt;

pub use filter::{Filter, Sink};

use bundle::event::{text, Device, Event};

use crate::devices::linux::Absent;
use crate::devices::{DeviceError, Devices, ErrorKind};
use crate::exam::ExamError;
use crate::session::{ExamRunning, Session};

/// The input filter of a running exam (absent if the devices could not be grabbed, which is
/// journaled as `DeviceLost`) and its network lockdown (absent where there is no runtime
/// folder, i.e. not on a station image).
pub struct Lockdown(Option<Filter>, Option<net::NetLock>);

impl Lockdown {
    /// Grabs the board's keyboards and pointers for the exam of `session`; blocked attempts and
    /// devices attached mid-exam go to its journal. If grabbing fails the exam goes on without
    /// the filter and the journal says why.
    pub fn start(
        session: &Session<ExamRunning>,
        devices: &mut Devices,
    ) -> Result<Lockdown, ExamError> {
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
        match Filter::start(input, combos, sink) {
            Ok(f) => Ok(Lockdown(Some(f), netlock)),
            Err((input, e)) => {
                devices.input = input;
                tracing::error!("input filter not running: {e}");
                exam.record_sync(Event::DeviceLost {
                    device: Device::Input,
                    reason: text(&format!("input filter not running: {e}")),
                })?;
                Ok(Lockdown(None, netlock))
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
        net::NetLock::start(dir, sink).map(Some).map_err(|e| {
            ExamError::Device(DeviceError::new(
                "network lockdown",
                ErrorKind::Other,
                e.to_string(),
            ))
        })
    }

    /// Releases every grabbed device and gives the input back to `devices`; lowers the
    /// network lockdown.
    pub fn stop(self, devices: &mut Devices) -> Result<(), ExamError> {
        if let Some(n) = self.1 {
            n.stop().map_err(|e| {
                ExamError::Device(DeviceError::new(
                    "network lockdown",
                    ErrorKind::Other,
                    e.to_string(),
                ))
            })?;
        }
        let Some(filter) = self.0 else {
            return Ok(());
        };
        let (input, released) = filter.stop();
        devices.input = input;
        Ok(released?)
    }
}
