//! `examctl subject-access` and `erase` as a user runs them, on a folder store that holds
//! nothing of the student: an answer that says so, a refusal to write into a folder already
//! used, a receipt that names no exam, and an erasure with nothing to erase.
//! (Profiles made from real exams: station/tests/profiles.rs.)

use std::path::Path;
use std::process::{Command, Output};

fn examctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_examctl"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn setup(t: &Path) -> (String, String) {
    let key = t.join("institution.key");
    let k = examctl(&["keygen", "--out", key.to_str().unwrap()]);
    assert!(k.status.success(), "{}", text(&k));
    let recipient = String::from_utf8_lossy(&k.stdout).trim().to_owned();
    let site = t.join("site.toml");
    std::fs::write(
        &site,
        format!(
            "[station]\nid = \"hall-a-01\"\nlocation = \"Hall A\"\n[institution]\nname = \"Test U\"\nrecipient = \"{recipient}\"\n\
             [exam]\nallowlist = [\"exam.example.ca\"]\n[uplink]\nbackend = \"folder\"\nresidency = \"CA\"\nfolder = \"{}\"\n",
            t.join("central").display()
        ),
    )
    .unwrap();
    (
        site.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    )
}

#[test]
fn nothing_held_is_answered_plainly_and_mistakes_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (site, key) = setup(tmp.path());
    let out = tmp.path().join("answer");
    let o = out.to_str().unwrap();
    let base = ["--site", &site, "--identity", &key, "--student", "20261234"];

    let a = examctl(&[&["subject-access"][..], &base, &["--out", o]].concat());
    assert!(a.status.success(), "{}", text(&a));
    assert!(
        text(&a).contains("student 20261234: 0 exam(s), no identity profile held"),
        "{}",
        text(&a)
    );
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        page.contains("No identity profile is held.")
            && page.contains("No exam recordings are held.")
    );
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    assert!(sums.ends_with("  index.html\n"), "{sums}");

    let again = examctl(&[&["subject-access"][..], &base, &["--out", o]].concat());
    assert!(!again.status.success());
    assert!(text(&again).contains("not empty"), "{}", text(&again));

    let other = tmp.path().join("other");
    let r = examctl(
        &[
            &["subject-access"][..],
            &base,
            &[
                "--out",
                other.to_str().unwrap(),
                "--receipt",
                "7K2M-QX9D-AB3F",
            ],
        ]
        .concat(),
    );
    assert!(!r.status.success());
    assert!(
        text(&r).contains("--receipt: no exam of student 20261234 has receipt 7K2M-QX9D-AB3F"),
        "{}",
        text(&r)
    );

    let e = examctl(&[&["erase"][..], &base].concat());
    assert!(e.status.success(), "{}", text(&e));
    assert!(
        text(&e).contains("student 20261234: no identity profile held")
            && text(&e).contains("no exam recordings of student 20261234 are held"),
        "{}",
        text(&e)
    );
}
