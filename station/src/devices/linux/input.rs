//! Keyboards and pointers through evdev (crate evdev): enumerate, hotplug, exclusive grab, and
//! re-emission through the station's virtual uinput devices (one for keys and relative
//! pointers, one for absolute pointers: [`super::absolute`]), so the exam shell only ever sees
//! the station's devices and the station sees (and journals) every event first. Frames
//! (`SYN_REPORT`) are re-emitted as the source made them.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use evdev::uinput::VirtualDevice;
use evdev::{AttributeSet, BusType, Device, EventType, KeyCode, RelativeAxisCode};

use super::absolute;
use super::dirwatch::DirWatch;
use super::own::{self, OwnDevice};
use crate::devices::{DeviceError, ErrorKind, Hotplug, Input, InputDevice, InputEvent, Result};

/// Group that grants access to /dev/input/event*.
const GROUP: &str = "input";
/// Name of the station's own uinput device (never grabbed, never listed).
pub const VIRTUAL_NAME: &str = "exam-station virtual input";

/// Whether an evdev device with these properties matches a board rule.
pub fn matches(rule: &board_config::InputMatch, name: &str, phys: &str, bus: u16) -> bool {
    let bus_ok = rule.bus.is_none_or(|b| {
        bus == match b {
            board_config::InputBus::Usb => BusType::BUS_USB.0,
            board_config::InputBus::Bluetooth => BusType::BUS_BLUETOOTH.0,
            board_config::InputBus::I8042 => BusType::BUS_I8042.0,
            board_config::InputBus::Virtual => BusType::BUS_VIRTUAL.0,
        }
    });
    bus_ok
        && rule
            .name_contains
            .as_ref()
            .is_none_or(|n| name.contains(n.as_str()))
        && rule
            .phys_contains
            .as_ref()
            .is_none_or(|p| phys.contains(p.as_str()))
}

/// A keyboard is anything with a key (not a button) or a switch: a full keyboard, and also a
/// keyboard's system-control node (power, sleep), a macro pad, a lid switch. All are grabbed
/// during the exam, so none can reach the system around the filter. A pointer has relative
/// X/Y, a left button, or is an absolute pointer (touchscreen, tablet).
pub fn classify(dev: &Device) -> (bool, bool) {
    let keys = dev.supported_keys();
    let has = |k: KeyCode| keys.is_some_and(|s| s.contains(k));
    let any_key = keys.is_some_and(|s| s.iter().any(|k| is_key(k.code())));
    let switches = dev
        .supported_switches()
        .is_some_and(|s| s.iter().next().is_some());
    let keyboard = any_key || switches;
    let rel = dev
        .supported_relative_axes()
        .is_some_and(|r| r.contains(RelativeAxisCode::REL_X));
    (
        keyboard,
        rel || has(KeyCode::BTN_LEFT) || absolute::is_pointer(dev),
    )
}

/// Whether evdev code `code` is a key rather than a button (`BTN_*` are 0x100..0x160 and
/// 0x2c0 on).
fn is_key(code: u16) -> bool {
    (1..0x100).contains(&code) || (0x160..0x2c0).contains(&code)
}

struct Open {
    info: InputDevice,
    dev: Device,
    /// An absolute pointer's ranges and kind: how its events are re-emitted.
    abs: Option<absolute::Source>,
    /// Keys read as pressed and not yet released (as re-emitted).
    down: BTreeSet<u16>,
}

/// The station's virtual devices while grabbed.
struct Outputs {
    /// Keys, buttons and relative motion.
    keys: OwnDevice,
    /// Absolute pointers.
    abs: OwnDevice,
}

impl Outputs {
    fn new() -> Result<Outputs> {
        let err = |e: std::io::Error| DeviceError::from_io("/dev/uinput", &e, GROUP);
        Ok(Outputs {
            keys: OwnDevice::new(virtual_device()?),
            abs: OwnDevice::new(absolute::virtual_device().map_err(err)?),
        })
    }

