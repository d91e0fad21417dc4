//! Goodput of `uplinkd` against `rclone copy` of the same bundle to the same server, and client
//! CPU per GB. Both use the site's part size; uplinkd keeps at most [`IN_FLIGHT`] requests
//! carrying data in flight, and rclone is run in both shapes that keep it at that many (four
//! files at once, one part each; one file at a time, four parts of it), the faster counting.
//! Each client runs twice, the faster run counting; CPU is the mean of the runs.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support;
use crate::{timed, uplinkd, IN_FLIGHT, MIB, PART_MIB};

/// An hour's bundle: the ID photo, then for each minute a camera segment (about 2 Mbit/s), a
/// screen segment and a microphone segment: 181 files, about 1 GiB.
fn hour() -> Vec<usize> {
    let mut sizes = vec![300_000];
    for minute in 0..60 {
        sizes.extend([15 * MIB + 123_457 + minute * 1000, 3 * MIB / 2, 240_000]);
    }
    sizes
}

/// A 75 MB bundle of a site with long segments: the photo and two long camera files.
const LONG: [usize; 3] = [300_000, 48 * MIB, 24 * MIB + 333];

/// `rclone copy` of `src` to `dest` on the bench server.
fn rclone(
    server: &support::Server,
    src: &Path,
    dest: &str,
    transfers: usize,
    parts: usize,
) -> Command {
    let mut c = Command::new("rclone");
    c.args(["copy", "--s3-chunk-size"])
        .arg(format!("{PART_MIB}Mi"))
        .arg("--s3-upload-cutoff")
        .arg(format!("{PART_MIB}Mi"))
        .arg("--s3-upload-concurrency")
        .arg(parts.to_string())
        .arg("--transfers")
        .arg(transfers.to_string())
        .args(["--checkers", "4"])
        .arg(src)
        .arg(format!("bench:{dest}"))
        // A CA-bundle variable in the environment breaks rclone's plain-http S3 client.
        .env_remove("AWS_CA_BUNDLE")
        .env("RCLONE_CONFIG_BENCH_TYPE", "s3")
        .env("RCLONE_CONFIG_BENCH_PROVIDER", "Other")
        .env("RCLONE_CONFIG_BENCH_ENDPOINT", &server.endpoint)
        .env("RCLONE_CONFIG_BENCH_ACCESS_KEY_ID", &server.access_key)
        .env("RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY", &server.secret_key)
        .env("RCLONE_CONFIG_BENCH_REGION", "ca-central-1");
    c
}

/// Runs of one client: the fastest wall time, and the mean CPU.
#[derive(Default)]
struct Runs(Vec<(Duration, Duration)>);

impl Runs {
    fn best(&self) -> Duration {
        self.0.iter().map(|r| r.0).min().unwrap_or_default()
    }
    fn cpu(&self) -> Duration {
        self.0.iter().map(|r| r.1).sum::<Duration>() / self.0.len().max(1) as u32
    }
}

/// Measures one bundle; returns the best goodput seen (bytes/s).
fn bundle(
    server: &support::Server,
    bucket: &str,
    tmp: &Path,
    label: &str,
    sizes: &[usize],
    seed: u64,
) -> f64 {
    let pristine = support::make_bundle(
        &tmp.join(format!("pristine-{label}")).join("spool"),
        &format!("20261125-1500{seed:02}-00bench"),
        sizes,
        seed,
    );
    let total: u64 = bundle::manifest::list_files(&pristine)
        .unwrap()
        .iter()
        .map(|n| std::fs::metadata(pristine.join(n)).unwrap().len())
        .sum();
    let site = crate::site(server, &server.endpoint, bucket, (tmp, "site.toml"), "");
    let (mut ours, mut by_files, mut by_parts) =
        (Runs::default(), Runs::default(), Runs::default());
    for rep in 0..2 {
        let data = tmp.join(format!("data-{label}-{rep}"));
        let exam = pristine.file_name().unwrap();
        support::copy_dir(&pristine, &data.join("spool").join(exam));
        ours.0.push(timed("uplinkd", &mut uplinkd(&site, &data)));
        std::fs::remove_dir_all(&data).unwrap();
        let dest = |shape: &str| format!("{bucket}/rclone-{label}-{rep}-{shape}");
        by_files.0.push(timed(
            "rclone",
            &mut rclone(server, &pristine, &dest("files"), IN_FLIGHT, 1),
        ));
        by_parts.0.push(timed(
            "rclone",
            &mut rclone(server, &pristine, &dest("parts"), 1, IN_FLIGHT),
        ));
    }
    let (rclone, shape) = if by_files.best() <= by_parts.best() {
        (&by_files, format!("{IN_FLIGHT} files at once, 1 part each"))
    } else {
        (&by_parts, format!("1 file at a time, {IN_FLIGHT} parts"))
    };
    let mbs = |d: Duration| total as f64 / 1e6 / d.as_secs_f64();
    let per_gb = |d: Duration| d.as_secs_f64() / (total as f64 / 1e9);
    println!(
        "uplink {label:<7} goodput {:.1} MB/s, rclone copy {:.1} MB/s ({shape}; other shape {:.1} MB/s)  goodput ratio vs rclone {:.3} ({total} bytes, {} files, part {PART_MIB} MiB, {IN_FLIGHT} in flight; best of 2)",
        mbs(ours.best()),
        mbs(rclone.best()),
        mbs(if std::ptr::eq(rclone, &by_files) { by_parts.best() } else { by_files.best() }),
        rclone.best().as_secs_f64() / ours.best().as_secs_f64(),
        sizes.len() + 1,
    );
    println!(
        "uplink {label:<7} CPU per GB: uplinkd {:.2} s, rclone {:.2} s  ratio {:.3} (uplinkd also checks the whole bundle's SHA-256 and hashes each part twice: MD5 and SHA-256)",
        per_gb(ours.cpu()),
        per_gb(rclone.cpu()),
        ours.cpu().as_secs_f64() / rclone.cpu().as_secs_f64()
    );
    mbs(ours.best()).max(mbs(rclone.best())) * 1e6
}

/// Both bundles; returns the best goodput measured on the 75 MB one (bytes/s): what the link
/// allows.
pub fn run(server: &support::Server, bucket: &str, tmp: &Path) -> f64 {
    bundle(server, bucket, tmp, "1 GiB", &hour(), 21);
    bundle(server, bucket, tmp, "75 MB", &LONG, 22)
}
