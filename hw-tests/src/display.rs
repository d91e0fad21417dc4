//! Display tests on virtio-gpu: mode set, and a station screen read back by the framebuffer grab.

use station::devices::linux::display::LinuxDisplay;
use station::devices::{Display, ErrorKind};
use station::ui;

use crate::ctx::{ensure, Ctx};
use crate::Test;

/// The display tests.
pub const TESTS: &[(&str, Test)] = &[
    ("display_mode_set", mode_set),
    ("display_drawn_screen_read_back_by_grab", draw_grab),
    ("display_missing_card_is_named", missing),
];

fn open(ctx: &Ctx) -> Result<LinuxDisplay, String> {
    LinuxDisplay::open(&ctx.board.display).map_err(|e| e.to_string())
}

fn mode_set(ctx: &Ctx) -> Result<String, String> {
    let mut d = open(ctx)?;
    let modes = d.modes().map_err(|e| e.to_string())?;
    let (w, h) = d.set_mode().map_err(|e| e.to_string())?;
    let want = ctx.board.display.mode.clone().unwrap_or_default();
    ensure(format!("{w}x{h}") == want || want.is_empty(), || {
        format!("set {w}x{h}, board wants {want}")
    })?;
    // The grab sees the blank screen the mode set shows.
    let f = d.grab(&ctx.grant()).map_err(|e| e.to_string())?;
    ensure(
        (f.width, f.height) == (w, h) && f.rgb.iter().all(|&b| b == 0),
        || {
            format!(
                "after the mode set the screen is {}x{}, not blank",
                f.width, f.height
            )
        },
    )?;
    Ok(format!(
        "{}: {w}x{h} set ({} modes offered)",
        d.name(),
        modes.len()
    ))
}

fn draw_grab(ctx: &Ctx) -> Result<String, String> {
    let mut d = open(ctx)?;
    let (w, h) = d.set_mode().map_err(|e| e.to_string())?;
    let screen = ui::status(
        w,
        h,
        &ui::Theme::default(),
        &["CAMERA OK".into(), "MICROPHONE OK".into()],
        true,
    );
    d.show(&screen).map_err(|e| e.to_string())?;
    let got = d.grab(&ctx.grant()).map_err(|e| e.to_string())?;
    ensure((got.width, got.height) == (w, h), || {
        format!("grab is {}x{}", got.width, got.height)
    })?;
    let diff = got
        .rgb
        .iter()
        .zip(&screen.rgb)
        .filter(|(a, b)| a != b)
        .count();
    ensure(diff == 0, || {
        format!(
            "{diff} of {} bytes differ from the drawn screen",
            screen.rgb.len()
        )
    })?;
    Ok(format!(
        "status screen {w}x{h} shown and read back byte for byte"
    ))
}

fn missing(ctx: &Ctx) -> Result<String, String> {
    let mut cfg = ctx.board.display.clone();
    cfg.card = "/dev/dri/card9".into();
    let e = LinuxDisplay::open(&cfg).err().ok_or("card9 opened")?;
    ensure(
        e.kind == ErrorKind::NotFound && e.device == "/dev/dri/card9",
        || format!("got {e}"),
    )?;
    Ok(e.to_string())
}
