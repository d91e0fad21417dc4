//! A power cut mid-exam, and the proctor resuming the exam after it.
//!
//! Last test of the first boot: a student checks in at the image's own stationd (the face
//! check goes on with the proctor's PIN), and 30 s into the recording the guest asks the host
//! to pull the plug ([`POWER_CUT`]: the host quits QEMU at once, nothing is synced or shut
//! down). The host boots the same disk again with [`AFTER_POWER_CUT`]: at boot stationd seals
//! the cut part as interrupted and its readiness card offers to resume it; the test presses
//! F5, the proctor types the PIN, and the exam runs on as its second part for the time that was
//! left. Both parts are uploaded; the host opens them as one exam.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use station::flow::keys::{press, typing};

use crate::checkin::{check_in, run, screenshot, sealed, send, stationd_log, MARKER};
use crate::ctx::share;
use crate::ctx::{ensure, wait_for, Ctx};
use crate::exam::DATA;
use crate::lockdown::plug_grabbed_keyboard;
use crate::Test;

/// Runs last in the first boot (QEMU is gone after it).
pub const CUT: (&str, Test) = ("station_power_cut_mid_exam", cut);

/// The only tests of the boot after the power cut.
pub const AFTER: &[(&str, Test)] = &[
    ("station_exam_resumed_after_power_cut", resumed),
    ("uplink_sends_both_parts", uplink_parts),
];

/// The argument that selects [`AFTER`] (the host passes it for the second boot).
pub const AFTER_POWER_CUT: &str = "--after-power-cut";

/// Console line asking the host to cut the power now.
pub const POWER_CUT: &str = "HW-TESTS-POWER-CUT";

/// Recording time before the plug is pulled.
const INTO_EXAM: Duration = Duration::from_secs(30);

fn pin() -> Result<String, String> {
    std::env::var("STATION_PROCTOR_PIN").map_err(|_| "no STATION_PROCTOR_PIN".into())
}

/// The exam folder being recorded (the spool's unsealed one).
fn recording() -> Option<String> {
    let spool = Path::new(DATA).join("spool");
    std::fs::read_dir(spool)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir() && !p.join("manifest.json").exists() && !is_dot(p))
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
}

fn is_dot(p: &Path) -> bool {
    p.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn cut(_ctx: &Ctx) -> Result<String, String> {
    let pin = pin()?;
    run(Command::new("systemctl").args(["start", "stationd.service"]))?;
    let r = plug_grabbed_keyboard("hw-test power-cut keyboard").and_then(|(mut kb, _)| {
        check_in(&mut kb, &pin)?;
        recording().ok_or_else(|| "recording, but no unsealed exam folder".to_string())
    });
    let exam = r.map_err(|e| format!("{e}\nstationd:\n{}", stationd_log()))?;
    std::fs::write(share().join("exam-id-cut"), &exam).map_err(|e| e.to_string())?;
    std::thread::sleep(INTO_EXAM);
    ensure(Path::new(MARKER).exists(), || {
        format!("{exam} no longer recording after 30 s")
    })?;
    println!("PASS station_power_cut_mid_exam: {exam} recorded 30 s, then the plug is pulled");
    println!("{POWER_CUT}");
    let _ = std::io::stdout().flush();
    std::thread::sleep(Duration::from_secs(600));
    Err("the host did not cut the power within 600 s".into())
}

fn resumed(_ctx: &Ctx) -> Result<String, String> {
    let pin = pin()?;
    let exam = std::fs::read_to_string(share().join("exam-id-cut"))
        .map_err(|e| format!("no exam cut by the power cut: {e}"))?;
    let exam = exam.trim();
    let part1 = Path::new(DATA).join("spool").join(exam);
    let manifest = std::fs::read_to_string(part1.join("manifest.json"))
        .map_err(|e| format!("{exam} not sealed at boot: {e}"))?;
    ensure(manifest.contains("\"interrupted\": true"), || {
        format!("{exam} not sealed as interrupted:\n{manifest}")
    })?;
    let record = std::fs::read_to_string(Path::new(DATA).join("resume.json"))
        .map_err(|e| format!("no resume record after the power cut: {e}"))?;
    let before = sealed();
    run(Command::new("systemctl").args(["start", "stationd.service"]))?;
    let r = resume(&pin, exam, &before);
    let _ = run(Command::new("systemctl").args(["stop", "stationd.service"]));
    let (part2, resumed_s, sealed_s) =
        r.map_err(|e| format!("{e}\nresume.json:\n{record}\nstationd:\n{}", stationd_log()))?;
    run(Command::new(crate::station::stationctl())
        .args(["bundle", "verify"])
        .arg(&part2))?;
    let id = part2
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::write(share().join("exam-id-resumed"), &id).map_err(|e| e.to_string())?;
    Ok(format!(
        "{exam} sealed as interrupted at boot and offered on the readiness card; F5 and the \
         PIN resumed it as {id} recording {resumed_s:.1} s later, sealed {sealed_s:.0} s after"
    ))
}

/// Resumes the offered exam at the readiness card; returns the second part's folder and the
/// times from F5 to the recording and from the recording to the sealed part.
fn resume(pin: &str, exam: &str, before: &[PathBuf]) -> Result<(PathBuf, f64, f64), String> {
    let (mut kb, _) = plug_grabbed_keyboard("hw-test resume keyboard")?;
    let mut paused = Duration::ZERO;
    screenshot(&mut paused, "resume-offer")?;
    let t0 = Instant::now();
    paused = Duration::ZERO;
    send(&mut kb, &press("F5"))?;
    screenshot(&mut paused, "resume-pin")?;
    send(&mut kb, &[typing(pin), press("Enter")].concat())?;
    wait_for(60, || Ok(Path::new(MARKER).exists().then_some(())))?
        .ok_or("no recording 60 s after the proctor's PIN")?;
    let resumed_s = t0.elapsed().saturating_sub(paused).as_secs_f64();
    let started = Instant::now();
    wait_for(180, || Ok((!Path::new(MARKER).exists()).then_some(())))?
        .ok_or("the resumed part was still recording 180 s after it started")?;
    let part2 = wait_for(120, || {
        Ok(sealed().into_iter().find(|p| !before.contains(p)))
    })?
    .ok_or("no sealed second part 120 s after it ended")?;
    let want = format!("{exam}-p2");
    ensure(part2.ends_with(&want), || {
        format!("the new bundle is {}, not {want}", part2.display())
    })?;
    Ok((part2, resumed_s, started.elapsed().as_secs_f64()))
}

fn uplink_parts(_ctx: &Ctx) -> Result<String, String> {
    let exam = std::fs::read_to_string(share().join("exam-id-cut")).map_err(|e| e.to_string())?;
    let part2 =
        std::fs::read_to_string(share().join("exam-id-resumed")).map_err(|e| e.to_string())?;
    run(Command::new("systemctl").args(["restart", "uplinkd.service"]))?;
    let mut sent = Vec::new();
    for id in [exam.trim(), part2.trim()] {
        let took = crate::system::sends(id)?;
        sent.push(format!("{id} in {:.0} s", took.as_secs_f64()));
    }
    Ok(format!(
        "uplinkd.service sent both parts, verified each centrally and deleted it locally: {}",
        sent.join(", ")
    ))
}
