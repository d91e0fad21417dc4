//! The station's own commands on this machine: `stationctl selftest` passes on the board,
//! `stationctl devices` resolves every device, and explains what is missing on a board whose
//! devices are not here.

use std::process::Command;

use crate::ctx::{ensure, Ctx};
use crate::Test;

/// The command tests.
pub const TESTS: &[(&str, Test)] = &[
    ("stationctl_devices_all_found", devices_ok),
    ("stationctl_devices_explains_missing", devices_missing),
    ("stationctl_selftest_passes", selftest),
];

pub fn stationctl() -> String {
    std::env::var("HW_TESTS_STATIONCTL").unwrap_or_else(|_| "stationctl".into())
}

fn run(ctx: &Ctx, board: &std::path::Path, args: &[&str]) -> Result<(bool, String), String> {
    let out = Command::new(stationctl())
        .arg("--board")
        .arg(board)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", stationctl()))?;
    let _ = ctx;
    Ok((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

fn devices_ok(ctx: &Ctx) -> Result<String, String> {
    let (ok, out) = run(ctx, &ctx.board_path, &["devices"])?;
    ensure(ok, || format!("stationctl devices failed:\n{out}"))?;
    Ok(out
        .lines()
        .filter(|l| l.starts_with("ok"))
        .count()
        .to_string()
        + " devices ok")
}

fn devices_missing(ctx: &Ctx) -> Result<String, String> {
    let text = std::fs::read_to_string(&ctx.board_path).map_err(|e| e.to_string())?;
    let text = text
        .replace("driver = \"vivid\"", "driver = \"uvcvideo\"")
        .replace("hw:Loopback,1,0", "hw:NoSuchCard,0");
    let path = std::env::temp_dir().join("hw-tests-missing-board.toml");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    let (ok, out) = run(ctx, &path, &["devices"])?;
    ensure(!ok, || {
        format!("devices succeeded on a board whose camera is absent:\n{out}")
    })?;
    let cam = out.lines().find(|l| l.contains("camera")).unwrap_or("");
    let mic = out.lines().find(|l| l.contains("microphone")).unwrap_or("");
    ensure(
        cam.starts_with("MISSING") && cam.contains("uvcvideo") && cam.contains("vivid"),
        || format!("camera line does not explain: {cam:?}"),
    )?;
    ensure(
        mic.starts_with("MISSING") && mic.contains("NoSuchCard"),
        || format!("microphone line does not explain: {mic:?}"),
    )?;
    Ok(format!("{cam} | {mic}"))
}

fn selftest(ctx: &Ctx) -> Result<String, String> {
    let (ok, out) = run(ctx, &ctx.board_path, &["selftest"])?;
    ensure(ok, || format!("selftest failed:\n{out}"))?;
    Ok(out
        .lines()
        .filter(|l| l.starts_with("PASS"))
        .count()
        .to_string()
        + " checks passed")
}
