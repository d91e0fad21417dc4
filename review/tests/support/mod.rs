//! Shared by the review's tests: an opened exam made with GStreamer from the simulated camera's
//! scene (one face, nobody, two faces: `cargo xtask test` makes it).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The scene's pictures (`%04d.jpg`, 45 of them).
pub fn scene() -> PathBuf {
    let dir = std::env::var_os("STATION_TEST_PICTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-pictures")
        })
        .join("scenes/faces");
    assert!(
        dir.join("0044.jpg").is_file(),
        "no camera scene in {}: `cargo xtask test` makes it from Debian's python3-skimage",
        dir.display()
    );
    dir
}

fn gst(desc: &str) {
    review::media::run_to_end(desc).unwrap_or_else(|e| panic!("{desc}: {e}"));
}

/// The exam id of [`opened_exam`].
pub const EXAM: &str = "20261201-100000-abc123";

/// Writes an opened exam into `dir` as `examctl open` leaves it: 45 s of camera showing the
/// scene (H.264 as the station encodes it: 30 fps, a keyframe every 2 s), microphone (a
/// steady tone, Opus), screen (1 fps), identity stills and a timeline with blocked keys and a
/// blocked host.
pub fn opened_exam(dir: &Path) {
    std::fs::create_dir_all(dir.join("identity")).unwrap();
    let scene = scene();
    let x264 = "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=1000";
    gst(&format!(
        "multifilesrc location={}/%04d.jpg index=0 stop-index=44 caps=image/jpeg,framerate=1/1 ! jpegdec ! videorate ! video/x-raw,framerate=30/1 ! {x264} key-int-max=60 ! matroskamux ! filesink location={}/camera.mkv",
        scene.display(),
        dir.display()
    ));
    gst(&format!(
        "videotestsrc num-buffers=45 pattern=smpte ! video/x-raw,width=1024,height=768,framerate=1/1 ! {x264} key-int-max=2 ! matroskamux ! filesink location={}/screen.mkv",
        dir.display()
    ));
    gst(&format!(
        "audiotestsrc num-buffers=2250 samplesperbuffer=960 wave=sine volume=0.2 ! audio/x-raw,rate=48000,channels=1 ! opusenc ! matroskamux ! filesink location={}/microphone.mka",
        dir.display()
    ));
    for (i, name) in ["photo-id.jpg", "face-00.jpg"].iter().enumerate() {
        std::fs::copy(
            scene.join(format!("{i:04}.jpg")),
            dir.join("identity").join(name),
        )
        .unwrap();
    }
    let at = |s: u32| format!("2026-12-01T10:00:{s:02}.000Z");
    let ev = |seq: u32, s: u32, kind: &str, details: &str| {
        format!(
            r#"{{"seq":{seq},"time":"{}","mono_ms":{},"kind":"{kind}","details":{details}}}"#,
            at(s),
            s * 1000
        )
    };
    let events = [
        ev(0, 0, "ExamStarted", r#"{"planned_secs":45}"#),
        ev(1, 3, "HostVisited", r#"{"host":"exam.example.ca"}"#),
        ev(2, 8, "KeyBlocked", r#"{"combo":"Alt+Tab"}"#),
        ev(3, 9, "KeyBlocked", r#"{"combo":"Alt+F4"}"#),
        ev(4, 21, "HostBlocked", r#"{"host":"chat.example.com"}"#),
        ev(5, 45, "ExamEnded", r#"{"reason":"TimeUp"}"#),
    ];
    std::fs::write(
        dir.join("timeline.json"),
        format!(
            r#"{{"exam":"{EXAM}","station":"hall-b-07","started_at":"{a}","ended_at":"{b}","interrupted":false,
            "parts":[{{"exam":"{EXAM}","started_at":"{a}","ended_at":"{b}","interrupted":false,"receipt":"7K2M-QX9D-AB3F"}}],
            "events":[{}]}}"#,
            events.join(","),
            a = at(0),
            b = at(45),
        ),
    )
    .unwrap();
}
