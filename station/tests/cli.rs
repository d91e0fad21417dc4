//! stationctl journal verify: exit 0 intact, 1 torn tail, 2 corrupt (with the record index);
//! the CLI's own errors: a bad board file, an exam without room for its recording.

mod common;

use std::io::Write;
use std::time::Instant;

use bundle::event::Event;
use common::*;

#[test]
fn journal_verify_exit_codes() {
    let f = Fixture::new();
    let dir = f.tmp.path().join("j");
    std::fs::create_dir_all(&dir).unwrap();
    let mut j =
        bundle::journal::Writer::open(&dir, &f.identity.recipient(), Instant::now()).unwrap();
    for _ in 0..8 {
        j.append(Event::CallButton).unwrap();
    }
    j.sync().unwrap();
    drop(j);
    let p = dir.join("journal-00000.bin");
    let run = |p: &std::path::Path| {
        let o = f
            .stationctl()
            .args(["journal", "verify"])
            .arg(p)
            .output()
            .unwrap();
        (
            o.status.code().unwrap(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, text) = run(&p);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("8 records"), "{text}");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&p)
        .unwrap()
        .write_all(&[9, 0, 0])
        .unwrap();
    let (code, text) = run(&p);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("8 good records"), "{text}");
    let mut bytes = std::fs::read(&p).unwrap();
    let n = bytes.len();
    bytes[n - 30] ^= 0x80; // inside the last whole record (index 7)
    std::fs::write(&p, bytes).unwrap();
    let (code, text) = run(&p);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("record 7"), "{text}");
}

#[test]
fn bad_board_file_is_explained() {
    let f = Fixture::new();
    let bad = f.tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&f.board)
            .unwrap()
            .replace("width = 640", "widht = 640"),
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_stationctl"))
        .arg("--board")
        .arg(&bad)
        .arg("--site")
        .arg(&f.site)
        .arg("--data-dir")
        .arg(&f.data)
        .arg("selftest")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("bad.toml") && e.contains("widht"), "{e}");
}

#[test]
fn an_exam_without_room_for_its_recording_is_refused_and_says_why() {
    let f = Fixture::new();
    let site = std::fs::read_to_string(&f.site).unwrap();
    let huge = site.replace("min_free_mib = 16", "min_free_mib = 1000000000");
    assert_ne!(huge, site);
    std::fs::write(&f.site, huge).unwrap();
    let o = f
        .stationctl()
        .args(["exam", "simulate", "--duration", "2s"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{said}");
    assert!(
        said.contains("not enough free space for this exam:") && said.contains("MiB needed"),
        "{said}"
    );
    let recorded: Vec<_> = all_files(&f.data.join("spool"))
        .into_iter()
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            ["camera-", "microphone-", "screen-"]
                .iter()
                .any(|s| n.starts_with(s))
        })
        .collect();
    assert!(recorded.is_empty(), "recorded without room: {recorded:?}");
}