    /// Emits `events` on the absolute device or the other one, frame by frame (each
    /// `SYN_REPORT` ends one; the last gets its own).
    fn emit(&mut self, abs: bool, events: &[evdev::InputEvent]) -> Result<()> {
        let dev = if abs {
            &mut self.abs.dev
        } else {
            &mut self.keys.dev
        };
        for frame in events.split(|e| e.event_type() == EventType::SYNCHRONIZATION) {
            if !frame.is_empty() {
                dev.emit(frame)
                    .map_err(|e| DeviceError::from_io("/dev/uinput", &e, GROUP))?;
            }
        }
        Ok(())
    }
}

/// The board's keyboards and pointers.
pub struct LinuxInput {
    cfg: board_config::Input,
    dir: PathBuf,
    known: BTreeMap<String, InputDevice>,
    pending: Vec<Hotplug>,
    /// Keys that were down on grabbed devices that went away (node, code, absolute device):
    /// released at the next pump.
    released: Vec<(String, u16, bool)>,
    grabbed: Option<(Outputs, Vec<Open>)>,
    /// Notices new nodes (`None` if inotify is unavailable: every `changes` rescans).
    watch: Option<DirWatch>,
    /// A new device could not be grabbed: the next `changes` rescans even without a notice.
    retry: bool,
}

impl LinuxInput {
    /// Watches `/dev/input` for the board's devices.
    pub fn open(cfg: &board_config::Input) -> Result<LinuxInput> {
        Self::open_dir(cfg, Path::new("/dev/input"))
    }

    /// Watches `dir` (tests use another folder).
    pub fn open_dir(cfg: &board_config::Input, dir: &Path) -> Result<LinuxInput> {
        let mut me = LinuxInput {
            cfg: cfg.clone(),
            dir: dir.to_path_buf(),
            known: BTreeMap::new(),
            pending: Vec::new(),
            released: Vec::new(),
            grabbed: None,
            watch: DirWatch::new(dir).ok(),
            retry: false,
        };
        me.known = me.scan()?;
        Ok(me)
    }

    fn selected(&self, info: &InputDevice, phys: &str, bus: u16) -> bool {
        let wanted = info.keyboard || info.pointer;
        wanted
            && (self.cfg.grab_all
                || self
                    .cfg
                    .r#match
                    .iter()
                    .any(|r| matches(r, &info.name, phys, bus)))
    }

    /// The selected devices now present, by node.
    fn scan(&self) -> Result<BTreeMap<String, InputDevice>> {
        let dir = self.dir.display().to_string();
        let entries = std::fs::read_dir(&self.dir).map_err(|e| {
            let mut err = DeviceError::from_io(&dir, &e, GROUP);
            if err.kind == ErrorKind::NotFound {
                err.detail = "no input devices on this machine (no /dev/input)".into();
            }
            err
        })?;
        let mut out = BTreeMap::new();
        let mut denied = None;
        for e in entries.flatten() {
            let path = e.path();
            if !path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("event"))
            {
                continue;
            }
            let node = path.display().to_string();
            let dev = match Device::open(&path) {
                Ok(d) => d,
                Err(e) => {
                    let err = DeviceError::from_io(&node, &e, GROUP);
                    if err.kind == ErrorKind::PermissionDenied {
                        denied = Some(err);
                    }
                    continue;
                }
            };
            // The station's own virtual devices, by their sysfs node: a device that only
            // copies their name is grabbed like any other.
            if own::is_own(&path) {
                continue;
            }
            let name = dev.name().unwrap_or("").to_string();
            let (keyboard, pointer) = classify(&dev);
            let info = InputDevice {
                node: node.clone(),
                name,
                keyboard,
                pointer,
            };
            if self.selected(
                &info,
                dev.physical_path().unwrap_or(""),
                dev.input_id().bus_type().0,
            ) {
                out.insert(node, info);
            }
        }
        match denied {
            Some(e) if out.is_empty() => Err(e),
            _ => Ok(out),
        }
    }

    fn open_grabbed(info: &InputDevice) -> Result<Open> {
        let err = |e: std::io::Error| DeviceError::from_io(&info.node, &e, GROUP);
        let mut dev = Device::open(&info.node).map_err(err)?;
        dev.grab().map_err(err)?;
        dev.set_nonblocking(true).map_err(err)?;
        let abs = absolute::Source::of(&dev);
        Ok(Open {
            info: info.clone(),
            dev,
            abs,
            down: BTreeSet::new(),
        })
    }

    /// Rescans and records additions and removals; grabs new devices while grabbed. A new
    /// device that cannot be grabbed is not recorded as added: the error names it and the next
    /// `changes` tries again.
    fn rescan(&mut self) -> Result<()> {
        let mut now = self.scan()?;
        let mut failed = None;
        for (node, info) in now.clone() {
            if self.known.contains_key(&node) {
                continue;
            }
            if let Some((_, open)) = self.grabbed.as_mut() {
                match Self::open_grabbed(&info) {
                    Ok(o) => open.push(o),
                    Err(e) => {
                        now.remove(&node);
                        failed.get_or_insert(e);
                        continue;
                    }
                }
            }
            self.pending.push(Hotplug::Added(info));
        }
        for (node, info) in &self.known {
            if !now.contains_key(node) {
                self.pending.push(Hotplug::Removed(info.clone()));
                if let Some((_, open)) = self.grabbed.as_mut() {
                    for o in open.iter().filter(|o| o.info.node == *node) {
                        let abs = o.abs.is_some_and(|s| s.absolute());
                        self.released
                            .extend(o.down.iter().map(|c| (node.clone(), *c, abs)));
                    }
                    open.retain(|o| o.info.node != *node);
                }
            }
        }
        self.known = now;
        self.retry = failed.is_some();
        failed.map_or(Ok(()), Err)
    }
}

