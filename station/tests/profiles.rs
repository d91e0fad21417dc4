//! Identity profiles and subject access against the real S3 server (SeaweedFS): one station
//! seals two exams of one student and one of another, its uplink sends them; the institution
//! fetches and opens each (`examctl open --site`, with the site's roster): each student gets
//! one profile under `profiles/`, and no student number is anywhere in the bucket in clear.
//! The retention check covers the profiles with 365 days; the review page shows the profile's
//! stills beside the exam's own; `examctl subject-access` gathers the first student's two
//! exams and profile and nothing of the second's; `examctl erase` removes the profile, and a
//! later answer shows none. The pages are read in headless Chromium.

mod common;
mod s3station;

use std::path::{Path, PathBuf};

use bundle::keys::Identity;
use common::{all_files, contains};
use s3station::{s3, Station};
use uplink::profile::command::{self, AccessArgs, Bucket, EraseArgs, KeepArgs};
use uplink::profile::pseudonym;
use uplink::store::CentralStore;

const ALICE: &str = "20261234";
const BOB: &str = "20265678";

/// Every object in the bucket: key and bytes.
fn objects(store: &dyn CentralStore, tmp: &Path) -> Vec<(String, Vec<u8>)> {
    let file = tmp.join("object");
    store
        .list("")
        .unwrap()
        .into_iter()
        .map(|l| {
            store.get(&l.key, &file).unwrap();
            (l.key, std::fs::read(&file).unwrap())
        })
        .collect()
}

/// What a browser shows of `page`: its text, and how many images loaded (and how many failed).
fn in_chromium(page: &Path, shot: &Path) -> (String, u64, u64) {
    let mut b = headless::Browser::chromium();
    b.open(&format!("file://{}", page.display()));
    b.wait_for("document.readyState === 'complete' && [...document.images].every(i => i.complete)");
    let text = b
        .eval("document.body.innerText")
        .as_str()
        .unwrap_or("")
        .to_owned();
    let ok = b.eval("[...document.images].filter(i => i.naturalWidth > 0).length");
    let bad = b.eval("[...document.images].filter(i => i.naturalWidth === 0).length");
    b.screenshot(shot);
    (text, ok.as_u64().unwrap(), bad.as_u64().unwrap())
}

