//! A whole exam in the booted image, as the station runs it: `stationctl exam simulate` as the
//! `station` user on the board's real devices, with a keyboard plugged in mid-exam that types
//! blocked combinations and ordinary keys, and a USB stick attached mid-exam (the host adds it
//! through QEMU's monitor when it reads [`ATTACH`] on the console). The sealed bundle is
//! verified; its exam id goes to the share for the host, which opens it after the upload.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use evdev::KeyCode;
use station::devices::linux::input::VIRTUAL_NAME;

use crate::ctx::{ensure, open_named, share, wait_for, Ctx};
use crate::input::keys;
use crate::lockdown::{active_vt, chord, plug_grabbed_keyboard};
use crate::Test;

/// The exam tests, in the order they must run.
pub const TESTS: &[(&str, Test)] = &[
    ("exam_starts_as_station_user", starts),
    (
        "exam_keyboard_plugged_mid_exam_grabbed_and_filtered",
        keyboard,
    ),
    ("exam_usb_storage_attached_mid_exam_unusable", usb_storage),
    crate::network::TESTS[0],
    crate::kiosk::IN_EXAM,
    crate::vt::IN_EXAM,
    crate::escape::IN_EXAM[0],
    crate::escape::IN_EXAM[1],
    // Last before the end: a call stays on the badge for two minutes, and the kiosk test
    // above looks for the bare badge.
    crate::gpio::IN_EXAM[0],
    crate::gpio::IN_EXAM[1],
    crate::gpio::IN_EXAM[2],
    ("exam_sealed_and_verified", sealed),
    crate::gpio::AFTER,
];

/// Console line asking the host to attach a USB mass-storage device.
pub const ATTACH: &str = "HW-TESTS-ATTACH usb-storage";

/// The station's data partition.
pub const DATA: &str = "/var/lib/station";

/// Exam length: long enough for the mid-exam tests under TCG.
const EXAM: &str = "90s";

/// The running exam, between the tests.
static RUNNING: Mutex<Option<Child>> = Mutex::new(None);

fn site() -> PathBuf {
    std::env::var_os("STATION_SITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/etc/station/station.toml".into())
}

fn starts(ctx: &Ctx) -> Result<String, String> {
    let out = share().join("exam.out");
    let file = |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
    let t0 = Instant::now();
    let child = Command::new("setpriv")
        .args(["--reuid=station", "--regid=station", "--init-groups", "--"])
        .arg(crate::station::stationctl())
        .arg("--board")
        .arg(&ctx.board_path)
        .arg("--site")
        .arg(site())
        .arg("--data-dir")
        .arg(DATA)
        .args(["exam", "simulate", "--duration", EXAM])
        .args(["--student", "20260001"])
        .env("ORC_CODE", "backup")
        .stdin(Stdio::null())
        .stdout(file(&out)?)
        .stderr(file(&share().join("exam.err"))?)
        .spawn()
        .map_err(|e| format!("setpriv ... stationctl exam simulate: {e}"))?;
    *RUNNING.lock().map_err(|e| e.to_string())? = Some(child);
    // The filter's virtual device appears when the exam (and its lockdown) has started.
    wait_for(150, || Ok(open_named(VIRTUAL_NAME)?.map(|_| ())))?.ok_or_else(|| {
        format!(
            "no `{VIRTUAL_NAME}` device 150 s after the start; stderr:\n{}",
            std::fs::read_to_string(share().join("exam.err")).unwrap_or_default()
        )
    })?;
    Ok(format!(
        "exam running as user station, lockdown active after {:.1} s",
        t0.elapsed().as_secs_f64()
    ))
}

fn keyboard(_ctx: &Ctx) -> Result<String, String> {
    let (mut kb, grabbed) = plug_grabbed_keyboard("hw-test mid-exam keyboard")?;
    let (_, mut out) = open_named(VIRTUAL_NAME)?.ok_or("the virtual device vanished")?;
    let _ = keys(&mut out);
    let vt = active_vt();
    use KeyCode as K;
    for combo in [
        &[K::KEY_LEFTCTRL, K::KEY_LEFTALT, K::KEY_F2][..],
        &[K::KEY_LEFTALT, K::KEY_TAB],
        &[K::KEY_LEFTMETA],
        &[K::KEY_LEFTCTRL, K::KEY_LEFTALT, K::KEY_BACKSPACE],
    ] {
        chord(&mut kb, combo)?;
    }
    chord(&mut kb, &[K::KEY_E])?;
    chord(&mut kb, &[K::KEY_X])?;
    let mut got = Vec::new();
    wait_for(5, || {
        got.extend(keys(&mut out));
        Ok(got.contains(&(K::KEY_X.code(), 0)).then_some(()))
    })?;
    // The modifiers alone pass (pressing Ctrl or Alt does nothing by itself); the keys that
    // would complete a blocked combination, and Super, must not.
    let modifiers = [K::KEY_LEFTCTRL.code(), K::KEY_LEFTALT.code()];
    let keys: Vec<(u16, i32)> = got
        .iter()
        .copied()
        .filter(|(k, _)| !modifiers.contains(k))
        .collect();
    let want = [
        (K::KEY_E.code(), 1),
        (K::KEY_E.code(), 0),
        (K::KEY_X.code(), 1),
        (K::KEY_X.code(), 0),
    ];
    ensure(keys == want, || {
        format!("out of the filter: {got:?}, want only modifiers, E and X: {want:?}")
    })?;
    ensure(active_vt() == vt, || {
        format!("VT changed from {vt:?} to {:?}", active_vt())
    })?;
    Ok(format!(
        "grabbed {grabbed:.0} ms after plug-in; Ctrl+Alt+F2, Alt+Tab, Super, Ctrl+Alt+Backspace dropped (only their modifiers out), E X passed, VT stays {}",
        vt.unwrap_or_default()
    ))
}

