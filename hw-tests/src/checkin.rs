//! A whole exam sat at the station as a student and a proctor do it: the image's own
//! `stationd` on its readiness card, and a USB keyboard (uinput) that types the student number
//! (a wrong one first), switches to French and back, picks the exam, types a wrong PIN and then
//! the right one, accepts the notice and takes the photo ID; the face scan finds no face in
//! vivid's pattern, and after the failed tries the proctor goes on with the PIN (the override
//! path, switching to French and back on the way). The exam runs to time up and the
//! sealed screen shows the receipt. No `stationctl exam simulate`: the keys go through the
//! station's own input, screens and session.
//!
//! At each screen the guest asks the host for a screenshot on the console
//! ([`SCREENSHOT`] + a name); the host grabs the VM's display with QEMU's `screendump` into the
//! share and reads it with OCR after the run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use evdev::uinput::VirtualDevice;
use evdev::{EventType, KeyCode};
use station::flow::keys::{press, typing};

use crate::ctx::share;
use crate::ctx::{ensure, wait_for, Ctx};
use crate::exam::DATA;
use crate::lockdown::plug_grabbed_keyboard;
use crate::Test;

/// The check-in tests.
pub const TESTS: &[(&str, Test)] = &[
    ("station_exam_typed_at_the_keyboard", typed),
    ("station_exam_ended_by_the_student", by_student),
    ("station_exam_ended_by_the_proctor", by_proctor),
    ("stationd_killed_mid_exam", killed),
];

/// Console line asking the host for a screenshot, followed by its name.
pub const SCREENSHOT: &str = "HW-TESTS-SCREENSHOT ";

/// The running exam's marker (the exam's ruleset and kiosk follow it).
pub(crate) const MARKER: &str = "/run/station/exam-running";

/// How long the station gets to draw a screen after a key under TCG.
const SETTLE: Duration = Duration::from_secs(3);

/// How long a question over the kiosk may take to appear under TCG: the exam loop reads the
/// station keys between screen grabs, each up to 3 s with Chromium starting (the question stays
/// open 30 s).
const QUESTION: Duration = Duration::from_secs(10);

/// Asks the host for a screenshot `name` and waits until it is taken; adds the time that took
/// to `paused`.
pub(crate) fn screenshot(paused: &mut Duration, name: &str) -> Result<(), String> {
    let t0 = Instant::now();
    let r = shoot(name);
    *paused += t0.elapsed();
    r
}

/// Asks the host for a screenshot `name` and waits until it is in the share.
pub(crate) fn shoot(name: &str) -> Result<(), String> {
    std::thread::sleep(SETTLE);
    let file = share().join("screens").join(format!("{name}.ppm"));
    println!("{SCREENSHOT}{name}");
    let _ = std::io::stdout().flush();
    wait_for(30, || Ok(file.exists().then_some(())))?
        .ok_or_else(|| format!("the host took no screenshot `{name}` within 30 s"))
}

/// Sends key events `(code, value)`, each with its SYN_REPORT, a little apart as typed.
pub(crate) fn send(kb: &mut VirtualDevice, events: &[(u16, i32)]) -> Result<(), String> {
    for (code, value) in events {
        kb.emit(&[evdev::InputEvent::new(EventType::KEY.0, *code, *value)])
            .map_err(|e| format!("typing {:?}={value}: {e}", KeyCode::new(*code)))?;
        std::thread::sleep(Duration::from_millis(30));
    }
    Ok(())
}

pub(crate) fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    ensure(out.status.success(), || {
        format!("{cmd:?}: {}: {text}", out.status)
    })?;
    Ok(text)
}

