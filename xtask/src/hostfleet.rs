//! The host's side of the hw-test's health reports: the image's station wrote its signed report
//! at boot (the guest's `STATION-BOOT-HEALTH` line) and after its exams, and its uplink pushed it
//! to the store; `examctl fleet status` and `show` on the host, reading the bucket with the
//! registry the enrolment wrote, must show the station with its image version, its self-test
//! results and the exams it sealed.

use std::path::Path;
use std::process::Command;

use crate::imagetest::Tally;
use crate::{qemu, run};

/// `examctl fleet ARGS` with the store of `site`, `creds` and the registry of `dir`; its output
/// and exit code.
fn fleet(dir: &Path, site: &Path, creds: &Path, args: &[&str]) -> (String, Option<i32>) {
    let out = Command::new(run::root().join("target/debug/examctl"))
        .arg("fleet")
        .args(args)
        .arg("--site")
        .arg(site)
        .arg("--credentials")
        .arg(creds)
        .arg("--registry")
        .arg(dir.join(crate::hostopen::REGISTRY))
        .output();
    match out {
        Ok(o) => (
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
            o.status.code(),
        ),
        Err(e) => (format!("examctl: {e}"), None),
    }
}

/// Checks the report written at boot, then the fleet's view of `station` after the exams
/// (`exams`: the ids uploaded; the first one's fetched manifest names the image).
pub fn checked_on_host(
    dir: &Path,
    boot: &qemu::Watched,
    station: &str,
    exams: &[&str],
    site: &Path,
    creds: &Path,
    t: &mut Tally,
) {
    let line = boot
        .console
        .iter()
        .find(|l| l.starts_with("STATION-BOOT-HEALTH"))
        .cloned()
        .unwrap_or_default();
    t.check(
        ["boot", "selftest", "upload"]
            .iter()
            .any(|r| line.split_whitespace().any(|w| w == format!("reason={r}"))),
        "the station wrote its health report at boot".into(),
        || format!("report line: {line:?}"),
    );
    let image = exams
        .first()
        .and_then(|e| std::fs::read(dir.join("fetched").join(e).join("manifest.json")).ok())
        .and_then(|b| serde_json_image(&b))
        .unwrap_or_default();
    let (status, code) = fleet(dir, site, creds, &["status"]);
    let _ = std::fs::write(dir.join("fleet-status.txt"), &status);
    let ours = status
        .lines()
        .find(|l| l.starts_with(&format!("{station}  ")))
        .unwrap_or_default();
    t.check(
        !image.is_empty() && ours.contains(&format!("image {image} ")),
        format!("examctl fleet status: station {station} with image {image:?}"),
        || status.clone(),
    );
    for dev in ["camera", "microphone", "display", "input", "recorder"] {
        t.check(
            ours.contains(&format!("{dev} PASS")),
            format!("examctl fleet status: {station}'s self-test of the {dev} passed"),
            || status.clone(),
        );
    }
    t.check(
        matches!(code, Some(0 | 1)),
        "examctl fleet status answers with 0 or 1".into(),
        || format!("exit {code:?}"),
    );
    let (show, _) = fleet(dir, site, creds, &["show", station]);
    let _ = std::fs::write(dir.join("fleet-show.txt"), &show);
    for exam in exams {
        t.check(
            show.lines().any(|l| l.trim_start().starts_with(exam)),
            format!("examctl fleet show {station}: exam {exam} in its chain of custody"),
            || show.clone(),
        );
    }
    let page = dir.join("fleet");
    let (said, _) = fleet(
        dir,
        site,
        creds,
        &["page", "--out", &page.to_string_lossy()],
    );
    t.check(
        page.join("index.html").is_file(),
        "examctl fleet page writes the fleet page".into(),
        || said,
    );
}

/// The `image` field of a manifest (its JSON), without a JSON parser in xtask.
fn serde_json_image(b: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(b);
    let at = text.find("\"image\": \"")? + "\"image\": \"".len();
    text[at..].split('"').next().map(str::to_owned)
}
