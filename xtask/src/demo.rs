//! `cargo xtask demo`: the main job on embedded defaults.
//!
//! Makes a demo institution key and site config, runs a whole simulated exam on the simulated
//! board whose camera shows a scene with faces ([`crate::scenes`]: one face, nobody, two
//! faces; check-in, identity stills, recording, seal), uploads the sealed bundle with
//! `uplinkd --once` to the local-folder central store, opens it from there with the
//! institution's key (keeping the student's identity profile, named from a demo roster), and
//! ends with the review hints, the reviewer's page and the student's subject-access answer.
//! Everything lands under `target/demo/`: `institution.key`, `site.toml`, `board.toml`,
//! `roster.csv`, `station/` (the station's data folder), `central/` (the central store:
//! `recordings/<date>/<station>/<exam>/`, `profiles/<pseudonym>/`), `opened/<exam-id>/` (with
//! `flags.json` and `profile/`), `review/` (the page: `review/index.html`) and
//! `subject-access/` (`index.html`, `SHA256SUMS`).

use std::path::Path;
use std::process::Command;

use crate::{deps, run};

/// Seconds of the demo exam (override: `cargo xtask demo --duration 60s`): the camera's scene
/// once through (one face, nobody, two faces: [`crate::scenes`]).
const DEFAULT_DURATION: &str = "45s";

/// The demo student's number (typed at check-in) and the demo roster's line for them.
const STUDENT: &str = "20260001";
const ROSTER: &str = "student,name\n20260001,\"Demo, Student\"\n";

