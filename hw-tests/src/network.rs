//! The exam's network lockdown in the booted image, mid-exam: the ruleset is up, and from the
//! browser's user (`exam-browser`) the allowlisted exam host answers through the forward proxy,
//! another host is refused by the proxy, an allowlisted name that resolves to an internal
//! address outside the site's private networks is refused too, and going around the proxy gets
//! nowhere. The host serves the exam page on 10.0.2.100:80 (QEMU guestfwd); the test site
//! allowlists `exam.station.test` with the network 10.0.2.100/32, and `intranet.station.test`,
//! which the guest's hosts file (image-run.sh) points at the QEMU gateway 10.0.2.2.

use std::process::Command;

use crate::ctx::{ensure, unit_active, wait_for, Ctx};
use crate::Test;

/// The network tests (between the exam's start and its end).
pub const TESTS: &[(&str, Test)] = &[(
    "exam_browser_user_reaches_only_allowlisted_hosts",
    browser_user,
)];

/// The exam page the host serves (`cargo xtask hw-test`).
const EXAM_HOST: &str = "exam.station.test";
/// Allowlisted, but resolving to an internal address the site does not allow.
const INTERNAL_HOST: &str = "intranet.station.test";
/// The forward proxy.
const PROXY: &str = "127.0.0.1:3128";

/// Whether the exam's nftables table is loaded.
pub fn ruleset_loaded() -> bool {
    Command::new("nft")
        .args(["list", "table", "inet", "exam_station"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A command's output, for error messages.
pub fn output(cmd: &mut Command) -> String {
    cmd.output().map_or_else(
        |e| e.to_string(),
        |o| String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

/// The last 60 journal lines of a unit.
pub fn journal(unit: &str) -> String {
    output(Command::new("journalctl").args(["--no-pager", "-n", "60", "-u", unit]))
}

/// `hw-tests --http-get ...` as user exam-browser: its one output line.
fn as_browser(args: &[&str]) -> Result<String, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new("setpriv")
        .args([
            "--reuid=exam-browser",
            "--regid=exam-browser",
            "--clear-groups",
            "--",
        ])
        .arg(me)
        .arg("--http-get")
        .args(args)
        .output()
        .map_err(|e| format!("setpriv: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn browser_user(_ctx: &Ctx) -> Result<String, String> {
    let t0 = std::time::Instant::now();
    wait_for(30, || {
        // exam-network.service is active once the `nft -f` of its ExecStartPre has finished.
        Ok((unit_active("exam-network.service") && ruleset_loaded()).then_some(()))
    })?
    .ok_or("exam-network.service and its table inet exam_station are not up mid-exam")?;
    let up = t0.elapsed().as_secs_f64();
    let page = format!("http://{EXAM_HOST}/exam");
    // Around the proxy, before and after the proxy has talked to the same host.
    let around = |when: &str| -> Result<String, String> {
        let got = as_browser(&[&page])?;
        ensure(got.starts_with("error"), || {
            format!(
                "{page} without the proxy answered ({when}): {got}\nid: {}\nruleset:\n{}\n{}",
                output(Command::new("id").arg("exam-browser")),
                output(Command::new("nft").args(["list", "ruleset"])),
                output(Command::new("journalctl").args([
                    "--no-pager",
                    "-n",
                    "40",
                    "-u",
                    "exam-network.service",
                    "-u",
                    "exam-network.path",
                ]))
            )
        })?;
        Ok(got)
    };
    around("first")?;
    let allowed = as_browser(&["--proxy", PROXY, &page])?;
    ensure(
        allowed.starts_with("HTTP/1.1 200") && allowed.contains("exam page"),
        || format!("allowlisted {page} through the proxy: {allowed}"),
    )?;
    let other = as_browser(&["--proxy", PROXY, "http://chat.example.com/"])?;
    ensure(other.contains(" 403"), || {
        format!("chat.example.com through the proxy: {other}, want 403")
    })?;
    let internal = as_browser(&["--proxy", PROXY, &format!("http://{INTERNAL_HOST}/")])?;
    ensure(internal.contains(" 403"), || {
        format!("{INTERNAL_HOST} (10.0.2.2, not a private network of the site) through the proxy: {internal}, want 403")
    })?;
    let around = around("after the proxy's visit")?;
    let first = |s: &str| s.split(" | ").next().unwrap_or("").to_string();
    Ok(format!(
        "ruleset up (waited {up:.1} s); via proxy {EXAM_HOST}: {}; chat.example.com: {}; {INTERNAL_HOST}: {}; around the proxy: {around}",
        first(&allowed),
        first(&other),
        first(&internal)
    ))
}