/// Sealed bundles in the spool.
pub(crate) fn sealed() -> Vec<PathBuf> {
    let spool = Path::new(DATA).join("spool");
    let mut v: Vec<PathBuf> = std::fs::read_dir(spool)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.join("manifest.json").is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

pub(crate) fn stationd_log() -> String {
    run(Command::new("journalctl").args(["-u", "stationd.service", "-n", "30", "--no-pager"]))
        .unwrap_or_default()
}

fn typed(_ctx: &Ctx) -> Result<String, String> {
    let pin = std::env::var("STATION_PROCTOR_PIN").map_err(|_| "no STATION_PROCTOR_PIN")?;
    let before = sealed();
    let t0 = Instant::now();
    // stationd is Type=notify: `start` returns once it is on its readiness card.
    run(Command::new("systemctl").args(["start", "stationd.service"]))?;
    let ready_s = t0.elapsed().as_secs_f64();
    let r = sit_exam(&pin, &before);
    // The other tests drive the devices themselves.
    let _ = run(Command::new("systemctl").args(["stop", "stationd.service"]));
    let (exam, checkin_s, exam_s) = r.map_err(|e| format!("{e}\nstationd:\n{}", stationd_log()))?;
    std::fs::write(share().join("exam-id-typed"), &exam).map_err(|e| e.to_string())?;
    Ok(format!(
        "stationd ready {ready_s:.1} s after start; check-in to recording {checkin_s:.1} s; \
         exam {exam} sealed {exam_s}"
    ))
}

/// Types a whole check-in and exam; returns the exam id and the times from the first key to
/// the recording, and from the recording to the sealed bundle.
fn sit_exam(pin: &str, before: &[PathBuf]) -> Result<(String, f64, String), String> {
    let (mut kb, _) = plug_grabbed_keyboard("hw-test check-in keyboard")?;
    let mut paused = Duration::ZERO;
    screenshot(&mut paused, "ready")?;
    // F3: the health report's summary as a QR code; any key goes back.
    send(&mut kb, &press("F3"))?;
    screenshot(&mut paused, "health")?;
    send(&mut kb, &press("Escape"))?;
    // The check-in's clock: from here, less the screenshots taken from here on (those of the
    // card before it are not part of it: counting them once made the pauses longer than the
    // check-in, and the subtraction overflowed).
    let t0 = Instant::now();
    paused = Duration::ZERO;
    send(&mut kb, &press("Enter"))?;
    send(&mut kb, &typing("12"))?;
    send(&mut kb, &press("Enter"))?;
    screenshot(&mut paused, "student-error")?;
    send(&mut kb, &press("F2"))?;
    screenshot(&mut paused, "student-fr")?;
    send(&mut kb, &press("F2"))?;
    send(&mut kb, &typing("20261234"))?;
    send(&mut kb, &press("Enter"))?;
    screenshot(&mut paused, "exam")?;
    send(&mut kb, &press("Enter"))?;
    screenshot(&mut paused, "proctor")?;
    send(&mut kb, &typing("0000"))?;
    send(&mut kb, &press("Enter"))?;
    screenshot(&mut paused, "proctor-wrong")?;
    send(&mut kb, &typing(pin))?;
    send(&mut kb, &press("Enter"))?;
    screenshot(&mut paused, "notice")?;
    send(&mut kb, &press("F2"))?;
    screenshot(&mut paused, "notice-fr")?;
    send(&mut kb, &press("F2"))?;
    send(&mut kb, &press("Enter"))?;
    screenshot(&mut paused, "identity")?;
    let offers = face_offers();
    send(&mut kb, &press("Enter"))?;
    screenshot(&mut paused, "face")?;
    send(&mut kb, &press("F2"))?;
    screenshot(&mut paused, "face-fr")?;
    send(&mut kb, &press("F2"))?;
    face_override(&mut kb, pin, offers, Some(&mut paused))?;
    wait_for(120, || Ok(Path::new(MARKER).exists().then_some(())))?
        .ok_or("no exam recording 120 s after the face check")?;
    // From the first key to the recording, less the pauses for the screenshots.
    let checkin_s = t0.elapsed().saturating_sub(paused).as_secs_f64();
    let started = Instant::now();
    // The recording screen is the kiosk with the badge over it: grabbed once the kiosk runs and
    // has had a moment to draw (the marker appears before the compositor's first frame).
    crate::kiosk::kiosk_up(90)?;
    std::thread::sleep(std::time::Duration::from_secs(5));
    screenshot(&mut paused, "recording")?;
    let browser = browser_back()?;
    wait_for(300, || Ok((!Path::new(MARKER).exists()).then_some(())))?
        .ok_or("the exam was still recording 300 s after it started")?;
    let new = wait_for(120, || {
        Ok(sealed().into_iter().find(|p| !before.contains(p)))
    })?
    .ok_or("no new sealed bundle 120 s after the exam ended")?;
    let exam_s = started.elapsed().as_secs_f64();
    screenshot(&mut paused, "sealed")?;
    send(&mut kb, &press("Enter"))?;
    screenshot(&mut paused, "ready-again")?;
    run(Command::new(crate::station::stationctl())
        .args(["bundle", "verify"])
        .arg(&new))?;
    let exam = new
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((
        exam,
        checkin_s,
        format!("{exam_s:.0} s after it started; {browser}"),
    ))
}

/// The browser's processes (Chromium as the kiosk user).
pub(crate) fn chromium() -> Vec<String> {
    let out = Command::new("pgrep")
        .args(["-u", "exam-browser", "chromium"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.split_whitespace().map(str::to_string).collect()
}

/// Kills the kiosk's browser mid-exam; it must be back (a new process, the kiosk unit active)
/// within 15 s.
fn browser_back() -> Result<String, String> {
    let before = wait_for(60, || {
        let p = chromium();
        Ok((!p.is_empty()).then_some(p))
    })?
    .ok_or("no Chromium 60 s into the exam")?;
    run(Command::new("pkill").args(["-KILL", "-u", "exam-browser", "chromium"]))?;
    let t0 = Instant::now();
    // The unit restarts the kiosk at once; Chromium's own start takes 10 to 16 s under TCG
    // while the exam records (measured), hence the margin.
    wait_for(30, || {
        let now = chromium();
        let fresh = !now.is_empty() && now.iter().all(|p| !before.contains(p));
        Ok((fresh && crate::ctx::unit_active("exam-kiosk.service")).then_some(()))
    })?
    .ok_or("the browser was not back 30 s after it was killed")?;
    Ok(format!(
        "Chromium killed mid-exam was back in {:.1} s",
        t0.elapsed().as_secs_f64()
    ))
}

/// Types a check-in at stationd fast (no screenshots) up to the recording.
pub(crate) fn check_in(kb: &mut VirtualDevice, pin: &str) -> Result<(), String> {
    let step = |kb: &mut VirtualDevice, events: Vec<(u16, i32)>| -> Result<(), String> {
        send(kb, &events)?;
        std::thread::sleep(SETTLE);
        Ok(())
    };
    step(kb, press("Enter"))?;
    step(kb, [typing("20261234"), press("Enter")].concat())?;
    step(kb, press("Enter"))?;
    step(kb, [typing(pin), press("Enter")].concat())?;
    step(kb, press("Enter"))?;
    let offers = face_offers();
    send(kb, &press("Enter"))?;
    face_override(kb, pin, offers, None)?;
    wait_for(120, || Ok(Path::new(MARKER).exists().then_some(())))?
        .ok_or("no exam recording 120 s after the check-in")?;
    Ok(())
}

/// What stationd logs when the face check offers the proctor to go on.
const FACE_OFFER: &str = "the proctor may go on with the PIN";

/// How many times stationd offered the proctor to go on at the face check so far.
fn face_offers() -> usize {
    run(Command::new("journalctl").args(["-u", "stationd.service", "-o", "cat", "--no-pager"]))
        .map(|log| log.matches(FACE_OFFER).count())
        .unwrap_or(0)
}

/// The face scan on vivid's pattern finds no face: waits until the failed tries make the
/// station offer the proctor to go on (one more offer than `before`), as the proctor sees it
/// on screen, then types the PIN. With `paused`, screenshots the offer first.
fn face_override(
    kb: &mut VirtualDevice,
    pin: &str,
    before: usize,
    paused: Option<&mut Duration>,
) -> Result<(), String> {
    wait_for(120, || Ok((face_offers() > before).then_some(())))?
        .ok_or("the face check offered the proctor no way on within 120 s")?;
    if let Some(paused) = paused {
        screenshot(paused, "face-proctor")?;
    }
    send(kb, &[typing(pin), press("Enter")].concat())
}

/// Runs `body` against a started stationd with a fresh keyboard (after a check-in up to the
/// recording); stops stationd after, and puts its log in any error.
fn with_exam(
    name: &str,
    body: impl FnOnce(&mut VirtualDevice, &str, &[PathBuf]) -> Result<String, String>,
) -> Result<String, String> {
    let pin = std::env::var("STATION_PROCTOR_PIN").map_err(|_| "no STATION_PROCTOR_PIN")?;
    let before = sealed();
    run(Command::new("systemctl").args(["start", "stationd.service"]))?;
    let r = plug_grabbed_keyboard(name).and_then(|(mut kb, _)| {
        check_in(&mut kb, &pin)?;
        kiosk_up()?;
        body(&mut kb, &pin, &before)
    });
    let _ = run(Command::new("systemctl").args(["stop", "stationd.service"]));
    r.map_err(|e| format!("{e}\nstationd:\n{}", stationd_log()))
}

/// Waits until the kiosk shows (its browser runs), as a person at the station would before
/// pressing a station key: until the compositor's first frame, nothing drawn over it is seen.
fn kiosk_up() -> Result<(), String> {
    wait_for(60, || {
        Ok((crate::ctx::unit_active("exam-kiosk.service") && !chromium().is_empty()).then_some(()))
    })?
    .ok_or("no kiosk browser 60 s into the exam")?;
    std::thread::sleep(SETTLE);
    Ok(())
}

/// Waits for the exam to be sealed after it was ended; writes its id to `share/file`.
fn sealed_as(before: &[PathBuf], file: &str) -> Result<String, String> {
    wait_for(60, || Ok((!Path::new(MARKER).exists()).then_some(())))?
        .ok_or("still recording 60 s after the exam was ended")?;
    let bundle = wait_for(120, || {
        Ok(sealed().into_iter().find(|p| !before.contains(p)))
    })?
    .ok_or("no sealed bundle 120 s after the exam was ended")?;
    run(Command::new(crate::station::stationctl())
        .args(["bundle", "verify"])
        .arg(&bundle))?;
    let exam = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::write(share().join(file), &exam).map_err(|e| e.to_string())?;
    Ok(exam)
}

/// The station key `keys` pressed together (Ctrl+Alt+E, Ctrl+Alt+P).
fn chord(kb: &mut VirtualDevice, keys: &[KeyCode]) -> Result<(), String> {
    let mut events: Vec<(u16, i32)> = keys.iter().map(|k| (k.code(), 1)).collect();
    events.extend(keys.iter().rev().map(|k| (k.code(), 0)));
    send(kb, &events)
}

/// The student ends the exam with Ctrl+Alt+E: a question over the kiosk (grabbed for OCR), then
/// Enter. (Esc on the question is covered by `flow::control`'s tests: here the exam loop may
/// take a screen grab's time, seconds under TCG, to give the keys back after Esc.)
fn by_student(_ctx: &Ctx) -> Result<String, String> {
    with_exam("hw-test student-end keyboard", |kb, _, before| {
        let mut paused = Duration::ZERO;
        use KeyCode as K;
        chord(kb, &[K::KEY_LEFTCTRL, K::KEY_LEFTALT, K::KEY_E])?;
        std::thread::sleep(QUESTION);
        recording_still()?;
        screenshot(&mut paused, "confirm-end")?;
        let t0 = Instant::now();
        send(kb, &press("Enter"))?;
        // Ended by the key, not by time up (which is tens of seconds away).
        wait_for(20, || Ok((!Path::new(MARKER).exists()).then_some(())))?
            .ok_or("still recording 20 s after Enter on the question")?;
        let exam = sealed_as(before, "exam-id-student")?;
        Ok(format!(
            "the question showed over the kiosk; Enter ended the exam, {exam} sealed {:.0} s later",
            t0.elapsed().as_secs_f64()
        ))
    })
}

/// The proctor ends the exam with Ctrl+Alt+P and the PIN (a wrong one first).
fn by_proctor(_ctx: &Ctx) -> Result<String, String> {
    with_exam("hw-test proctor-end keyboard", |kb, pin, before| {
        let mut paused = Duration::ZERO;
        use KeyCode as K;
        chord(kb, &[K::KEY_LEFTCTRL, K::KEY_LEFTALT, K::KEY_P])?;
        // As a proctor would, wait for the question before typing.
        std::thread::sleep(QUESTION);
        send(kb, &[typing("0000"), press("Enter")].concat())?;
        std::thread::sleep(SETTLE);
        recording_still()?;
        screenshot(&mut paused, "proctor-end")?;
        let t0 = Instant::now();
        send(kb, &[typing(pin), press("Enter")].concat())?;
        // The exam loop checks the PIN with argon2id (19 MiB, two passes) before it stops the
        // recording: seconds under TCG with the kiosk busy.
        wait_for(40, || Ok((!Path::new(MARKER).exists()).then_some(())))?
            .ok_or("still recording 40 s after the proctor's PIN")?;
        let exam = sealed_as(before, "exam-id-proctor")?;
        Ok(format!(
            "a wrong PIN kept the exam going; the right one ended it, {exam} sealed {:.0} s later",
            t0.elapsed().as_secs_f64()
        ))
    })
}

fn recording_still() -> Result<(), String> {
    ensure(Path::new(MARKER).exists(), || {
        "the exam stopped recording".to_string()
    })
}

/// `kill -9` of stationd 15 s into an exam: the marker, the exam's ruleset and the kiosk are
/// gone within 10 s; systemd starts stationd again, which seals the exam as interrupted and is
/// back on its readiness card.
fn killed(_ctx: &Ctx) -> Result<String, String> {
    with_exam("hw-test kill keyboard", |_, _, before| {
        kill_mid_exam(before)
    })
}

fn kill_mid_exam(before: &[PathBuf]) -> Result<String, String> {
    std::thread::sleep(Duration::from_secs(15));
    run(Command::new("systemctl").args(["kill", "-s", "KILL", "stationd.service"]))?;
    let t0 = Instant::now();
    wait_for(10, || {
        Ok((!Path::new(MARKER).exists()
            && !crate::network::ruleset_loaded()
            && !crate::ctx::unit_active("exam-kiosk.service"))
        .then_some(()))
    })?
    .ok_or_else(|| {
        format!(
            "10 s after kill -9: marker {}, ruleset {}, kiosk {}",
            Path::new(MARKER).exists(),
            crate::network::ruleset_loaded(),
            crate::ctx::unit_active("exam-kiosk.service")
        )
    })?;
    let gone = t0.elapsed().as_secs_f64();
    let bundle = wait_for(120, || {
        Ok(sealed().into_iter().find(|p| !before.contains(p)))
    })?
    .ok_or("no sealed bundle 120 s after stationd was killed")?;
    let manifest = std::fs::read_to_string(bundle.join("manifest.json")).unwrap_or_default();
    ensure(manifest.contains("\"interrupted\": true"), || {
        format!(
            "{} is not sealed as interrupted:\n{manifest}",
            bundle.display()
        )
    })?;
    wait_for(120, || {
        Ok(crate::ctx::unit_active("stationd.service").then_some(()))
    })?
    .ok_or("stationd not active again 120 s after it was killed")?;
    let back = t0.elapsed().as_secs_f64();
    run(Command::new(crate::station::stationctl())
        .args(["bundle", "verify"])
        .arg(&bundle))?;
    let exam = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::write(share().join("exam-id-killed"), &exam).map_err(|e| e.to_string())?;
    Ok(format!(
        "marker, ruleset and kiosk gone {gone:.1} s after kill -9; stationd back and {exam} \
         sealed as interrupted after {back:.0} s"
    ))
}
