//! The exam shell. In the running exam: exam-kiosk.service comes up with the exam's ruleset,
//! sway and Chromium run as `exam-browser` with the site's managed policy, the station can read
//! the kiosk's screen for the recording, and its recording badge is on that screen. Then, without the recording's load (TCG is slow
//! enough for a browser), the kiosk is started the way the exam starts it (the marker) and the
//! exam page (served by the host at 10.0.2.100 as exam.station.test, one solid colour) must come on screen, read back
//! through the wlr-screencopy path the recording uses, with no recording badge (nothing records).
//! Then sway's IPC socket must answer root and refuse the station user, and Ctrl+W must leave
//! the exam page on screen (the browser ignores it, or closes and comes back). After each, the
//! kiosk is gone.

use std::time::{Duration, Instant};

use std::path::Path;

use station::devices::linux::wayland::screencopy;
use station::lockdown::net::{user_uid, MARKER};
use station::station::DEFAULT_RUNTIME_DIR;

use crate::ctx::{ensure, unit_active, wait_for, Ctx};

/// The exam page's background (`cargo xtask exam-page` serves `#2e8b57`).
pub const EXAM_PAGE_RGB: [u8; 3] = [0x2e, 0x8b, 0x57];

/// The policy file exam-kiosk.service mounts for Chromium.
const POLICY: &str = "/run/exam-kiosk/policy/exam-station.json";

/// The uid owning `/proc/<pid>`, and the process's name.
fn processes() -> Vec<(u32, String)> {
    use std::os::unix::fs::MetadataExt;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| {
            let uid = e.metadata().ok()?.uid();
            let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
            Some((uid, comm.trim().to_string()))
        })
        .collect()
}

/// Share of the frame's pixels within 12 of `rgb` on every channel.
fn share_of(frame: &station::devices::Frame, rgb: [u8; 3]) -> f64 {
    let n = frame.rgb.len() / 3;
    let hits = frame
        .rgb
        .chunks_exact(3)
        .filter(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 12))
        .count();
    hits as f64 / n.max(1) as f64
}

/// Runs while the exam of [`crate::exam`] runs.
pub const IN_EXAM: (&str, crate::Test) = ("exam_kiosk_takes_the_screen", takes_screen);

/// Runs after the exam.
pub const TESTS: &[(&str, crate::Test)] = &[("kiosk_shows_the_exam_page", shows_page)];

/// The kiosk's compositor (process name).
const COMPOSITOR: &str = "sway";

/// Waits for the compositor and Chromium of `exam-browser`, with the site's policy; returns seconds.
pub fn kiosk_up(secs: u64) -> Result<f64, String> {
    let t0 = Instant::now();
    let browser = user_uid("exam-browser").ok_or("no user exam-browser")?;
    wait_for(secs, || {
        let p = processes();
        let ok = unit_active("exam-kiosk.service")
            && p.iter().any(|(u, c)| *u == browser && c == COMPOSITOR)
            && p.iter()
                .any(|(u, c)| *u == browser && c.starts_with("chromium"));
        Ok(ok.then_some(()))
    })?
    .ok_or_else(|| {
        format!(
            "no {COMPOSITOR} + chromium of exam-browser after {secs} s; exam-kiosk.service:\n{}\n{}",
            crate::network::journal("exam-kiosk.service"),
            units_state()
        )
    })?;
    let started = t0.elapsed().as_secs_f64();
    let strays: Vec<String> = processes()
        .into_iter()
        .filter(|(_, c)| c == COMPOSITOR || c.starts_with("chromium"))
        .filter(|(u, _)| *u != browser)
        .map(|(u, c)| format!("{c} (uid {u})"))
        .collect();
    ensure(strays.is_empty(), || {
        format!("kiosk processes of another user: {strays:?}")
    })?;
    let policy: serde_json::Value = std::fs::read_to_string(POLICY)
        .map_err(|e| format!("{POLICY}: {e}"))
        .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("{POLICY}: {e}")))?;
    ensure(
        policy["URLBlocklist"][0] == "*"
            && policy["URLAllowlist"]
                .as_array()
                .is_some_and(|a| a.iter().any(|h| h == ".exam.station.test"))
            && policy["DeveloperToolsAvailability"] == 2,
        || format!("{POLICY} is not the site's policy: {policy}"),
    )?;
    // The browser reads it where Chromium looks, through its own mount namespace (looked at for
    // up to 10 s: a Chromium process may be starting or gone as its list is read).
    let look = || {
        crate::checkin::chromium().into_iter().find_map(|pid| {
            std::fs::read_to_string(format!(
                "/proc/{pid}/root/etc/chromium/policies/managed/exam-station.json"
            ))
            .ok()
            .filter(|t| !t.is_empty())
        })
    };
    let t_seen = Instant::now();
    let mut seen = look();
    while seen.is_none() && t_seen.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(250));
        seen = look();
    }
    let seen = seen.unwrap_or_default();
    ensure(
        serde_json::from_str::<serde_json::Value>(&seen).ok() == Some(policy),
        || {
            format!("Chromium's /etc/chromium/policies/managed/exam-station.json is not the site's policy: {seen:?}")
        },
    )?;
    Ok(started)
}

