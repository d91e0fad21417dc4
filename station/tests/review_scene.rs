//! The review's hints on what a station recorded: the simulated camera shows a scene (one face
//! for 15 s, nobody for 15 s, two faces for 15 s, made by `cargo xtask test` from scikit-image's
//! pictures), the exam is sealed, opened and analysed: "no face" and "more than one face" in the
//! right windows and nothing else from the camera; the same scene in a dim room reads as low
//! coverage, not as "no face".

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use review::flags::Flags;
use station::simulate::{self, Plan};

/// Seconds of each shot of the scene (xtask/src/scenes.rs).
const SHOT: f64 = 15.0;

fn scene(name: &str) -> PathBuf {
    let dir = std::env::var_os("STATION_TEST_PICTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-pictures")
        })
        .join("scenes")
        .join(name);
    assert!(
        dir.join("0044.jpg").is_file(),
        "no camera scene in {}: `cargo xtask test` makes it from Debian's python3-skimage",
        dir.display()
    );
    dir.join("%04d.jpg")
}

/// Records a 45 s exam on the simulated board whose camera shows `scene`, opens and analyses it.
fn analysed(scene_name: &str) -> (Fixture, Flags) {
    let mut f = Fixture::new();
    let sim = std::fs::read_to_string(&f.board).unwrap();
    let board = f.tmp.path().join("board.toml");
    let with_scene = sim.replacen(
        "framerate = 30\n",
        &format!(
            "framerate = 30\nscene = \"{}\"\n",
            scene(scene_name).display()
        ),
        1,
    );
    assert_ne!(with_scene, sim);
    std::fs::write(&board, with_scene).unwrap();
    f.board = board;
    let station = f.station();
    let mut devices = station::devices::open(&station.board).unwrap();
    let plan = Plan {
        student: "s-1".into(),
        duration: Duration::from_secs(45),
        face_frames: 3,
        pin: None,
    };
    let dir = simulate::run(station, &mut devices, &plan).unwrap();
    let (_, out) = f.open(&dir);
    let a = review::analyse(&out, 2).unwrap();
    let again = Flags::load(&out.join("flags.json")).unwrap();
    assert_eq!(
        again, a.flags,
        "flags.json holds what the analysis returned"
    );
    (f, a.flags)
}

fn camera_flags(f: &Flags) -> Vec<(String, f64, f64)> {
    f.flags
        .iter()
        .filter(|x| x.detector == "seeta-frontal" || x.detector == "luma")
        .map(|x| (x.kind.clone(), x.start_s, x.end_s))
        .collect()
}

#[test]
fn one_face_then_nobody_then_two_faces_are_flagged_in_their_windows() {
    let (_f, flags) = analysed("faces");
    let got = camera_flags(&flags);
    eprintln!("camera flags: {got:?}; coverage {:?}", flags.coverage);
    let window = review::analyse::FACE_HOLD_S;
    let near = |a: f64, b: f64| (a - b).abs() <= window;
    assert_eq!(got.len(), 2, "{got:?}");
    let (kind, start, end) = &got[0];
    assert_eq!(kind, "no_face");
    assert!(near(*start, SHOT) && near(*end, 2.0 * SHOT), "{got:?}");
    let (kind, start, end) = &got[1];
    assert_eq!(kind, "more_than_one_face");
    assert!(
        near(*start, 2.0 * SHOT) && near(*end, 3.0 * SHOT),
        "{got:?}"
    );
    assert!(flags.baseline.face_seen);
    assert!(flags.coverage.faces > 0.9, "{:?}", flags.coverage);
    // Each hint has its evidence: a still and a clip around it.
    for f in &flags.flags {
        assert!(f.still.is_some(), "{f:?}");
        assert!(
            f.clip.start_s <= f.start_s && f.clip.end_s >= f.end_s,
            "{f:?}"
        );
        assert!(!f.reason.is_empty() && !f.threshold.is_empty(), "{f:?}");
    }
}

#[test]
fn the_same_scene_in_a_dim_room_is_low_coverage_not_no_face() {
    let (_f, flags) = analysed("faces-dim");
    let got = camera_flags(&flags);
    eprintln!("camera flags: {got:?}; coverage {:?}", flags.coverage);
    assert!(got.is_empty(), "{got:?}");
    assert!(flags.coverage.faces < 0.6, "{:?}", flags.coverage);
    assert!(
        flags.coverage.note.starts_with("Low coverage"),
        "{}",
        flags.coverage.note
    );
}