/// The uinput device the station re-emits through: every key and button, relative axes.
fn virtual_device() -> Result<VirtualDevice> {
    let err = |e: std::io::Error| DeviceError::from_io("/dev/uinput", &e, GROUP);
    let mut keys = AttributeSet::<KeyCode>::new();
    for code in 1..0x2ff {
        keys.insert(KeyCode::new(code));
    }
    let mut rel = AttributeSet::<RelativeAxisCode>::new();
    for a in [
        RelativeAxisCode::REL_X,
        RelativeAxisCode::REL_Y,
        RelativeAxisCode::REL_WHEEL,
        RelativeAxisCode::REL_HWHEEL,
    ] {
        rel.insert(a);
    }
    VirtualDevice::builder()
        .map_err(err)?
        .name(VIRTUAL_NAME)
        .with_keys(&keys)
        .map_err(err)?
        .with_relative_axes(&rel)
        .map_err(err)?
        .build()
        .map_err(err)
}

impl Input for LinuxInput {
    fn devices(&mut self) -> Result<Vec<InputDevice>> {
        self.rescan()?;
        Ok(self.known.values().cloned().collect())
    }

    fn changes(&mut self) -> Result<Vec<Hotplug>> {
        if self.retry || self.watch.as_ref().is_none_or(DirWatch::changed) {
            self.rescan()?;
        }
        Ok(std::mem::take(&mut self.pending))
    }

    fn grab(&mut self) -> Result<()> {
        if self.grabbed.is_some() {
            return Ok(());
        }
        let outputs = Outputs::new()?;
        let mut open = Vec::new();
        for info in self.known.values() {
            match Self::open_grabbed(info) {
                Ok(o) => open.push(o),
                // Grab the others; this one counts as new, so the next `changes` retries it
                // and its error (naming it) comes back from there.
                Err(e) => {
                    tracing::warn!("not grabbed yet: {e}");
                    self.retry = true;
                }
            }
        }
        let grabbed: std::collections::BTreeSet<String> =
            open.iter().map(|o| o.info.node.clone()).collect();
        self.known.retain(|node, _| grabbed.contains(node));
        self.grabbed = Some((outputs, open));
        Ok(())
    }

