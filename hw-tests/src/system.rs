//! The image as a system: the uplink unit sends the exam's bundle to the host's store (QEMU user
//! network, https with the site's CA), nothing listens on the network, the system journal stays
//! in RAM without the hosts the exam visited, and no process can dump core.

use std::process::Command;

use crate::ctx::share;
use crate::ctx::{ensure, wait_for, Ctx};
use crate::exam::DATA;
use crate::Test;

/// The system tests (the uplink one after the exam tests).
pub const TESTS: &[(&str, Test)] = &[
    ("uplink_unit_sends_the_bundle", uplink),
    ("no_socket_listens_on_the_network", sockets),
    ("names_resolve_with_the_dhcp_servers", resolver),
    (
        "logs_in_ram_no_core_dumps_no_hosts_in_the_system_journal",
        logs,
    ),
];

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    ensure(out.status.success(), || {
        format!("{cmd:?}: {}: {text}", out.status)
    })?;
    Ok(text)
}

fn uplink(_ctx: &Ctx) -> Result<String, String> {
    let exam = std::fs::read_to_string(share().join("exam-id"))
        .map_err(|e| format!("no exam id from exam_sealed_and_verified: {e}"))?;
    // The exams typed at stationd (ended by time up, by the student, by the proctor, cut by
    // kill -9), when those tests ran.
    let typed = [
        "exam-id-typed",
        "exam-id-student",
        "exam-id-proctor",
        "exam-id-killed",
    ]
    .into_iter()
    .filter_map(|f| std::fs::read_to_string(share().join(f)).ok());
    // The unit reads /etc/station/station.toml, where image-run.sh put the test site.
    run(Command::new("systemctl").args(["restart", "uplinkd.service"]))?;
    let t0 = std::time::Instant::now();
    let mut sent = Vec::new();
    for exam in std::iter::once(exam).chain(typed) {
        sends(&exam)?;
        sent.push(format!("{exam} ({})", upload_times(&exam)));
    }
    Ok(format!(
        "uplinkd.service sent {}, verified each centrally and deleted it locally ({:.0} s in all)",
        sent.join(", "),
        t0.elapsed().as_secs_f64()
    ))
}

/// Waits until the uplink log says `exam` was deleted locally (after its central copy was
/// verified); returns how long that took.
pub(crate) fn sends(exam: &str) -> Result<std::time::Duration, String> {
    let local = std::path::Path::new(DATA).join("spool").join(exam);
    let log_path = std::path::Path::new(DATA).join("uplink/log");
    let mine = || -> Vec<String> {
        std::fs::read_to_string(&log_path)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(exam))
            .map(str::to_string)
            .collect()
    };
    let t0 = std::time::Instant::now();
    // Done when the log says `deleted` (written after the local copy is gone).
    let done = wait_for(300, || {
        Ok(mine()
            .iter()
            .any(|l| l.contains("\"event\":\"deleted\""))
            .then_some(()))
    })?;
    ensure(done.is_some() && !local.exists(), || {
        let journal = run(Command::new("journalctl").args([
            "-u",
            "uplinkd.service",
            "-n",
            "20",
            "--no-pager",
        ]))
        .unwrap_or_default();
        format!(
            "no `deleted` for {exam} after 300 s (local copy present: {}); uplink log:\n{}\n{journal}",
            local.exists(),
            mine().join("\n")
        )
    })?;
    Ok(t0.elapsed())
}

/// From the uplink log: the exam's end to its local copy deleted, and the upload's own time and
/// rate (the link's share of it). An exam that ended before uplinkd was started here waited for
/// that too.
fn upload_times(exam: &str) -> String {
    let log =
        std::fs::read_to_string(std::path::Path::new(DATA).join("uplink/log")).unwrap_or_default();
    let events: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|e: &serde_json::Value| e["exam"] == exam)
        .collect();
    let last = |kind: &str| events.iter().rev().find(|e| e["event"] == kind);
    let ms = |e: Option<&serde_json::Value>, field: &str| {
        e.and_then(|e| e[field].as_str())
            .and_then(bundle::rfc3339_ms)
    };
    let start = last("bundle_start");
    let (Some(ended), Some(began), Some(deleted)) = (
        ms(start, "ended_at"),
        ms(start, "t"),
        ms(last("deleted"), "t"),
    ) else {
        return "no timed upload in the uplink log".into();
    };
    let bytes = start.and_then(|e| e["bytes"].as_u64()).unwrap_or(0);
    let secs = |a: u64, b: u64| b.saturating_sub(a) as f64 / 1000.0;
    let upload = secs(began, deleted);
    format!(
        "exam end to local copy deleted {:.1} s; {bytes} bytes sent and verified in {upload:.2} s, {:.1} MB/s",
        secs(ended, deleted),
        bytes as f64 / 1e6 / upload.max(0.001)
    )
}

