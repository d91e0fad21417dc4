//! A cut at 50%: uplinkd is killed (SIGKILL) once half the bundle's bytes went through a
//! counting proxy, then started again; the bytes sent twice must be at most the parts that
//! were in flight.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{self, proxy};
use crate::{uplinkd, IN_FLIGHT, MIB, PART_MIB};

pub fn run(server: &support::Server, bucket: &str, tmp: &Path) {
    let data = tmp.join("data-cut");
    let sizes = [300_000, 48 * MIB, 24 * MIB + 333];
    support::make_bundle(&data.join("spool"), "20261125-140000-000002", &sizes, 12);
    let total: u64 = sizes.iter().map(|&s| s as u64).sum();
    let p = proxy::start(&server.addr(), proxy::Faults::none());
    let site = crate::site(
        server,
        &p.endpoint,
        bucket,
        (tmp, "site-cut.toml"),
        "bandwidth_limit_kbps = 160000",
    );
    let mut child = uplinkd(&site, &data).spawn().unwrap();
    let t = Instant::now();
    while p.up() < total / 2 {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "uplinkd made no progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = p.up();
    let resent = p.resent_after(&mut uplinkd(&site, &data), total);
    let bound = (IN_FLIGHT * PART_MIB * MIB) as u64;
    println!(
        "uplink cut @50%  {resent} bytes sent again ({:.2}% of the bundle; at most the parts in flight: {IN_FLIGHT} x {PART_MIB} MiB = {bound}; cut after {at_kill} of {total} bytes)",
        resent as f64 * 100.0 / total as f64
    );
    assert!(
        resent <= bound + 64 * 1024,
        "a cut re-sent {resent} bytes, more than the parts in flight"
    );
}
