//! A whole simulated exam: sealed, verified, opened; nothing in clear on disk.

mod common;

use std::time::Duration;

use common::*;
use station::simulate::{self, Plan};

const STUDENT: &str = "s-7731-unique-student-id";

#[test]
fn simulated_exam_seals_opens_and_keeps_nothing_in_clear() {
    let f = Fixture::new();
    let station = f.station();
    let mut devices = station::devices::open(&station.board).unwrap();
    let plan = Plan {
        student: STUDENT.into(),
        duration: Duration::from_secs(6),
        face_frames: 2,
        pin: None,
    };
    let dir = simulate::run(station, &mut devices, &plan).unwrap();

    // Sealed and verifiable with the CLI.
    let st = f
        .stationctl()
        .args(["bundle", "verify"])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success());

    // Nothing on the station's disk names the student or holds media/images in clear.
    for file in all_files(&f.data) {
        let bytes = std::fs::read(&file).unwrap();
        let name = file.display();
        assert!(
            !contains(&bytes, STUDENT.as_bytes()),
            "{name} contains the student id in clear"
        );
        assert!(
            !bytes.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]),
            "{name} starts with a Matroska header"
        );
        assert!(
            !contains(&bytes, b"matroska") && !contains(&bytes, b"ftypisom"),
            "{name} holds a container header in clear"
        );
        assert!(!contains(&bytes, b"JFIF"), "{name} holds a JPEG in clear");
    }

    // Opened by the institution: the timeline tells the whole story.
    let (o, out) = f.open(&dir);
    let kinds: Vec<&str> = o.timeline.events.iter().map(|e| e.kind.as_str()).collect();
    for k in [
        "CheckedIn",
        "ExamChosen",
        "ProctorApproved",
        "NoticeAcknowledged",
        "StillCaptured",
        "ExamStarted",
        "ExamEnded",
        "Sealing",
    ] {
        assert!(kinds.contains(&k), "timeline lacks {k}: {kinds:?}");
    }
    assert_eq!(
        o.timeline
            .events
            .iter()
            .find(|e| e.kind == "CheckedIn")
            .unwrap()
            .details["student"],
        STUDENT
    );
    // The proctor approved and the student read the notice before the first capture.
    let at = |k: &str| kinds.iter().position(|x| *x == k).unwrap();
    assert!(at("ProctorApproved") < at("NoticeAcknowledged"));
    assert!(at("NoticeAcknowledged") < at("StillCaptured"));
    assert!(!o.manifest.interrupted);
    assert_eq!(o.stills.len(), 3);
    assert!(
        std::fs::read(&o.stills[0])
            .unwrap()
            .starts_with(&[0xff, 0xd8]),
        "stills are JPEG"
    );

    // Each stream opens in a standard tool with the right type and about the exam's length.
    let exam_secs =
        (event_ms(&o, "ExamEnded").unwrap() - event_ms(&o, "ExamStarted").unwrap()) as f64 / 1000.0;
    for (file, kind) in [
        ("camera.mkv", "video"),
        ("microphone.mka", "audio"),
        ("screen.mkv", "video"),
    ] {
        let p = out.join(file);
        assert!(
            stream_kinds(&p).contains(kind),
            "{file} has no {kind} stream"
        );
        let d = duration_secs(&p);
        assert!(
            (d - exam_secs).abs() <= 2.0,
            "{file}: {d:.2} s, exam {exam_secs:.2} s"
        );
    }
}

#[test]
fn tampered_bundle_file_is_named() {
    let f = Fixture::new();
    let station = f.station();
    let mut devices = station::devices::open(&station.board).unwrap();
    let plan = Plan {
        student: "x".into(),
        duration: Duration::from_secs(2),
        face_frames: 1,
        pin: None,
    };
    let dir = simulate::run(station, &mut devices, &plan).unwrap();
    let victim = dir.join("identity/face-00.jpg.sealed");
    let mut bytes = std::fs::read(&victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&victim, bytes).unwrap();
    let out = f
        .stationctl()
        .args(["bundle", "verify"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("identity/face-00.jpg.sealed"), "{text}");
    // A changed manifest breaks the signature.
    std::fs::write(&victim, b"").unwrap();
    let m = dir.join("manifest.json");
    let t = std::fs::read_to_string(&m)
        .unwrap()
        .replace("\"interrupted\": false", "\"interrupted\": true");
    std::fs::write(&m, t).unwrap();
    let err = bundle::manifest::verify_bundle(&dir)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("manifest.json") && err.contains("signature"),
        "{err}"
    );
}
