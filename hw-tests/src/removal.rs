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

fn camera(ctx: &Ctx) -> Result<String, String> {
    let mut cam = LinuxCamera::open(&ctx.board.camera).map_err(|e| e.to_string())?;
    cam.present().map_err(|e| e.to_string())?;
    let node = match cam.source() {
        station::devices::Source::V4l2 { device, .. } => device,
        other => return Err(format!("not a V4L2 source: {other:?}")),
    };
    sh(&format!("v4l2-ctl -d {node} --set-ctrl disconnect=1"))?;
    let gone = cam
        .present()
        .err()
        .ok_or("present() still Ok after the disconnect")?;
    let still = cam
        .still(&ctx.grant())
        .err()
        .ok_or("still() worked after the disconnect")?;
    drop(cam);
    // Leave the machine as found: reload vivid with the guest's parameters.
    let reload = sh(
        "modprobe -r vivid && modprobe vivid n_devs=1 node_types=0x1 num_inputs=1 input_types=0x0",
    );
    for e in [&gone, &still] {
        ensure(e.kind == ErrorKind::Removed && e.device == node, || {
            format!("got {e}")
        })?;
    }
    reload?;
    Ok(format!("present: {gone}; still: {still}"))
}
