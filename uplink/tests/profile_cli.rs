//! `examctl subject-access` and `erase` as a user runs them, on a folder store that holds
//! nothing of the student: an answer that says so, a refusal to write into a folder already
//! used, a receipt that names no exam, and an erasure with nothing to erase; and an erasure on
//! an object-locked bucket (SeaweedFS) that names the versions the lock keeps.
//! (Profiles made from real exams: station/tests/profiles.rs.)

mod support;

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

#[test]
fn erasure_on_an_object_locked_bucket_names_the_versions_the_lock_keeps() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = support::bucket("erase-locked");
    let (creds, site) = support::site_files(&server, &bucket, tmp.path());
    let (site_s, creds_s) = (site.to_str().unwrap(), creds.to_str().unwrap());
    for args in [
        &["create-bucket", "--object-lock"][..],
        &["retention", "apply"][..],
    ] {
        let o = examctl(&[args, &["--site", site_s, "--credentials", creds_s][..]].concat());
        assert!(o.status.success(), "{}", text(&o));
    }
    let key = tmp.path().join("institution.key");
    assert!(examctl(&["keygen", "--out", key.to_str().unwrap()])
        .status
        .success());
    let identity = bundle::keys::Identity::load(&key).unwrap();
    let cfg = board_config::load_site(&site).unwrap();
    let store = uplink::store::open(&cfg, Some(&creds), &Default::default()).unwrap();
    let profiles = uplink::profile::Profiles {
        store: store.as_ref(),
        prefix: &cfg.uplink.prefix,
        identity: &identity,
    };
    let kept = profiles
        .store(uplink::profile::Profile {
            format: uplink::profile::FORMAT,
            student: "20261234".into(),
            name: None,
            created_at: "2026-12-02T10:00:00.000Z".into(),
            exam: "20261202-100000-abcdef".into(),
            station: "test-station-01".into(),
            stills: vec![],
        })
        .unwrap();
    assert_eq!(profiles.latest("20261234").unwrap().unwrap().key, kept.key);

    let e = examctl(&[
        "erase",
        "--site",
        site_s,
        "--credentials",
        creds_s,
        "--identity",
        key.to_str().unwrap(),
        "--student",
        "20261234",
    ]);
    let said = text(&e);
    assert!(e.status.success(), "{said}");
    assert!(
        said.contains(&format!("removed profile s3://{bucket}/{}", kept.key)),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "object lock (COMPLIANCE, 180 days): {} is hidden behind a delete marker, but its version stays locked until about 2027-05-31",
            kept.key
        )),
        "{said}"
    );
    assert!(profiles.latest("20261234").unwrap().is_none(), "{said}");
}
