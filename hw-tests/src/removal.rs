//! Devices removed at run time: vivid's "disconnect" control unregisters the camera the way an
//! unplugged USB webcam goes away. Runs last; the driver is reloaded afterwards.

use std::process::Command;

use station::devices::linux::camera::LinuxCamera;
use station::devices::{Camera, ErrorKind};

use crate::ctx::{ensure, Ctx};
use crate::Test;

/// The removal tests (run after every other test).
pub const TESTS: &[(&str, Test)] = &[("camera_removed_at_run_time_is_named", camera)];

fn sh(cmd: &str) -> Result<(), String> {
    let out = Command::new("sh")
        .args(["-c", cmd])
        .output()
        .map_err(|e| format!("sh: {e}"))?;
    ensure(out.status.success(), || {
        format!(
            "`{cmd}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })
}

/// Presses vivid's driver-specific button control "Disconnect" (found by name).
fn press_disconnect(node: &str) -> Result<(), String> {
    use v4l::control::{Control, Value};
    let dev = v4l::Device::with_path(node).map_err(|e| format!("{node}: {e}"))?;
    let id = dev
        .query_controls()
        .map_err(|e| format!("{node}: controls: {e}"))?
        .into_iter()
        .find(|c| c.name == "Disconnect")
        .map(|c| c.id)
        .ok_or_else(|| format!("{node}: no `Disconnect` control (not vivid?)"))?;
    dev.set_control(Control {
        id,
        value: Value::None,
    })
    .map_err(|e| format!("{node}: Disconnect: {e}"))
}

/// Processes holding a /dev/video* node open ("pid (comm)"), for the reload error.
fn holders() -> String {
    let mut found = Vec::new();
    for p in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let fds = p.path().join("fd");
        let holds = std::fs::read_dir(&fds)
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|t| t.to_string_lossy().starts_with("/dev/video"))
            });
        if holds {
            let comm = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
            found.push(format!(
                "{} ({})",
                p.file_name().to_string_lossy(),
                comm.trim()
            ));
        }
    }
    if found.is_empty() {
        "none".into()
    } else {
        found.join(", ")
    }
}

fn camera(ctx: &Ctx) -> Result<String, String> {
    let mut cam = LinuxCamera::open(&ctx.board.camera).map_err(|e| e.to_string())?;
    cam.present().map_err(|e| e.to_string())?;
    let node = match cam.source() {
        station::devices::Source::V4l2 { device, .. } => device,
        other => return Err(format!("not a V4L2 source: {other:?}")),
    };
    press_disconnect(&node)?;
    let gone = cam
        .present()
        .err()
        .ok_or_else(|| format!("present() still Ok after Disconnect on {node}"))?;
    let still = cam
        .still(&ctx.grant())
        .err()
        .ok_or("still() worked after the disconnect")?;
    drop(cam);
    // Leave the machine as found: reload vivid (its options come from the board's modprobe.d).
    // The last file handles may close a moment after the disconnect: retry for a few seconds.
    let mut reload = sh("modprobe -r vivid && modprobe vivid");
    for _ in 0..20 {
        if reload.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
        reload = sh("modprobe -r vivid && modprobe vivid");
    }
    let reload = reload.map_err(|e| format!("{e}; holders of video nodes: {}", holders()));
    for e in [&gone, &still] {
        ensure(e.kind == ErrorKind::Removed && e.device == node, || {
            format!("got {e}")
        })?;
    }
    reload?;
    Ok(format!("present: {gone}; still: {still}"))
}