/// Whether `ss`'s local address column is a loopback address.
fn loopback(local: &str) -> bool {
    let host = local.rsplit_once(':').map_or(local, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.split('%').next().unwrap_or(host);
    host.starts_with("127.") || host == "::1" || local.contains("%lo:")
}

/// systemd-networkd's DHCP client socket (UDP port 68): it takes only the DHCP server's
/// answers to the station's own requests, and is the one socket the network may reach.
fn dhcp_client(line: &str) -> bool {
    let mut cols = line.split_whitespace();
    cols.next() == Some("udp")
        && cols.nth(3).is_some_and(|local| local.ends_with(":68"))
        && line.contains("\"systemd-network\"")
}

fn sockets(_ctx: &Ctx) -> Result<String, String> {
    let out = run(Command::new("ss").args(["-ltnupH"]))?;
    let (dhcp, open): (Vec<&str>, Vec<&str>) = out
        .lines()
        .filter(|l| {
            let local = l.split_whitespace().nth(4).unwrap_or("");
            !local.is_empty() && !loopback(local)
        })
        .partition(|l| dhcp_client(l));
    ensure(open.is_empty(), || {
        format!("listening beyond loopback:\n{}", open.join("\n"))
    })?;
    Ok(format!(
        "ss -ltnu: {} socket(s); beyond loopback only {} DHCP client socket(s) of systemd-networkd",
        out.lines().count(),
        dhcp.len()
    ))
}

/// /etc/resolv.conf (resolved's list) names the DNS server QEMU's DHCP gave: 10.0.2.3.
fn resolver(_ctx: &Ctx) -> Result<String, String> {
    let text = std::fs::read_to_string("/etc/resolv.conf")
        .map_err(|e| format!("/etc/resolv.conf: {e}"))?;
    let servers: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("nameserver "))
        .collect();
    ensure(servers == ["10.0.2.3"], || {
        format!("/etc/resolv.conf names {servers:?}, want [\"10.0.2.3\"] (from DHCP)")
    })?;
    Ok("/etc/resolv.conf: nameserver 10.0.2.3 (from DHCP, through resolved)".into())
}

/// The system journal in RAM only, no core dumps, and the hosts the exam shell visited or was
/// refused (the exam tests' `chat.example.com`) only in the sealed exam journal.
fn logs(_ctx: &Ctx) -> Result<String, String> {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_string());
    let pattern = read("/proc/sys/kernel/core_pattern").map_err(|e| e.to_string())?;
    let suid = read("/proc/sys/fs/suid_dumpable").map_err(|e| e.to_string())?;
    ensure(pattern == "|/bin/false" && suid == "0", || {
        format!("core_pattern {pattern:?}, suid_dumpable {suid}")
    })?;
    let limit = run(Command::new("systemctl").args(["show", "-p", "DefaultLimitCORE", "--value"]))?;
    ensure(limit.trim() == "0", || {
        format!("DefaultLimitCORE={}", limit.trim())
    })?;
    let journald =
        run(Command::new("systemd-analyze").args(["cat-config", "systemd/journald.conf"]))?;
    let storage = journald
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Storage="))
        .unwrap_or("auto")
        .to_string();
    ensure(storage == "volatile", || {
        format!("journald Storage={storage}")
    })?;
    let proxy = run(Command::new("journalctl").args([
        "-u",
        "exam-proxy.service",
        "--no-pager",
        "-o",
        "cat",
    ]))?;
    ensure(!proxy.contains("chat.example.com"), || {
        format!("exam-proxy logged a refused host in the system journal:\n{proxy}")
    })?;
    Ok(format!(
        "journald Storage={storage}; core_pattern {pattern}, suid_dumpable 0, DefaultLimitCORE=0; \
         exam-proxy's {} journal lines name no host it refused",
        proxy.lines().count()
    ))
}
