//! Uploads over TLS to an on-premises store whose certificate is signed by the institution's
//! own CA (`uplink.ca_file`), against the real S3 server (SeaweedFS) serving https.

mod support;

use std::path::Path;
use std::time::Duration;

use uplink::daemon::{self, Options};
use uplink::log::Log;
use uplink::throttle::Throttle;

/// An on-premises site reaching the test store over https; `extra` adds `[uplink]` lines.
fn site(server: &support::Server, bucket: &str, creds: &Path, extra: &str) -> board_config::Site {
    let text = support::site_toml(
        &server.https_endpoint,
        "campus-1",
        bucket,
        creds,
        &format!("on_premises = true\n{extra}"),
    );
    board_config::parse_site(&text, Path::new("tls-site.toml")).unwrap()
}

fn options(data: &Path) -> Options {
    let mut o = Options::new(data.to_owned(), true);
    o.tuning.io_timeout = Duration::from_secs(5);
    o.retry.base = Duration::from_millis(20);
    o.retry.max_attempts = Some(2);
    o.progress = false;
    o
}

#[test]
fn https_with_the_sites_ca_uploads_and_other_roots_are_refused() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = support::bucket("tls");
    support::s3_store(&server, &bucket, &tmp)
        .unwrap()
        .create_bucket()
        .unwrap();
    let creds = server.creds_file(tmp.path());
    let data = tmp.path().join("data");
    let exam = "20261125-150000-000001";
    let dir = support::make_bundle(&data.join("spool"), exam, &[20_000, 6 << 20], 5);
    let log = Log::open(&daemon::log_path(&data)).unwrap();

    // Without ca_file only the public web roots are trusted: the test CA is not one of them.
    let public = site(&server, &bucket, &creds, "");
    let store = uplink::store::open(&public, None, &Default::default()).unwrap();
    let pass = daemon::pass(
        &public,
        store.as_ref(),
        &Throttle::new(0),
        &log,
        &options(&data),
    );
    let pass = pass.unwrap();
    assert!(
        pass.done.is_empty(),
        "uploaded to a store signed by an unknown CA"
    );
    let why = format!("{:?}", pass.failed);
    assert!(why.to_lowercase().contains("certificate"), "{why}");
    assert!(dir.exists(), "the bundle must stay in the spool");

    // With the site's CA the same bundle goes through, verified, then deleted locally.
    let ca = format!("ca_file = \"{}\"\n", server.ca.display());
    let pinned = site(&server, &bucket, &creds, &ca);
    let store = uplink::store::open(&pinned, None, &Default::default()).unwrap();
    let pass = daemon::pass(
        &pinned,
        store.as_ref(),
        &Throttle::new(0),
        &log,
        &options(&data),
    );
    let pass = pass.unwrap();
    assert_eq!(pass.done.len(), 1, "{:?}", pass.failed);
    assert!(!dir.exists(), "the local copy must go once verified");
}

#[test]
fn unreadable_or_non_pem_ca_file_is_named() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let creds = server.creds_file(tmp.path());
    let junk = tmp.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    for (file, says) in [
        (junk.clone(), "no PEM certificate"),
        (tmp.path().join("missing.pem"), "No such file"),
    ] {
        let extra = format!("ca_file = \"{}\"\n", file.display());
        let s = site(&server, "tls-bad", &creds, &extra);
        let err = uplink::store::open(&s, None, &Default::default())
            .err()
            .expect("a bad ca_file must not open a store")
            .to_string();
        assert!(err.contains("uplink.ca_file"), "{err}");
        assert!(err.contains(&file.display().to_string()), "{err}");
        assert!(err.contains(says), "{err}");
    }
}
