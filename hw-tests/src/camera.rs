//! Camera tests on vivid: formats, controls, a still showing vivid's colour bars, the GStreamer
//! source description, and the error for a missing camera.

use station::devices::convert::{check_bars, BARS_75};
use station::devices::linux::camera::LinuxCamera;
use station::devices::{Camera, ErrorKind, Source};

use crate::ctx::{ensure, Ctx};
use crate::Test;

/// The camera tests.
pub const TESTS: &[(&str, Test)] = &[
    ("camera_formats", formats),
    ("camera_control_set_read_back", control),
    ("camera_still_matches_vivid_bars", still),
    ("camera_source_records_with_gstreamer", gst_source),
    ("camera_missing_is_named", missing),
];

fn open(ctx: &Ctx) -> Result<LinuxCamera, String> {
    LinuxCamera::open(&ctx.board.camera).map_err(|e| e.to_string())
}

fn formats(ctx: &Ctx) -> Result<String, String> {
    let mut cam = open(ctx)?;
    let f = cam.formats().map_err(|e| e.to_string())?;
    let c = &ctx.board.camera;
    let want = format!("{} {}x{}@", c.format, c.width, c.height);
    ensure(f.iter().any(|l| l.starts_with(&want)), || {
        format!("no `{want}` among {} formats: {f:?}", f.len())
    })?;
    Ok(format!(
        "{}: {} formats incl. {}",
        cam.name(),
        f.len(),
        f.iter().find(|l| l.starts_with(&want)).unwrap_or(&want)
    ))
}

fn control(ctx: &Ctx) -> Result<String, String> {
    let mut cam = open(ctx)?;
    let before = cam.control("brightness").map_err(|e| e.to_string())?;
    let target = if before == 200 { 90 } else { 200 };
    let set = cam
        .set_control("brightness", target)
        .map_err(|e| e.to_string())?;
    let read = cam.control("brightness").map_err(|e| e.to_string())?;
    cam.set_control("brightness", before)
        .map_err(|e| e.to_string())?;
    ensure(set == target && read == target, || {
        format!("set brightness {target}, device took {set}, read back {read}")
    })?;
    let e = cam.control("no_such_control").err().map(|e| e.kind);
    ensure(e == Some(ErrorKind::Unsupported), || {
        format!("unknown control gave {e:?}")
    })?;
    Ok(format!(
        "brightness {before} -> {target} -> read back {read}"
    ))
}

fn still(ctx: &Ctx) -> Result<String, String> {
    let mut cam = open(ctx)?;
    // Default brightness, so the bars have their nominal colours.
    let _ = cam.set_control("brightness", 128);
    let f = cam.still(&ctx.grant()).map_err(|e| e.to_string())?;
    let c = &ctx.board.camera;
    ensure((f.width, f.height) == (c.width, c.height), || {
        format!(
            "still is {}x{}, board says {}x{}",
            f.width, f.height, c.width, c.height
        )
    })?;
    check_bars(&f, &BARS_75, 40)?;
    Ok(format!(
        "{}x{} still shows the 8 colour bars",
        f.width, f.height
    ))
}

fn gst_source(ctx: &Ctx) -> Result<String, String> {
    let cam = open(ctx)?;
    let Source::V4l2 {
        device,
        format,
        width,
        height,
        framerate,
    } = cam.source()
    else {
        return Err(format!("not a V4L2 source: {:?}", cam.source()));
    };
    let fmt = match format.as_str() {
        "YUYV" => "video/x-raw,format=YUY2".to_string(),
        "MJPG" => "image/jpeg".to_string(),
        "RGB3" => "video/x-raw,format=RGB".to_string(),
        o => format!("video/x-raw,format={o}"),
    };
    let caps = format!("{fmt},width={width},height={height},framerate={framerate}/1");
    drop(cam);
    let desc = format!("v4l2src device={device} num-buffers=3 ! {caps} ! fakesink");
    // In a child process, so that no GStreamer state keeps the camera open in this one (the
    // removal test unloads its driver later).
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(me)
        .args(["--gst-run", &desc])
        .output()
        .map_err(|e| format!("hw-tests --gst-run: {e}"))?;
    ensure(out.status.success(), || {
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    })?;
    Ok(format!("v4l2src device={device} ! {caps}: 3 buffers"))
}

fn missing(ctx: &Ctx) -> Result<String, String> {
    let mut cfg = ctx.board.camera.clone();
    cfg.device = Some("/dev/video99".into());
    let e = LinuxCamera::open(&cfg)
        .err()
        .ok_or("opening /dev/video99 succeeded")?;
    ensure(
        e.kind == ErrorKind::NotFound && e.device == "/dev/video99",
        || format!("got {e}"),
    )?;
    Ok(e.to_string())
}

/// `hw-tests --gst-run DESC`: runs the pipeline to its end; 0, or 1 and why.
pub fn gst_run_main(desc: &str) -> u8 {
    match run_pipeline(desc) {
        Ok(()) => 0,
        Err(e) => {
            println!("{e}");
            1
        }
    }
}

/// Runs a GStreamer pipeline description to its end (EOS) within 30 s.
fn run_pipeline(desc: &str) -> Result<(), String> {
    use gstreamer as gst;
    use gstreamer::prelude::*;
    gst::init().map_err(|e| format!("gst init: {e}"))?;
    let p = gst::parse::launch(desc).map_err(|e| format!("`{desc}`: {e}"))?;
    p.set_state(gst::State::Playing)
        .map_err(|e| format!("`{desc}`: cannot play: {e}"))?;
    let bus = p.bus().ok_or("pipeline without a bus")?;
    let end = bus.timed_pop_filtered(
        gst::ClockTime::from_seconds(30),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    );
    let _ = p.set_state(gst::State::Null);
    match end.as_ref().map(|m| m.view()) {
        Some(gst::MessageView::Eos(_)) => Ok(()),
        Some(gst::MessageView::Error(e)) => Err(format!("`{desc}`: {}", e.error())),
        _ => Err(format!("`{desc}`: no end within 30 s")),
    }
}
