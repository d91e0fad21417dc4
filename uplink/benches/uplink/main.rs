//! `cargo xtask bench` (uplink part): goodput of `uplinkd` against `rclone copy` of the same
//! bundle to the same S3 server (both measured in this run), and the bytes sent again after
//! uplinkd is killed half-way through a bundle and restarted.
//!
//! Needs the S3 server that `cargo xtask bench` starts (EXAM_S3_* variables; without them a
//! `weed mini` is started here) and `rclone` (installed by the bench task).

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use support::proxy::{self, Faults};

const MIB: usize = 1 << 20;
const SIZES: [usize; 3] = [48 * MIB, 24 * MIB + 333, 300_000];

fn uplinkd(site: &std::path::Path, data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_uplinkd"));
    c.arg("--site")
        .arg(site)
        .arg("--data-dir")
        .arg(data)
        .arg("--once");
    c.env("RUST_LOG", "warn");
    c
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` builds this file too and runs
    // it without, where it must not measure anything (nor need rclone, which only
    // `cargo xtask bench` installs).
    if !std::env::args().any(|a| a == "--bench") || std::env::args().any(|a| a == "--list") {
        eprintln!("uplink bench: measured only under `cargo bench` (`cargo xtask bench`)");
        return;
    }
    let server = support::server();
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let bucket = support::bucket("bench");
    let store = support::s3_store(&server, &bucket, &tmp).unwrap();
    store.create_bucket().unwrap();
    let creds = server.creds_file(tmp.path());
    let total: u64 = SIZES.iter().map(|&s| s as u64).sum();

    // 1. uplinkd, straight to the server.
    let data = tmp.path().join("data");
    let dir = support::make_bundle(&data.join("spool"), "20261125-140000-000001", &SIZES, 11);
    let copy = tmp.path().join("for-rclone");
    support::copy_dir(&dir, &copy);
    let site = tmp.path().join("site.toml");
    std::fs::write(
        &site,
        support::site_toml(&server.endpoint, "ca-central-1", &bucket, &creds, ""),
    )
    .unwrap();
    let t = Instant::now();
    let out = uplinkd(&site, &data).output().unwrap();
    assert!(
        out.status.success(),
        "uplinkd failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = t.elapsed();

    // 2. rclone copy of the same files to the same server (same part size, one transfer at a
    //    time like uplinkd; rclone checks MD5s as uplinkd does).
    let t = Instant::now();
    let st = Command::new("rclone")
        .args([
            "copy",
            "--s3-chunk-size",
            "5Mi",
            "--s3-upload-concurrency",
            "1",
            "--transfers",
            "1",
            "--checkers",
            "1",
        ])
        .arg(&copy)
        .arg(format!("bench:{bucket}/rclone"))
        // A CA-bundle variable in the environment breaks rclone's plain-http S3 client.
        .env_remove("AWS_CA_BUNDLE")
        .env("RCLONE_CONFIG_BENCH_TYPE", "s3")
        .env("RCLONE_CONFIG_BENCH_PROVIDER", "Other")
        .env("RCLONE_CONFIG_BENCH_ENDPOINT", &server.endpoint)
        .env("RCLONE_CONFIG_BENCH_ACCESS_KEY_ID", &server.access_key)
        .env("RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY", &server.secret_key)
        .env("RCLONE_CONFIG_BENCH_REGION", "ca-central-1")
        .status()
        .expect("rclone runs (cargo xtask bench installs it)");
    assert!(st.success(), "rclone failed");
    let rclone = t.elapsed();
    let mbs = |d: Duration| total as f64 / 1e6 / d.as_secs_f64();
    println!(
        "uplink goodput   {:.1} MB/s (rclone copy {:.1} MB/s)  time ratio vs rclone {:.3} ({} bytes: {:.2} s vs {:.2} s)",
        mbs(ours),
        mbs(rclone),
        ours.as_secs_f64() / rclone.as_secs_f64(),
        total,
        ours.as_secs_f64(),
        rclone.as_secs_f64()
    );

    // 3. A cut at 50%: SIGKILL once half the bytes went through a counting proxy, restart.
    let data = tmp.path().join("data-cut");
    support::make_bundle(&data.join("spool"), "20261125-140000-000002", &SIZES, 12);
    let p = proxy::start(&server.addr(), Faults::none());
    let site = tmp.path().join("site-cut.toml");
    std::fs::write(
        &site,
        support::site_toml(
            &p.endpoint,
            "ca-central-1",
            &bucket,
            &creds,
            "bandwidth_limit_kbps = 160000",
        ),
    )
    .unwrap();
    let mut child = uplinkd(&site, &data).spawn().unwrap();
    let t = Instant::now();
    while p.stats.up.load(Ordering::Relaxed) < total / 2 {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "uplinkd made no progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = p.stats.up.load(Ordering::Relaxed);
    let out = uplinkd(&site, &data).output().unwrap();
    assert!(
        out.status.success(),
        "restart failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = p.stats.up.load(Ordering::Relaxed);
    let resent = sent.saturating_sub(total);
    println!(
        "uplink cut @50%  {resent} bytes sent again ({:.2}% of the bundle; cut after {at_kill} of {total} bytes; part size 5 MiB)",
        resent as f64 * 100.0 / total as f64
    );
}
