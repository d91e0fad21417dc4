//! `cargo bench -p review --bench review [-- --minutes N] [-- --card FILE]`: how fast the
//! review analyses an exam (seconds of exam per second of CPU, against decoding the camera
//! alone in the same process), and the flag card's rates (review/benches/card). With
//! `--card FILE` the card is also written as Markdown (`cargo xtask flag-card` writes
//! docs/FLAG-CARD.md).

mod card;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use card::{dark_rates, face_rates, pictures, FaceRates, Item, Rate};

fn pictures_dir() -> PathBuf {
    std::env::var_os("STATION_TEST_PICTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-pictures")
        })
}

/// CPU seconds this process used so far (every thread).
fn cpu() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn gst(desc: &str) {
    review::media::run_to_end(desc).unwrap_or_else(|e| panic!("{desc}: {e}"));
}

/// An opened exam of `minutes`: the camera shows the test scene over and over (encoded as the
/// station does), a quiet microphone, the screen at 1 fps. Kept between runs.
fn exam(minutes: u32) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../target/bench-review/exam-{minutes}min"));
    if dir.join("timeline.json").is_file() {
        return dir;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let secs = minutes * 60;
    let scene = pictures_dir().join("scenes/faces");
    assert!(
        scene.join("0000.jpg").is_file(),
        "no scene in {}: cargo xtask bench makes it",
        scene.display()
    );
    let x264 = "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=1000";
    eprintln!(
        "review bench: encoding a {minutes} min exam into {}",
        dir.display()
    );
    gst(&format!(
        "multifilesrc location={}/%04d.jpg loop=true num-buffers={secs} caps=image/jpeg,framerate=1/1 ! jpegdec ! videorate ! video/x-raw,framerate=30/1 ! {x264} key-int-max=60 ! matroskamux ! filesink location={}/camera.mkv",
        scene.display(), dir.display()
    ));
    gst(&format!(
        "videotestsrc num-buffers={secs} pattern=smpte ! video/x-raw,width=1024,height=768,framerate=1/1 ! {x264} key-int-max=2 ! matroskamux ! filesink location={}/screen.mkv",
        dir.display()
    ));
    gst(&format!(
        "audiotestsrc num-buffers={} samplesperbuffer=960 wave=pink-noise volume=0.01 ! audio/x-raw,rate=48000,channels=1 ! opusenc ! matroskamux ! filesink location={}/microphone.mka",
        secs * 50, dir.display()
    ));
    let end = jiff::Timestamp::from_second(1_800_000_000 + i64::from(secs)).unwrap();
    std::fs::write(
        dir.join("timeline.json"),
        format!(
            r#"{{"exam":"bench","station":"bench","started_at":"2027-01-15T08:00:00Z","ended_at":"{end}","interrupted":false,
            "parts":[{{"exam":"bench","started_at":"2027-01-15T08:00:00Z","ended_at":"{end}","interrupted":false}}],
            "events":[{{"seq":0,"time":"2027-01-15T08:00:00Z","mono_ms":0,"kind":"ExamStarted","details":{{"planned_secs":{secs}}}}}]}}"#
        ),
    )
    .unwrap();
    dir
}