/// Where the recording badge's pixels are on `frame`: (count, all in the top right corner).
fn badge_pixels(frame: &station::devices::Frame) -> (usize, bool) {
    let red = station::ui::Theme::default().recording;
    let (w, h) = (frame.width as usize, frame.height as usize);
    let mut count = 0;
    let mut cornered = true;
    for (i, p) in frame.rgb.chunks_exact(3).enumerate() {
        if p == red {
            count += 1;
            cornered &= i % w >= w * 3 / 4 && i / w < h / 6;
        }
    }
    (count, cornered)
}

fn takes_screen(_ctx: &Ctx) -> Result<String, String> {
    let started = kiosk_up(90)?;
    // The station reads the kiosk's screen (what it records) through the compositor, and its
    // recording badge is on it, in the top right corner.
    let socket = screencopy::socket_path();
    // At least as many as the smallest badge the station draws (scale 1) has.
    let least = badge_pixels(&station::ui::badge(1, &station::ui::Theme::default())).0;
    let mut seen = String::from("no frame");
    let frame = wait_for(30, || {
        std::thread::sleep(Duration::from_secs(1));
        Ok(match screencopy::grab(&socket) {
            Ok(f) => {
                let (n, cornered) = badge_pixels(&f);
                seen = format!("{n} badge pixels, all in the top right corner: {cornered}");
                (n >= least && cornered).then_some(f)
            }
            Err(e) => {
                seen = e.to_string();
                None
            }
        })
    })?
    .ok_or_else(|| format!("no recording badge on the kiosk's screen in 30 s ({seen})"))?;
    Ok(format!(
        "{COMPOSITOR} + chromium as exam-browser {started:.1} s into the exam, site policy mounted; kiosk screen {}x{} readable for the recording, with the recording badge ({})",
        frame.width, frame.height, seen
    ))
}

fn shows_page(_ctx: &Ctx) -> Result<String, String> {
    let t0 = Instant::now();
    // The marker with which stationd starts the exam's ruleset, and with it the kiosk.
    let marker = Path::new(DEFAULT_RUNTIME_DIR).join(MARKER);
    std::fs::write(&marker, b"").map_err(|e| format!("{}: {e}", marker.display()))?;
    let result = page_on_screen().and_then(|first| {
        let shown = t0.elapsed().as_secs_f64();
        let ipc = ipc_only_for_the_browser()?;
        let closed = ctrl_w()?;
        Ok((first, shown, ipc, closed))
    });
    let _ = std::fs::remove_file(&marker);
    gone()?;
    let ((size, best), shown, ipc, closed) = result?;
    Ok(format!(
        "exam page on the kiosk's screen ({}x{}, {:.0} % page colour) {shown:.1} s after the kiosk was started; {closed}; {ipc}",
        size.0,
        size.1,
        best * 100.0,
    ))
}

/// Ctrl+W on the kiosk, through a device the kiosk reads (named like the station's filtered
/// one: nothing filters here, no exam runs): the exam page must be on screen after, whether
/// the browser ignored the keys or closed and came back.
fn ctrl_w() -> Result<String, String> {
    use evdev::KeyCode as K;
    let before = crate::checkin::chromium();
    let name = format!(
        "{} (hw-test Ctrl+W)",
        station::devices::linux::input::VIRTUAL_NAME
    );
    let mut kb = crate::ctx::usb_keys(&name, 0x567b, [K::KEY_LEFTCTRL, K::KEY_W])?;
    // The compositor opens the new device (udev gives it to exam-browser) before it can read it.
    std::thread::sleep(Duration::from_secs(3));
    let t0 = Instant::now();
    crate::lockdown::chord(&mut kb, &[K::KEY_LEFTCTRL, K::KEY_W])?;
    std::thread::sleep(Duration::from_secs(3));
    drop(kb);
    page_on_screen()?;
    let after = crate::checkin::chromium();
    let how = if after.iter().any(|p| before.contains(p)) {
        "the browser stayed"
    } else {
        "the browser closed and came back"
    };
    Ok(format!(
        "after Ctrl+W the exam page was on screen {:.1} s later ({how})",
        t0.elapsed().as_secs_f64()
    ))
}

