//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use board_config::{ConfigError, ErrorKind};

/// A complete, valid board file; line numbers matter to the tests.
pub const BOARD: &str = r#"[board]
name = "t"
description = "test board"
backend = "linux"
arch = "x86_64"

[camera]
device = "/dev/video0"
format = "YUYV"
width = 640
height = 480
framerate = 30

[microphone]
device = "default"
channels = 1
rate = 48000

[[input.match]]
bus = "usb"

[[input.match]]
bus = "virtual"

[display]
card = "/dev/dri/card0"
connector = "auto"
mode = "1024x768"

[gpio]
chip = "/dev/gpiochip4"
recording_led = 17
call_button = 27
tamper_switch = 22
"#;

/// A complete, valid site file; line numbers matter to the tests.
pub const SITE: &str = r#"[station]
id = "hall-b-07"
location = "Hall B, seat 7"

[institution]
name = "Example University"
recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"

[exam]
allowlist = ["exam.example.ca", "*.lms.example.ca"]
blocked_combinations = ["Ctrl+Shift+I"]

[uplink]
backend = "s3"
endpoint = "https://s3.ca-central-1.amazonaws.com"
region = "ca-central-1"
residency = "CA"
bucket = "example-exam-recordings"
prefix = "stations/hall-b-07"
credentials_file = "/data/credentials/uplink.toml"
"#;

/// `text` with `from` (which must occur exactly once) replaced by `to`.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    text.replacen(from, to, 1)
}

/// The crate's folder.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `.toml` files in a folder of the crate, sorted.
pub fn toml_files(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(crate_dir().join(folder))
        .expect("folder exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Checks the parts every error must get right, and that it renders on one screen.
pub fn assert_error(err: &ConfigError, kind: ErrorKind, line: usize, field: Option<&str>) {
    let shown = err.to_string();
    assert_eq!(err.kind(), kind, "kind of:\n{shown}");
    assert_eq!(err.line(), Some(line), "line of:\n{shown}");
    assert_eq!(err.field(), field, "field of:\n{shown}");
    assert!(err.column().is_some_and(|c| c >= 1), "column of:\n{shown}");
    assert_one_screen(err);
    let header = format!("error: {}:{line}:", err.path().display());
    assert!(shown.starts_with(&header), "header of:\n{shown}");
    assert!(
        err.hint().is_some(),
        "every error says what would be valid:\n{shown}"
    );
}

/// The rendering is at most 10 lines of at most ~200 characters.
pub fn assert_one_screen(err: &ConfigError) {
    let shown = err.to_string();
    assert!(shown.lines().count() <= 10, "too long:\n{shown}");
    assert!(
        shown.lines().all(|l| l.chars().count() <= 240),
        "line too wide:\n{shown}"
    );
}

/// Parses a board text named `boards/t.toml`, expecting an error.
pub fn board_err(text: &str) -> ConfigError {
    match board_config::parse_board(text, Path::new("boards/t.toml")) {
        Ok(b) => panic!("expected an error, got {b:?}"),
        Err(e) => e,
    }
}

/// Parses a site text named `station.toml`, expecting an error.
pub fn site_err(text: &str) -> ConfigError {
    match board_config::parse_site(text, Path::new("station.toml")) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e,
    }
}