/// USB interfaces of mass-storage class (08): (sysfs name, authorized).
pub(crate) fn storage_interfaces() -> Vec<(String, String)> {
    let read = |p: PathBuf| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let Ok(dir) = std::fs::read_dir("/sys/bus/usb/devices") else {
        return Vec::new();
    };
    let mut v: Vec<(String, String)> = dir
        .flatten()
        .filter(|e| read(e.path().join("bInterfaceClass")) == "08")
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                read(e.path().join("authorized")),
            )
        })
        .collect();
    v.sort();
    v
}

fn usb_storage(_ctx: &Ctx) -> Result<String, String> {
    let before = storage_interfaces();
    let blocks = crate::ctx::dir_names("/sys/block");
    let mounted = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    println!("{ATTACH}");
    let _ = std::io::stdout().flush();
    let new = wait_for(30, || {
        Ok(storage_interfaces()
            .into_iter()
            .find(|i| !before.iter().any(|b| b.0 == i.0)))
    })?
    .ok_or("no new USB mass-storage interface 30 s after asking the host to attach one")?;
    // Give udev and the kernel time to do whatever they would do with it.
    std::thread::sleep(Duration::from_secs(3));
    let now = storage_interfaces();
    let state = now.iter().find(|i| i.0 == new.0).map(|i| i.1.clone());
    let added: Vec<String> = crate::ctx::dir_names("/sys/block")
        .into_iter()
        .filter(|b| !blocks.contains(b))
        .collect();
    ensure(state.as_deref() == Some("0"), || {
        format!("interface {} authorized={state:?}, want 0", new.0)
    })?;
    ensure(added.is_empty(), || format!("new block devices: {added:?}"))?;
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let new_mounts: Vec<&str> = mounts
        .lines()
        .filter(|l| !mounted.lines().any(|m| m == *l))
        .collect();
    ensure(new_mounts.is_empty(), || {
        format!("mounted since the stick came: {new_mounts:?}")
    })?;
    Ok(format!(
        "interface {} (class 08) deauthorized, no block device, nothing mounted",
        new.0
    ))
}

fn sealed(_ctx: &Ctx) -> Result<String, String> {
    let mut child = RUNNING
        .lock()
        .map_err(|e| e.to_string())?
        .take()
        .ok_or("no exam was started")?;
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(240) {
            let _ = child.kill();
            return Err("the exam did not end within 240 s".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = std::fs::read_to_string(share().join("exam.out")).unwrap_or_default();
    let err = std::fs::read_to_string(share().join("exam.err")).unwrap_or_default();
    ensure(status.success(), || {
        format!("exam simulate: {status}:\n{err}")
    })?;
    // The kiosk had the screen and gave it back (stationd logs `display: ...` otherwise).
    ensure(!err.contains("display: "), || {
        format!("the station and the kiosk did not hand the screen over cleanly:\n{err}")
    })?;
    let bundle = PathBuf::from(out.lines().last().unwrap_or_default().trim());
    let verify = Command::new(crate::station::stationctl())
        .args(["bundle", "verify"])
        .arg(&bundle)
        .output()
        .map_err(|e| e.to_string())?;
    ensure(verify.status.success(), || {
        format!(
            "bundle verify {}: {}{}",
            bundle.display(),
            String::from_utf8_lossy(&verify.stdout),
            String::from_utf8_lossy(&verify.stderr)
        )
    })?;
    let exam = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::write(share().join("exam-id"), &exam).map_err(|e| e.to_string())?;
    let files = std::fs::read_dir(&bundle).map(|d| d.count()).unwrap_or(0);
    // The exam's network ruleset and the kiosk go with the exam.
    wait_for(10, || Ok((!crate::network::ruleset_loaded()).then_some(())))?
        .ok_or("the exam's nftables table is still loaded after the exam")?;
    crate::kiosk::gone()?;
    Ok(format!(
        "bundle {exam} sealed and verified ({files} entries); exam ruleset and kiosk gone"
    ))
}