/// Times the analysis of `minutes` of exam against decoding its camera alone.
fn speed(minutes: u32) {
    let dir = exam(minutes);
    let secs = f64::from(minutes * 60);
    let (w0, c0) = (Instant::now(), cpu());
    review::media::run_to_end(&format!(
        "filesrc location={} ! matroskademux ! decodebin ! fakesink",
        review::media::quote(&dir.join("camera.mkv"))
    ))
    .unwrap();
    let (dw, dc) = (w0.elapsed().as_secs_f64(), cpu() - c0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (w0, c0) = (Instant::now(), cpu());
    let a = review::analyse(&dir, workers).unwrap();
    let (aw, ac) = (w0.elapsed().as_secs_f64(), cpu() - c0);
    println!(
        "review bench: {secs:.0} s of exam (camera 640x480 at 30 fps, microphone, screen at 1 fps)"
    );
    println!("  baseline, decoding the camera alone: {dw:.1} s wall, {dc:.1} s CPU");
    println!(
        "  analysis ({workers} detector threads): {aw:.1} s wall, {ac:.1} s CPU: {:.1} s of exam per CPU second; {:.1}x the baseline's CPU",
        secs / ac,
        ac / dc
    );
    println!(
        "  an hour of exam: {:.0} s wall, {:.0} s CPU on this machine (goal: under 120 s); {} flags",
        aw * 3600.0 / secs,
        ac * 3600.0 / secs,
        a.flags.flags.len()
    );
}

fn face_rows(r: &FaceRates) -> [(&'static str, String); 5] {
    [
        (
            "\"no face\" where there is a face (false positive)",
            r.no_face_fp.show(),
        ),
        (
            "a face where there is none (\"no face\" missed)",
            r.no_face_fn.show(),
        ),
        (
            "\"more than one face\" where there are fewer (false positive)",
            r.multi_fp.show(),
        ),
        (
            "fewer than two where there are two (missed)",
            r.multi_fn.show(),
        ),
        (
            "samples it could not judge (too dark or flat)",
            r.could_not_tell.show(),
        ),
    ]
}

/// The flag card as Markdown.
fn card_text(
    items: &[Item],
    dims: &[Item],
    covered: &[Item],
    sound: Option<(Rate, Rate, usize, usize)>,
) -> String {
    let count = |l: card::Label| items.iter().filter(|i| i.label == l).count();
    let mut s = String::new();
    s.push_str("# Flag card: how often each review detector is wrong\n\n");
    s.push_str("Regenerate with `cargo xtask flag-card` (also printed by `cargo xtask bench`). Numbers are per\n");
    s.push_str("sample (one camera picture, one second of sound), before the several seconds a hint must hold:\n");
    s.push_str("a hint needs 5 s of the same judgement, so a single wrong sample never raises one. The set is\n");
    s.push_str("small and made from pictures that ship in Debian's `python3-skimage`; read the figures as what\n");
    s.push_str("they are, and see what the set cannot tell below.\n\n");
    s.push_str(&format!(
        "## The labelled set\n\n- {} pictures with one face (the astronaut and the cameraman, three framings each, mirrored)\n- {} with two faces (their heads side by side, two sizes)\n- {} with no face (the other sample images and a bare wall)\n- a dim copy of each (luma at a fifth above black, as a dark room), {} in all\n- {} covered lenses (black, a hand, tape, with sensor noise)\n\n",
        count(card::Label::One), count(card::Label::Two), count(card::Label::None), dims.len(), covered.len()
    ));
    for (title, set, raw) in [
        ("Face detector (SeetaFace frontal), bright pictures, as the review judges", items, false),
        ("The same, dim pictures, as the review judges (it says \"could not tell\")", dims, false),
        ("The detector alone on the dim pictures (what the review would say without \"could not tell\")", dims, true),
    ] {
        s.push_str(&format!("## {title}\n\n| | rate |\n|---|---|\n"));
        let rates = face_rates(set, raw);
        for (k, v) in face_rows(&rates) {
            s.push_str(&format!("| {k} | {v} |\n"));
        }
        if !rates.wrong.is_empty() {
            s.push_str(&format!("\nCounted wrong: {}.\n", rates.wrong.join("; ")));
        }
        s.push('\n');
    }
    let (fp, missed, threshold) = dark_rates(items, covered);
    s.push_str(&format!(
        "## Camera dark or covered (mean luma under {threshold:.0})\n\n| | rate |\n|---|---|\n| dark where the picture is lit (false positive) | {} |\n| a covered lens not seen as dark (missed) | {} |\n\n",
        fp.show(), missed.show()
    ));
    match sound {
        Some((fp, missed, speech, hum)) => s.push_str(&format!(
            "## Voice-activity detector (energy over the first minute's quiet level)\n\n{speech} seconds of speech (espeak-ng) and {hum} of a hum that starts mid-exam, against a quiet room and a fan humming from the start.\n\n| | rate |\n|---|---|\n| sound where there was only the room (false positive) | {} |\n| speech or hum missed | {} |\n\n",
            fp.show(), missed.show()
        )),
        None => s.push_str("## Voice-activity detector\n\nNot measured: espeak-ng is missing.\n\n"),
    }
    s.push_str("## What this set cannot tell\n\n- Two faces of one person, a few framings: it says nothing of faces of every skin tone, age, or\n  with glasses, masks or head coverings. The detector is a frontal one: a face turned away is\n  \"no face\". That is why a \"no face\" hint is only raised when the detector found the student's\n  face at check-in or in the first minute, and why coverage is shown apart from the hints.\n- The dim copies are one kind of darkness (uniform, no noise from a real sensor).\n- Speech is synthetic and in English; a real room has other sounds.\n");
    s
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let minutes: u32 = arg("--minutes").and_then(|m| m.parse().ok()).unwrap_or(10);
    // `cargo test --all-targets` runs this without `--bench`: the card's rates then (the
    // detectors on every picture), not the speed, which times an optimised build only.
    let bench = args.iter().any(|a| a == "--bench");
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if arg("--card").is_none() && bench {
        speed(minutes);
    } else if !bench {
        eprintln!("review bench: speed measured only under `cargo bench` (`cargo xtask bench`)");
    }
    let dir = pictures_dir();
    let items = pictures::labelled(&dir);
    let dims: Vec<Item> = items
        .iter()
        .map(|i| Item {
            label: i.label,
            name: format!("dim {}", i.name),
            rgb: pictures::dim(&i.rgb),
        })
        .collect();
    let covered = pictures::covered();
    let have_espeak = Command::new("espeak-ng").arg("--version").output().is_ok();
    let work = tempfile::tempdir().unwrap();
    let sound = have_espeak.then(|| card::sound::rates(work.path()));
    let text = card_text(&items, &dims, &covered, sound);
    println!("\n{text}");
    if let Some(path) = arg("--card") {
        std::fs::write(Path::new(&path), &text).unwrap_or_else(|e| panic!("{path}: {e}"));
        println!("flag card written to {path}");
    }
}
