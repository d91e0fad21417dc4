//! The `board-config check` binary: exit codes and messages.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn check(files: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_board-config"))
        .arg("check")
        .args(files)
        .output()
        .expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn good_files_exit_0() {
    let boards = common::toml_files("boards");
    let sites = common::toml_files("sites");
    let all: Vec<&Path> = boards.iter().chain(&sites).map(|p| p.as_path()).collect();
    let out = check(&all);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), all.len());
    assert!(
        stdout.contains("sim.toml (board sim, simulated, x86_64)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rpi5.toml (board rpi5, linux, aarch64)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("example.toml (site, station hall-b-07)"),
        "{stdout}"
    );
}

#[test]
fn a_bad_file_exits_1_with_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        common::BOARD.replacen("width = 640", "widht = 640", 1),
    )
    .expect("write");
    let bad_site = dir.path().join("station.toml");
    std::fs::write(
        &bad_site,
        common::SITE.replacen("ca-central-1\"", "us-east-1\"", 1),
    )
    .expect("write");
    let good = common::crate_dir().join("boards/sim.toml");

    let out = check(&[&good, &bad, &bad_site]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        stdout.contains("ok: ") && stdout.contains("sim.toml"),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!(
            "error: {}:10:1: unknown field `widht` in `camera`",
            bad.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("(did you mean `width`?)"), "{stderr}");
    assert!(
        stderr.contains(&format!("error: {}:16:10:", bad_site.display())),
        "{stderr}"
    );
    assert!(stderr.contains("us-east-1"), "{stderr}");
}

#[test]
fn missing_file_exits_1_and_no_file_is_a_usage_error() {
    let out = check(&[Path::new("/nonexistent/x.toml")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/nonexistent/x.toml: cannot read file"));

    let out = check(&[]);
    assert_eq!(out.status.code(), Some(2), "clap usage error");
}