/// Runs the demo.
pub fn run(args: &[String]) -> Result<(), String> {
    let duration = match args {
        [flag, d] if flag == "--duration" => d.as_str(),
        [] => DEFAULT_DURATION,
        _ => return Err("usage: cargo xtask demo [--duration 20s]".into()),
    };
    deps::ensure(&[deps::BUILD])?;
    eprintln!("xtask: building station and uplink");
    run::status(run::cargo().args([
        "build", "--locked", "-p", "station", "-p", "uplink", "--bins",
    ]))?;
    let root = run::root();
    let bin = |name: &str| root.join("target/debug").join(name);
    let demo = root.join("target/demo");
    for stale in [
        "station",
        "opened",
        "central",
        "review",
        "fleet",
        "subject-access",
    ] {
        let p = demo.join(stale);
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    std::fs::create_dir_all(&demo).map_err(|e| format!("{}: {e}", demo.display()))?;
    let (key, recipient) = crate::hostopen::institution_key(&demo)?;
    let site = demo.join("site.toml");
    write_site(&site, &recipient, &demo)?;
    let board = write_board(&demo)?;
    println!("== exam station demo: a {duration} exam on the simulated board");
    let bundle = run::output(
        Command::new(bin("stationctl"))
            .arg("--board")
            .arg(&board)
            .arg("--site")
            .arg(&site)
            .arg("--data-dir")
            .arg(demo.join("station"))
            .args([
                "exam",
                "simulate",
                "--duration",
                duration,
                "--student",
                STUDENT,
            ]),
    )?;
    let bundle = Path::new(bundle.trim());
    println!("== sealed bundle: {}", bundle.display());
    run::status(
        Command::new(bin("stationctl"))
            .args(["bundle", "verify"])
            .arg(bundle),
    )?;
    let exam = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    println!("== uplinkd --once: upload to the central store, verify, delete the local copy");
    let uploaded = run::output(
        Command::new(bin("uplinkd"))
            .arg("--site")
            .arg(&site)
            .arg("--data-dir")
            .arg(demo.join("station"))
            .arg("--once"),
    )?;
    let central = uploaded
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{exam}\t")))
        .map(|p| Path::new(p.trim()).to_path_buf())
        .ok_or_else(|| format!("uplinkd did not report exam {exam}: {uploaded}"))?;
    println!("== central copy: {}", central.display());
    if bundle.exists() {
        return Err(format!(
            "{}: local copy still present after upload",
            bundle.display()
        ));
    }
    let bundle = central.as_path();
    let out = demo.join("opened").join(&exam);
    println!(
        "== opened with the institution's key into {}",
        out.display()
    );
    let roster = demo.join("roster.csv");
    std::fs::write(&roster, ROSTER).map_err(|e| format!("{}: {e}", roster.display()))?;
    run::status(
        Command::new(bin("examctl"))
            .arg("open")
            .arg(bundle)
            .arg("--identity")
            .arg(&key)
            .arg("--out")
            .arg(&out)
            .arg("--site")
            .arg(&site)
            .arg("--roster")
            .arg(&roster),
    )?;
    let page = demo.join("review");
    println!("== review hints and the reviewer's page");
    run::status(
        Command::new(bin("examctl"))
            .arg("review")
            .arg(demo.join("opened"))
            .arg("--out")
            .arg(&page),
    )?;
    println!(
        "== the reviewer's page: file://{}\n   (or: {} review {} --out {} --serve)",
        page.join("index.html").display(),
        bin("examctl").display(),
        demo.join("opened").display(),
        page.display()
    );
    let answer = demo.join("subject-access");
    println!("== the student's access request: everything held about {STUDENT}");
    run::status(
        Command::new(bin("examctl"))
            .arg("subject-access")
            .arg("--site")
            .arg(&site)
            .arg("--identity")
            .arg(&key)
            .args(["--student", STUDENT, "--out"])
            .arg(&answer),
    )?;
    fleet(&bin, &board, &site, &demo)
}

/// The station's signed health report after the upload (stationd signs it on its own), pushed
/// by the uplink beside the recordings, and IT's view of it: `examctl fleet status` and page.
fn fleet(
    bin: &dyn Fn(&str) -> std::path::PathBuf,
    board: &Path,
    site: &Path,
    demo: &Path,
) -> Result<(), String> {
    println!("== fleet health: the station's signed report (F3 on the readiness card shows this summary as a QR code)");
    run::status(
        Command::new(bin("stationctl"))
            .arg("--board")
            .arg(board)
            .arg("--site")
            .arg(site)
            .arg("--data-dir")
            .arg(demo.join("station"))
            .args(["health", "--summary"]),
    )?;
    run::output(
        Command::new(bin("uplinkd"))
            .arg("--site")
            .arg(site)
            .arg("--data-dir")
            .arg(demo.join("station"))
            .arg("--once"),
    )?;
    println!("== examctl fleet status (from the central store; exit 0: all well)");
    let fleet = |args: &[&str]| {
        let mut c = Command::new(bin("examctl"));
        c.arg("fleet").args(args).arg("--site").arg(site);
        c
    };
    run::status(&mut fleet(&["status"]))?;
    let page = demo.join("fleet");
    run::output(&mut fleet(&["page", "--out", &page.to_string_lossy()]))?;
    println!(
        "== the fleet page: file://{}",
        page.join("index.html").display()
    );
    Ok(())
}

/// The simulated board with a camera that shows the demo's scene (one face, nobody, two
/// faces), written to `demo/board.toml`.
fn write_board(demo: &Path) -> Result<std::path::PathBuf, String> {
    let sim = run::root().join("board-config/boards/sim.toml");
    let text = std::fs::read_to_string(&sim).map_err(|e| format!("{}: {e}", sim.display()))?;
    let scene = crate::scenes::ensure()?
        .join("faces")
        .join(crate::scenes::PATTERN);
    let text = text.replacen(
        "framerate = 30\n",
        &format!(
            "framerate = 30\n# The demo's camera shows a scene: one face, nobody, two faces (cargo xtask demo).\nscene = \"{}\"\n",
            scene.display()
        ),
        1,
    );
    if !text.contains("scene = ") {
        return Err(format!(
            "{}: no `framerate = 30` line to add the scene after",
            sim.display()
        ));
    }
    let board = demo.join("board.toml");
    std::fs::write(&board, text).map_err(|e| format!("{}: {e}", board.display()))?;
    Ok(board)
}

fn write_site(path: &Path, recipient: &str, demo: &Path) -> Result<(), String> {
    let text = format!(
        r#"# Demo site written by `cargo xtask demo`.
[station]
id = "demo-station-01"
location = "Demo hall, seat 1"

[institution]
name = "Demo University"
recipient = "{recipient}"

[exam]
allowlist = ["exam.example.ca"]
segment_seconds = 60
sync_seconds = 2

[uplink]
backend = "folder"
residency = "CA"
start_jitter_seconds = 0
folder = "{central}"

[storage]
min_free_mib = 64
"#,
        central = demo.join("central").display()
    );
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
