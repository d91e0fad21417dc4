//! Ways out of the exam that a real exam hall offers, tried mid-exam: a keyboard's
//! system-control node with only the power key, one with only the sleep key, a small pad with
//! only Ctrl, Alt and Delete, and a USB device that calls itself by the station's own virtual
//! device's name. Each must be grabbed by the exam's input filter (our own grab is refused), the
//! machine must stay up with the exam recording, and the host finds each attempt in the
//! exam's timeline (`KeyBlocked`, `InputAttached`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use evdev::uinput::VirtualDevice;
use evdev::KeyCode;
use station::devices::linux::input::VIRTUAL_NAME;

use crate::ctx::{ensure, wait_for, Ctx};
use crate::lockdown::chord;
use crate::Test;

/// Runs while the exam runs.
pub const IN_EXAM: &[(&str, Test)] = &[
    ("exam_power_sleep_and_cad_devices_grabbed", system_keys),
    ("exam_device_named_like_the_station_grabbed", impostor),
];

/// The running exam's marker.
const MARKER: &str = "/run/station/exam-running";

/// A uinput device `name` on the USB bus with only `keys`.
fn device(name: &str, keys: &[KeyCode]) -> Result<VirtualDevice, String> {
    crate::ctx::usb_keys(name, 0x567a, keys.iter().copied())
}

/// The event node of `dev` (by its sysfs path, not its name).
fn node(dev: &mut VirtualDevice) -> Result<PathBuf, String> {
    let t0 = Instant::now();
    loop {
        let found = dev
            .enumerate_dev_nodes_blocking()
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("event"))
            });
        if let Some(p) = found {
            return Ok(p);
        }
        if t0.elapsed() > Duration::from_secs(5) {
            return Err("the uinput device has no event node after 5 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until someone else holds `node` grabbed (our own grab is refused); returns the ms.
fn grabbed_elsewhere(node: &Path) -> Result<f64, String> {
    let t0 = Instant::now();
    wait_for(10, || {
        let mut d = evdev::Device::open(node).map_err(|e| format!("{}: {e}", node.display()))?;
        Ok(d.grab().is_err().then_some(()))
    })?
    .ok_or_else(|| {
        format!(
            "{} not grabbed 10 s after it was plugged in",
            node.display()
        )
    })?;
    Ok(t0.elapsed().as_secs_f64() * 1000.0)
}

fn recording() -> Result<(), String> {
    ensure(Path::new(MARKER).exists(), || {
        "the exam is no longer recording".to_string()
    })
}

fn system_keys(_ctx: &Ctx) -> Result<String, String> {
    use KeyCode as K;
    let mut said = Vec::new();
    // Every device stays plugged in until the end: one unplugged right after its key press
    // could vanish before the filter has read the press.
    let mut plugged = Vec::new();
    for (name, keys, chords) in [
        (
            "hw-test system control (power)",
            vec![K::KEY_POWER],
            vec![vec![K::KEY_POWER]],
        ),
        (
            "hw-test system control (sleep)",
            vec![K::KEY_SLEEP],
            vec![vec![K::KEY_SLEEP]],
        ),
        (
            "hw-test ctrl-alt-delete pad",
            vec![K::KEY_LEFTCTRL, K::KEY_LEFTALT, K::KEY_DELETE],
            vec![vec![K::KEY_LEFTCTRL, K::KEY_LEFTALT, K::KEY_DELETE]],
        ),
    ] {
        let mut dev = device(name, &keys)?;
        let n = node(&mut dev)?;
        let ms = grabbed_elsewhere(&n)?;
        for c in chords {
            chord(&mut dev, &c)?;
        }
        said.push(format!("{name} grabbed in {ms:.0} ms"));
        plugged.push(dev);
    }
    // Give logind and PID 1 time to act on them, if they were going to.
    std::thread::sleep(Duration::from_secs(3));
    recording()?;
    drop(plugged);
    Ok(format!("{}; still up and recording", said.join(", ")))
}

fn impostor(_ctx: &Ctx) -> Result<String, String> {
    let mut dev = device(VIRTUAL_NAME, &[KeyCode::KEY_A, KeyCode::KEY_ENTER])?;
    let n = node(&mut dev)?;
    let ms = grabbed_elsewhere(&n)?;
    chord(&mut dev, &[KeyCode::KEY_A])?;
    std::thread::sleep(Duration::from_secs(1));
    recording()?;
    Ok(format!(
        "a USB device named `{VIRTUAL_NAME}` ({}) grabbed in {ms:.0} ms",
        n.display()
    ))
}
