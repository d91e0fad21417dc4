//! The station's own virtual input devices, known by where the kernel put them (their sysfs
//! input node), never by their name: a USB device that calls itself "exam-station virtual
//! input" is an ordinary device to grab and journal, not one of ours to pass over.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use evdev::uinput::VirtualDevice;

/// Sysfs input nodes (`/sys/devices/virtual/input/inputN`) of this process's virtual devices.
static OWN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A virtual device this process made; it is known as ours until dropped.
pub struct OwnDevice {
    /// The uinput device.
    pub dev: VirtualDevice,
    syspath: Option<PathBuf>,
}

impl OwnDevice {
    /// Registers `dev` as one of the station's own devices.
    pub fn new(mut dev: VirtualDevice) -> OwnDevice {
        let syspath = dev.get_syspath().ok().and_then(|p| p.canonicalize().ok());
        if let Some(p) = &syspath {
            OWN.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(p.clone());
        }
        OwnDevice { dev, syspath }
    }
}

impl Drop for OwnDevice {
    fn drop(&mut self) {
        if let Some(p) = &self.syspath {
            OWN.lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|o| o != p);
        }
    }
}

/// Whether the event node `node` (`/dev/input/eventN`) belongs to one of this process's own
/// virtual devices.
pub fn is_own(node: &Path) -> bool {
    let Some(name) = node.file_name() else {
        return false;
    };
    let Ok(input) = Path::new("/sys/class/input")
        .join(name)
        .join("device")
        .canonicalize()
    else {
        return false;
    };
    OWN.lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&input)
}
