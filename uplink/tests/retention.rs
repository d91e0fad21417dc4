//! Retention on the central bucket (P7) against the real S3 server: `examctl retention
//! apply/check` for one station, for two stations on one bucket, and on an object-locked one.

mod support;

use std::path::Path;

use uplink::daemon;

/// `examctl ARGS --site SITE --credentials CREDS`: whether it succeeded, and what it said.
fn examctl(args: &[&str], site: &Path, creds: &Path) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_examctl"))
        .args(args)
        .arg("--site")
        .arg(site)
        .arg("--credentials")
        .arg(creds)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn create_bucket_then_retention_apply_then_check_pass() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = support::bucket("retention");
    let creds = server.creds_file(tmp.path());
    let site_file = tmp.path().join("site.toml");
    std::fs::write(
        &site_file,
        support::site_toml(
            &server.endpoint,
            "ca-central-1",
            &bucket,
            Path::new("/nonexistent/station-creds.toml"),
            "",
        ),
    )
    .unwrap();
    let examctl = |args: &[&str]| examctl(args, &site_file, &creds);
    let (ok, said) = examctl(&["create-bucket"]);
    assert!(ok, "{said}");
    let (ok, _) = examctl(&["retention", "check"]);
    assert!(!ok, "check passed on a bucket without rules");
    let (ok, applied) = examctl(&["retention", "apply"]);
    assert!(ok, "apply: {applied}");
    let (ok, said) = examctl(&["retention", "check"]);
    assert!(ok, "check: {said}");
    assert!(said.contains("object lock"), "{said}");
    eprintln!("{applied}{said}");
}

/// `examctl retention apply` for station B, then A, on one bucket that already holds A's
/// recordings: B's check first fails, naming A's recordings as not expired by any rule; after
/// A's apply both checks pass (S3 replaces the whole lifecycle document on each PUT: the second
/// apply must keep the first one's rules).
#[test]
fn retention_for_two_stations_on_one_bucket() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = support::bucket("retention-two");
    let store = support::s3_store(&server, &bucket, &tmp).unwrap();
    store.create_bucket().unwrap();
    let creds = server.creds_file(tmp.path());
    // Station A's recordings are in the bucket.
    let data = tmp.path().join("data");
    support::make_bundle(&data.join("spool"), "20261125-110000-aaaaaa", &[1000], 3);
    let site_a = support::site(&server.endpoint, &bucket, &creds, "");
    let pass = daemon::run(&site_a, &support::fast_options(&data), &mut |_| {}).unwrap();
    assert_eq!(pass.done.len(), 1);
    let site_file = |name: &str, prefix: &str| {
        let text = support::site_toml(&server.endpoint, "ca-central-1", &bucket, &creds, "")
            .replace("stations/test-station-01", prefix);
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let (a, b) = (
        site_file("a.toml", "stations/test-station-01"),
        site_file("b.toml", "stations/test-station-02"),
    );
    let examctl = |cmd: &str, site: &Path| examctl(&["retention", cmd], site, &creds);
    assert!(examctl("apply", &b).0);
    let (ok, said) = examctl("check", &b);
    assert!(
        !ok,
        "B's check passed with A's recordings uncovered: {said}"
    );
    assert!(
        said.contains("stations/test-station-01/recordings/"),
        "{said}"
    );
    assert!(examctl("apply", &a).0);
    for site in [&a, &b] {
        let (ok, said) = examctl("check", site);
        assert!(ok, "{}: {said}", site.display());
    }
}

/// On a bucket created with object lock (so versioned), `retention check` also requires that
/// expired recordings' noncurrent versions and the delete markers go: a bucket with only the
/// plain rules fails, `retention apply` puts the versioned rules in (and a COMPLIANCE default
/// retention) and the check passes.
#[test]
fn retention_on_an_object_locked_bucket_requires_the_noncurrent_version_rule() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = support::bucket("retention-locked");
    let (creds, site) = support::site_files(&server, &bucket, tmp.path());
    let examctl = |args: &[&str]| examctl(args, &site, &creds);
    let (ok, said) = examctl(&["create-bucket", "--object-lock"]);
    assert!(ok, "{said}");
    let store = support::s3_store(&server, &bucket, &tmp).unwrap();
    assert!(
        uplink::retention::versioned(&store, &uplink::retention::object_lock(&store).unwrap())
            .unwrap(),
        "a bucket created with object lock is versioned"
    );
    // The plain rules only (what an apply for an unversioned bucket writes).
    let plain = uplink::retention::to_xml(&uplink::retention::wanted(
        "stations/test-station-01",
        false,
    ));
    uplink::retention::put_lifecycle(&store, &plain).unwrap();
    let (ok, said) = examctl(&["retention", "check"]);
    assert!(
        !ok,
        "check passed without the noncurrent-version rule: {said}"
    );
    assert!(said.contains("noncurrent versions"), "{said}");
    let (ok, said) = examctl(&["retention", "apply"]);
    assert!(ok, "{said}");
    assert!(said.contains("noncurrent versions Some(1) days"), "{said}");
    let (ok, said) = examctl(&["retention", "check"]);
    assert!(ok, "{said}");
    eprintln!("{said}");
}
