//! The host's side of the hw-test's exams: each exam the image uploaded is fetched from the
//! store with `examctl fetch`, opened with the institution's key (`examctl open`), and its
//! media and timeline checked: the lockdown's events, the check-in's, the endings, and the
//! exam resumed after the power cut as one exam of two parts.

use std::path::Path;
use std::process::Command;

use crate::imagetest::Tally;
use crate::run;

/// The attempts of hw-tests/src/escape.rs, as the timeline names them: the power and sleep
/// keys, Ctrl+Alt+Delete, and the device named like the station's own (attached mid-exam).
pub fn escapes_journaled(exam: &str, timeline: &str, t: &mut Tally) {
    for needle in [
        "\"KEY_POWER\"",
        "\"KEY_SLEEP\"",
        "\"Ctrl+Alt+Delete\"",
        "exam-station virtual input (/dev/input/",
    ] {
        t.check(
            timeline.contains(needle),
            format!("host timeline of {exam}: {needle} journaled"),
            || "not in timeline.json".into(),
        );
    }
}

/// What the simulated exam's timeline must hold: the lockdown at work.
pub const LOCKDOWN_EVENTS: &[&str] = &[
    "InputPresent",
    "ExamStarted",
    "InputAttached",
    "KeyBlocked",
    "HostVisited",
    "HostBlocked",
    "ExamEnded",
];

/// What the typed exam's timeline must hold: the check-in as the student and proctor did it.
pub const CHECK_IN_EVENTS: &[&str] = &[
    "CheckedIn",
    "ExamChosen",
    "PinRejected",
    "ProctorApproved",
    "NoticeAcknowledged",
    "StillCaptured",
    "FaceCheck",
    "FaceCheckOverridden",
    "ExamStarted",
    "KioskGone",
    "KioskBack",
    "ExamEnded",
];

/// What the exam cut by the power and resumed holds, over its two parts.
pub const RESUME_EVENTS: &[&str] = &["ExamStarted", "Recovered", "Resumed", "ExamEnded"];

/// The exam cut by the power opens as one exam of two parts: the second part listed, the
/// first sealed as interrupted, the second ended by time up, and the time lost in between.
pub fn resumed_on_host(cut: &str, timeline: &str, t: &mut Tally) {
    let second = format!("\"{cut}-p2\"");
    t.check(
        timeline.contains(&format!("\"exam\": \"{cut}\"")) && timeline.contains(&second),
        format!("host opened {cut} as one exam of two parts ({cut}, {cut}-p2)"),
        || "the timeline does not list both parts".into(),
    );
    t.check(
        timeline.contains("\"Interrupted\"") && timeline.contains("\"TimeUp\""),
        format!("host timeline of {cut}: part 1 cut (Interrupted), part 2 ended by time up"),
        || "no ExamEnded Interrupted and TimeUp".into(),
    );
    let lost: Option<u64> = timeline
        .split("\"lost_secs\": ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok());
    t.check(
        lost.is_some_and(|s| s > 0),
        format!(
            "host timeline of {cut}: the downtime is journaled as time lost ({} s)",
            lost.unwrap_or(0)
        ),
        || "no Resumed event with lost_secs > 0".into(),
    );
}

/// Makes a new institution key `dir/institution.key` with the built `examctl keygen` (a key
/// already there is replaced); returns its path and the recipient it printed.
pub fn institution_key(dir: &Path) -> Result<(std::path::PathBuf, String), String> {
    let key = dir.join("institution.key");
    if key.exists() {
        std::fs::remove_file(&key).map_err(|e| format!("{}: {e}", key.display()))?;
    }
    let recipient = run::output(
        Command::new(run::root().join("target/debug/examctl"))
            .arg("keygen")
            .arg("--out")
            .arg(&key),
    )?;
    Ok((key, recipient.trim().to_string()))
}

/// The institution's registry of stations in a test's folder (written by `examctl enroll`).
pub const REGISTRY: &str = "stations.toml";

/// Fetches `exam` from the store, opens it with the institution's key (keeping the student's
/// identity profile), both accepting only the station key of `dir`'s [`REGISTRY`]; checks the
/// media, the profile beside an exam with a check-in, and that its timeline has events of each
/// of `kinds`; returns the timeline (JSON).
pub fn open_on_host(
    dir: &Path,
    exam: &str,
    site: &Path,
    creds: &Path,
    key: &Path,
    kinds: &[&str],
    t: &mut Tally,
) -> String {
    let examctl = run::root().join("target/debug/examctl");
    // The registry the image's enrolment wrote: only the enrolled station's key is accepted.
    let registry = dir.join(REGISTRY);
    let fetched = dir.join("fetched").join(exam);
    let opened = dir.join("opened").join(exam);
    let fetch = run::output(
        Command::new(&examctl)
            .arg("fetch")
            .arg("--site")
            .arg(site)
            .arg("--credentials")
            .arg(creds)
            .args(["--exam", exam])
            .arg("--registry")
            .arg(&registry)
            .arg("--out")
            .arg(&fetched),
    );
    let open = fetch.and_then(|f| {
        run::output(
            Command::new(&examctl)
                .arg("open")
                .arg(&fetched)
                .arg("--identity")
                .arg(key)
                .arg("--registry")
                .arg(&registry)
                .arg("--out")
                .arg(&opened)
                // The student's identity profile, kept in the bucket beside the site's prefix.
                .arg("--site")
                .arg(site)
                .arg("--credentials")
                .arg(creds),
        )
        .map(|o| format!("{f}{o}"))
    });
    let said = match open {
        Ok(s) => s,
        Err(e) => {
            t.check(false, format!("host fetches and opens exam {exam}"), || e);
            return String::new();
        }
    };
    print!("{said}");
    let _ = std::fs::write(opened.join("examctl.txt"), &said);
    for media in ["camera.mkv", "microphone.mka", "screen.mkv"] {
        let size = std::fs::metadata(opened.join(media))
            .map(|m| m.len())
            .unwrap_or(0);
        t.check(
            size > 0,
            format!("host opened {exam}: {media} ({size} bytes)"),
            || format!("missing or empty in {}", opened.display()),
        );
    }
    if kinds.contains(&"CheckedIn") {
        let profile = opened.join("profile/profile.json");
        t.check(
            profile.is_file(),
            format!("host opened {exam}: the student's identity profile beside it"),
            || format!("no {}: {said}", profile.display()),
        );
    }
    let timeline = std::fs::read_to_string(opened.join("timeline.json")).unwrap_or_default();
    for kind in kinds {
        let at = times_of(&timeline, kind);
        t.check(
            !at.is_empty(),
            format!(
                "host timeline of {exam}: {} {kind} event(s) at {}",
                at.len(),
                at.join(", ")
            ),
            || format!("none in {}", opened.join("timeline.json").display()),
        );
    }
    timeline
}

/// One exam's expected review: the hint kinds its journal must raise, and those it must not
/// (nobody did that in it: a hint there would be noise).
pub struct Expect<'a> {
    /// The exam id.
    pub exam: &'a str,
    /// Hint kinds that must be there.
    pub hints: &'a [&'a str],
    /// Hint kinds that must not.
    pub none_of: &'a [&'a str],
}