    fn pump_filtered(
        &mut self,
        timeout_ms: u32,
        keep: &mut dyn FnMut(&InputEvent) -> bool,
    ) -> Result<Vec<InputEvent>> {
        let Some((outputs, open)) = self.grabbed.as_mut() else {
            return Err(DeviceError::new("input", ErrorKind::Other, "not grabbed"));
        };
        // Keys left down by an unplugged device: released, so nothing sticks downstream.
        let mut out = Vec::new();
        for (node, code, abs) in std::mem::take(&mut self.released) {
            let ev = InputEvent {
                node,
                kind: EventType::KEY.0,
                code,
                value: 0,
            };
            if keep(&ev) {
                outputs.emit(abs, &[evdev::InputEvent::new(EventType::KEY.0, code, 0)])?;
                out.push(ev);
            }
        }
        let mut fds: Vec<libc::pollfd> = open
            .iter()
            .map(|o| o.dev.as_raw_fd())
            .chain(self.watch.as_ref().map(DirWatch::as_raw_fd))
            .map(|fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: `fds` is a valid array of pollfd for the duration of the call.
        let n = unsafe {
            libc::poll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                timeout_ms as i32,
            )
        };
        let mut gone = Vec::new();
        if n > 0 {
            let (outputs, open) = self.grabbed.as_mut().expect("grabbed above");
            for (o, p) in open.iter_mut().zip(&fds) {
                if p.revents == 0 {
                    continue;
                }
                let events: Vec<evdev::InputEvent> = match o.dev.fetch_events() {
                    Ok(evs) => evs.collect(),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(e) => {
                        gone.push(DeviceError::from_io(&o.info.node, &e, GROUP));
                        continue;
                    }
                };
                let mut forward = Vec::new();
                for e in events {
                    let e = match &mut o.abs {
                        Some(source) => match source.translate(&e) {
                            Some(t) => t,
                            None => continue,
                        },
                        None if matches!(e.event_type(), EventType::KEY | EventType::RELATIVE) => e,
                        None if e.event_type() == EventType::SYNCHRONIZATION && e.code() == 0 => e,
                        None => continue,
                    };
                    if e.event_type() == EventType::SYNCHRONIZATION {
                        forward.push(e);
                        continue;
                    }
                    let ev = InputEvent {
                        node: o.info.node.clone(),
                        kind: e.event_type().0,
                        code: e.code(),
                        value: e.value(),
                    };
                    if e.event_type() == EventType::KEY {
                        if e.value() == 0 {
                            o.down.remove(&e.code());
                        } else {
                            o.down.insert(e.code());
                        }
                    }
                    if keep(&ev) {
                        forward.push(e);
                        out.push(ev);
                    }
                }
                outputs.emit(o.abs.is_some_and(|s| s.absolute()), &forward)?;
            }
        }
        let plugged = self.watch.as_ref().is_some_and(|w| {
            fds.last()
                .is_some_and(|p| p.fd == w.as_raw_fd() && p.revents != 0)
                && w.changed()
        });
        if !gone.is_empty() || plugged {
            // A node came or went: grab a new device before its first event is read.
            // A device went away mid-read: record it as removed, keep the others running.
            self.rescan()?;
        }
        Ok(out)
    }

    fn press(&mut self, code: u16) -> Result<()> {
        let Some((outputs, _)) = self.grabbed.as_mut() else {
            return Err(DeviceError::new("input", ErrorKind::Other, "not grabbed"));
        };
        let key = |v| evdev::InputEvent::new(EventType::KEY.0, code, v);
        let syn = evdev::InputEvent::new(EventType::SYNCHRONIZATION.0, 0, 0);
        outputs.emit(false, &[key(1), syn, key(0), syn])
    }

    fn release(&mut self) -> Result<()> {
        if let Some((_, open)) = self.grabbed.take() {
            for mut o in open {
                let _ = o.dev.ungrab();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use board_config::{InputBus, InputMatch};

    #[test]
    fn rules_match_every_given_field() {
        let rule = InputMatch {
            name_contains: Some("Keyboard".into()),
            phys_contains: None,
            bus: Some(InputBus::Usb),
        };
        assert!(matches(
            &rule,
            "Logitech USB Keyboard",
            "usb-1",
            BusType::BUS_USB.0
        ));
        assert!(!matches(
            &rule,
            "Logitech USB Keyboard",
            "usb-1",
            BusType::BUS_VIRTUAL.0
        ));
        assert!(!matches(&rule, "Mouse", "usb-1", BusType::BUS_USB.0));
        let virt = InputMatch {
            name_contains: None,
            phys_contains: None,
            bus: Some(InputBus::Virtual),
        };
        assert!(matches(&virt, "anything", "", BusType::BUS_VIRTUAL.0));
    }
}