#[test]
fn each_student_gets_one_profile_and_their_own_answer_and_erasure_removes_it() {
    let server = s3::server();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let bucket = s3::bucket("profiles");
    let s3store = s3::s3_store(&server, &bucket, &tmp).unwrap();
    s3store.create_bucket().unwrap();
    uplink::retention::apply(&s3store, "fleet").unwrap();
    let creds = server.creds_file(t);
    let identity = Identity::generate();
    let id_file = t.join("institution.key");
    std::fs::write(&id_file, identity.to_secret_string()).unwrap();
    let roster = t.join("roster.csv");
    std::fs::write(
        &roster,
        format!("student,name\n{ALICE},\"Tremblay, Marie\"\n{BOB},Jean Roy\n"),
    )
    .unwrap();

    // The station: three exams, then its uplink.
    let st = Station::sealed_to(
        "hall-c-04",
        &server.endpoint,
        &bucket,
        &creds,
        "",
        &identity.recipient().to_string(),
    );
    let mut exams = Vec::new();
    for student in [ALICE, ALICE, BOB] {
        let e = st.stationctl(&["exam", "simulate", "--duration", "3s", "--student", student]);
        assert!(e.status.success(), "{e:?}");
        let dir = PathBuf::from(String::from_utf8_lossy(&e.stdout).trim());
        exams.push(dir.file_name().unwrap().to_string_lossy().into_owned());
    }
    let pass = st.uplink(3);
    assert!(pass.failed.is_empty(), "{pass:?}");

    // The institution fetches and opens each, keeping profiles.
    let site = board_config::load_site(&st.site).unwrap();
    let store = uplink::store::open(&site, Some(&creds), &Default::default()).unwrap();
    let keep = KeepArgs {
        site: Some(st.site.clone()),
        credentials: Some(creds.clone()),
        roster: Some(roster.clone()),
        refresh_profile: false,
    };
    let mut opened = Vec::new();
    for exam in &exams {
        let sealed = t.join("sealed").join(exam);
        uplink::fetch::fetch(store.as_ref(), "fleet", exam, &sealed, None).unwrap();
        let out = t.join("opened").join(exam);
        uplink::open::open(&sealed, &identity, &out).unwrap();
        let said = command::after_open(&keep, &identity, &out).unwrap();
        assert!(out.join("profile/profile.json").is_file(), "{said}");
        opened.push((out, said));
    }
    let said = |i: usize, want: &str| {
        assert!(opened[i].1.contains(want), "exam {i}: {}", opened[i].1);
    };
    said(
        0,
        "profile: made from this check-in for Tremblay, Marie (4 still(s))",
    );
    said(1, "profile: held since");
    said(1, &format!("(made from exam {})", exams[0]));
    said(2, "profile: made from this check-in for Jean Roy");

    // One profile each, under pseudonyms; no student number in any key or clear content.
    let profile_keys = || -> Vec<String> {
        store
            .list("fleet/profiles/")
            .unwrap()
            .into_iter()
            .map(|l| l.key)
            .collect()
    };
    let profiles = profile_keys();
    assert_eq!(profiles.len(), 2, "{profiles:?}");
    for (s, k) in [(ALICE, &profiles), (BOB, &profiles)] {
        let folder = format!("fleet/profiles/{}/", pseudonym(&identity, s));
        assert_eq!(
            k.iter().filter(|k| k.starts_with(&folder)).count(),
            1,
            "{s}: {k:?}"
        );
    }
    let all = objects(store.as_ref(), t);
    assert!(all.len() > 20, "{}", all.len());
    for (key, bytes) in &all {
        for s in [ALICE, BOB] {
            assert!(
                !key.contains(s) && !contains(bytes, s.as_bytes()),
                "{s} in clear in {key}"
            );
        }
    }

    // The retention check covers the profiles with 365 days.
    let (problems, _) = uplink::retention::check(&s3store, "fleet").unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let rules = uplink::retention::parse_rules(&uplink::retention::lifecycle(&s3store).unwrap());
    assert!(
        rules
            .iter()
            .any(|r| r.prefix == "fleet/profiles/" && r.expire_days == Some(365)),
        "{rules:?}"
    );

    // The review page: the profile's stills beside the exam's own.
    let review = t.join("review");
    let built = review::page::build(&[opened[1].0.clone()], &review, 2).unwrap();
    let page = review.join("exams").join(&exams[1]).join("index.html");
    assert!(page.is_file(), "{built:?}");
    let mut b = headless::Browser::chromium();
    b.open(&format!("file://{}", page.display()));
    b.wait_for("document.querySelectorAll('#stills-list .still-col').length === 2 && [...document.images].every(i => i.complete)");
    let cols = b.eval(
        "[...document.querySelectorAll('#stills-list .still-col')].map(c => c.querySelector('h3').textContent + ':' + [...c.querySelectorAll('img')].filter(i => i.naturalWidth > 0).map(i => i.getAttribute('src')).join(','))",
    );
    b.screenshot(&t.join("review.png"));
    let cols: Vec<String> = serde_json::from_value(cols).unwrap();
    assert_eq!(cols.len(), 2, "{cols:?}");
    assert!(cols[0].starts_with("Exam:identity/photo-id"), "{cols:?}");
    assert!(cols[1].starts_with("Profile:profile/photo-id"), "{cols:?}");
    assert!(cols[1].contains("profile/face"), "{cols:?}");
    save_for_docs(&t.join("review.png"), "review-profile.png");

    // Subject access for the first student: both exams and the profile, nothing of the second.
    let bucket_args = Bucket {
        site: st.site.clone(),
        credentials: Some(creds.clone()),
        identity: id_file.clone(),
    };
    let access = |out: &Path| AccessArgs {
        bucket: bucket_args.clone(),
        student: ALICE.into(),
        receipt: None,
        media: false,
        out: out.to_owned(),
        registry: None,
        workers: Some(2),
    };
    let answer_dir = t.join("answer");
    let answer = command::subject_access(&access(&answer_dir)).unwrap();
    let got: Vec<&str> = answer.exams.iter().map(|h| h.entry.exam.as_str()).collect();
    assert_eq!(got, [exams[0].as_str(), exams[1].as_str()]);
    assert_eq!(
        answer.profile.as_ref().unwrap().name.as_deref(),
        Some("Tremblay, Marie")
    );
    let files = all_files(&answer_dir);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !contains(&bytes, BOB.as_bytes()) && !contains(&bytes, exams[2].as_bytes()),
            "second student in {}",
            f.display()
        );
        assert!(!f.to_string_lossy().contains(&exams[2]));
    }
    let sums = std::fs::read_to_string(answer_dir.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), files.len() - 1, "{sums}");
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&answer_dir)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    let (text, ok, bad) = in_chromium(&answer.index, &t.join("answer.png"));
    assert!(
        text.contains(&format!("What Test U holds about student {ALICE}")),
        "{text}"
    );
    assert!(
        text.contains("Tremblay, Marie") && text.contains("Exams (2)"),
        "{text}"
    );
    assert!(
        text.contains(&exams[0]) && text.contains(&exams[1]),
        "{text}"
    );
    assert_eq!(
        (ok, bad),
        (4, 0),
        "the profile's photo ID and three face frames load: {text}"
    );
    save_for_docs(&t.join("answer.png"), "subject-access.png");

    // The receipt finds the exact exam.
    let receipt = answer.exams[1].entry.receipt.to_lowercase();
    let one_dir = t.join("one");
    let mut one = access(&one_dir);
    one.receipt = Some(receipt.clone());
    let only = command::subject_access(&one).unwrap();
    assert_eq!(only.exams.len(), 1);
    assert_eq!(only.exams[0].entry.exam, exams[1]);
    let mut wrong = access(&t.join("wrong"));
    wrong.receipt = Some("0000-0000-0000".into());
    let e = command::subject_access(&wrong).unwrap_err().to_string();
    assert!(
        e.contains("no exam of student 20261234 has receipt 0000-0000-0000"),
        "{e}"
    );

    // Erasure: the profile goes, the second student's stays, the exams are listed.
    let erase = EraseArgs {
        bucket: bucket_args.clone(),
        student: ALICE.into(),
    };
    let erased = command::erase(&erase).unwrap();
    assert_eq!(erased.removed.len(), 1);
    assert!(erased.locked.is_empty(), "no object lock on this bucket");
    assert_eq!(erased.exams.len(), 2, "the exams stay, listed");
    let left = profile_keys();
    assert_eq!(left.len(), 1);
    assert!(left[0].contains(&pseudonym(&identity, BOB)), "{left:?}");
    let after_dir = t.join("after");
    let after = command::subject_access(&access(&after_dir)).unwrap();
    assert!(after.profile.is_none());
    assert_eq!(after.exams.len(), 2);
    let (text, _, _) = in_chromium(&after.index, &t.join("after.png"));
    assert!(text.contains("No identity profile is held."), "{text}");
}

/// Keeps a screenshot in `docs/screens/` when `EXAM_DOCS_SHOTS` is set (how the README's
/// pictures of profiles are made).
fn save_for_docs(shot: &Path, name: &str) {
    if std::env::var_os("EXAM_DOCS_SHOTS").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs/screens")
            .join(name);
        std::fs::copy(shot, docs).unwrap();
    }
}