/// The review of the exams opened by [`open_on_host`]: `examctl review` analyses them and
/// builds the reviewer's page from `dir/opened`; each exam's `flags.json` must hold the hints
/// its journal raises and none that nobody caused.
pub fn reviewed_on_host(dir: &Path, expect: &[Expect], t: &mut Tally) {
    let built = run::output(
        Command::new(run::root().join("target/debug/examctl"))
            .arg("review")
            .arg(dir.join("opened"))
            .arg("--out")
            .arg(dir.join("review")),
    );
    match &built {
        Ok(said) => print!("{said}"),
        Err(e) => {
            t.check(
                false,
                "host builds the review page of the exams".into(),
                || e.clone(),
            );
            return;
        }
    }
    for e in expect {
        let flags = dir.join("opened").join(e.exam).join("flags.json");
        let text = std::fs::read_to_string(&flags).unwrap_or_default();
        let has = |kind: &str| text.contains(&format!("\"kind\": \"{kind}\""));
        for kind in e.hints {
            t.check(
                has(kind),
                format!("host review of {}: a {kind} hint", e.exam),
                || format!("none in {}", flags.display()),
            );
        }
        for kind in e.none_of {
            t.check(
                !has(kind),
                format!(
                    "host review of {}: no {kind} hint (nobody caused one)",
                    e.exam
                ),
                || format!("see {}", flags.display()),
            );
        }
    }
}

/// The sealed screen's QR code (`qr`, decoded from the screenshot) is the receipt `examctl
/// open` printed for `exam` (opened into `dir/opened/<exam>` by [`open_on_host`]).
pub fn receipt_is(dir: &Path, exam: &str, qr: &str, t: &mut Tally) {
    let said = std::fs::read_to_string(dir.join("opened").join(exam).join("examctl.txt"))
        .unwrap_or_default();
    t.check(
        said.contains(&format!("receipt: {qr}")),
        format!("the sealed screen's QR code {qr} is exam {exam}'s receipt"),
        || format!("examctl open said:\n{said}"),
    );
}

/// The `time` of every event of `kind` in a pretty-printed timeline.json.
fn times_of(timeline: &str, kind: &str) -> Vec<String> {
    let mut time = "";
    let mut at = Vec::new();
    for l in timeline.lines().map(str::trim) {
        if let Some(v) = l.strip_prefix("\"time\": ") {
            time = v.trim_end_matches(',').trim_matches('"');
        } else if l.trim_end_matches(',') == format!("\"kind\": \"{kind}\"") {
            at.push(time.to_string());
        }
    }
    at
}