/// What systemd says of the exam's units, and its warnings (for a kiosk that did not start).
fn units_state() -> String {
    use std::process::Command;
    let status = crate::network::output(Command::new("systemctl").args([
        "status",
        "--no-pager",
        "-n",
        "20",
        "exam-network.service",
        "exam-kiosk.service",
        "exam-vt-lock.service",
    ]));
    let warnings = crate::network::output(Command::new("journalctl").args([
        "--no-pager",
        "-b",
        "-p",
        "warning",
        "-n",
        "40",
    ]));
    format!("systemctl status:\n{status}\nwarnings:\n{warnings}")
}

/// The compositor's IPC socket (sway: it can start programs as the browser's user) answers
/// root but refuses the station user, who shares the Wayland socket's folder for the recording.
fn ipc_only_for_the_browser() -> Result<String, String> {
    let socket = Path::new(SWAY_IPC);
    // The i3 IPC header of GET_VERSION: magic, payload length 0, type 7.
    let mut ask = b"i3-ipc".to_vec();
    ask.extend_from_slice(&0u32.to_ne_bytes());
    ask.extend_from_slice(&7u32.to_ne_bytes());
    let answer = {
        use std::io::{Read, Write};
        let mut s = std::os::unix::net::UnixStream::connect(socket)
            .map_err(|e| format!("{}: {e} (as root)", socket.display()))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        s.write_all(&ask).map_err(|e| e.to_string())?;
        let mut head = [0u8; 14];
        s.read_exact(&mut head)
            .map_err(|e| format!("{}: {e}", socket.display()))?;
        head
    };
    ensure(&answer[..6] == b"i3-ipc", || {
        format!("{} answered root {answer:?}, not i3-ipc", socket.display())
    })?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=station", "--regid=station", "--init-groups", "--"])
        .arg(me)
        .arg("--unix-connect")
        .arg(socket)
        .output()
        .map_err(|e| format!("setpriv: {e}"))?;
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    ensure(said.starts_with("error") && said.contains("denied"), || {
        format!(
            "the station user connecting to {}: {said}",
            socket.display()
        )
    })?;
    Ok(format!(
        "sway's IPC answered root and refused the station user ({said})"
    ))
}

/// Where exam-kiosk.service has sway put its IPC socket (`SWAYSOCK`), in a folder only the
/// browser's user may enter.
const SWAY_IPC: &str = "/run/exam-browser/ipc/sway.sock";

/// Saves `frame` to the share for a look, and describes it.
fn describe(frame: &station::devices::Frame) -> String {
    let ppm = crate::ctx::share().join("kiosk-screen.ppm");
    let mut data = format!("P6\n{} {}\n255\n", frame.width, frame.height).into_bytes();
    data.extend_from_slice(&frame.rgb);
    let saved =
        std::fs::write(&ppm, data).map_or_else(|e| e.to_string(), |_| ppm.display().to_string());
    let mid = ((frame.height / 2 * frame.width + frame.width / 2) * 3) as usize;
    format!(
        "last screen {}x{}, centre {:?}, saved as {saved}",
        frame.width,
        frame.height,
        frame.rgb.get(mid..mid + 3)
    )
}

/// Waits for the exam page to cover most of the kiosk's screen: (screen size, share).
fn page_on_screen() -> Result<((u32, u32), f64), String> {
    kiosk_up(90)?;
    let socket = screencopy::socket_path();
    let mut best = 0.0f64;
    let mut last_err = String::new();
    let mut last: Option<station::devices::Frame> = None;
    let size = wait_for(PAGE_SECS, || {
        // Once a second, as the recording does: a tighter loop would starve the guest's CPUs.
        std::thread::sleep(Duration::from_secs(1));
        match screencopy::grab(&socket) {
            Ok(frame) => {
                best = best.max(share_of(&frame, EXAM_PAGE_RGB));
                let size = (frame.width, frame.height);
                let done = best > 0.5;
                last = Some(frame);
                return Ok(done.then_some(size));
            }
            Err(e) => last_err = e.to_string(),
        }
        Ok(None)
    })?
    .ok_or_else(|| {
        format!(
            "the exam page never covered half the kiosk's screen in {PAGE_SECS} s (best {:.0} %; {}; last error from {}: {last_err}); exam-kiosk.service:\n{}",
            best * 100.0,
            last.as_ref().map_or("no screen read".into(), describe),
            socket.display(),
            crate::network::journal("exam-kiosk.service")
        )
    })?;
    // Nothing records now: the page must show without the recording badge.
    let (badge, _) = last.as_ref().map_or((0, true), badge_pixels);
    ensure(badge == 0, || {
        format!("{badge} recording badge pixels on the kiosk's screen while nothing records")
    })?;
    Ok((size, best))
}

/// How long the page may take to show under TCG.
const PAGE_SECS: u64 = 240;

/// The kiosk stopped with the ruleset.
pub fn gone() -> Result<(), String> {
    wait_for(
        30,
        || Ok((!unit_active("exam-kiosk.service")).then_some(())),
    )?
    .ok_or("exam-kiosk.service still active 30 s after the exam's marker went")?;
    Ok(())
}
