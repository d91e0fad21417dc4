//! The board's GPIO during a whole exam, on the simulated chip the test's setup.sh made with
//! gpio-sim (boards with `[gpio]`: qemu-aarch64): the recording LED read back from the chip while
//! the exam records and after it is sealed, the proctor call button pressed and the tamper
//! switch opened and closed, with the screen grabbed by the host while both show on the
//! recording badge. The host then finds `CallButton` and `Tamper` in the uploaded exam's
//! timeline.
//!
//! gpio-sim shows each line under `/sys/devices/platform/<device>/<chip>/sim_gpioN`: `value` is
//! what the station drives on an output, `pull` what the outside world does to an input
//! (`pull-down` is a button pressing the line to ground).

use std::path::PathBuf;
use std::time::Duration;

use crate::ctx::{ensure, wait_for, Ctx};
use crate::Test;

/// While the exam records (after `exam_starts_as_station_user`).
pub const IN_EXAM: &[(&str, Test)] = &[
    ("exam_gpio_recording_led_lit", led_lit),
    ("exam_gpio_call_button_pressed", call_button),
    ("exam_gpio_tamper_switch_opened", tamper),
];

/// After the exam is sealed.
pub const AFTER: (&str, Test) = ("exam_gpio_recording_led_off_after_the_exam", led_off);

/// The screenshot with the call and the open case on the recording badge.
const SCREEN: &str = "gpio-alerts";

/// gpio-sim's configfs folder of the test's chip (xtask/guest/setup.sh).
const SIM: &str = "/sys/kernel/config/gpio-sim/exam-station";

fn read(p: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(p)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("{}: {e}", p.display()))
}

/// The sysfs folder of line `n` of the simulated chip.
fn line(n: u8) -> Result<PathBuf, String> {
    let sim = PathBuf::from(SIM);
    let dev = read(&sim.join("dev_name"))?;
    let chip = read(&sim.join("bank0/chip_name"))?;
    Ok(PathBuf::from("/sys/devices/platform")
        .join(dev)
        .join(chip)
        .join(format!("sim_gpio{n}")))
}

fn gpio(ctx: &Ctx) -> Result<&board_config::Gpio, String> {
    ctx.board
        .gpio
        .as_ref()
        .ok_or_else(|| "the board has no [gpio]".to_string())
}

/// Pulls input line `n` down (pressed, with the board's pull-up wiring) or up (released).
fn pull(n: u8, down: bool) -> Result<(), String> {
    let p = line(n)?.join("pull");
    let v = if down { "pull-down" } else { "pull-up" };
    std::fs::write(&p, v).map_err(|e| format!("{}: {v}: {e}", p.display()))
}

/// The LED line's value within `secs`, once it is `want`.
fn led_is(ctx: &Ctx, want: &str, secs: u64) -> Result<String, String> {
    let g = gpio(ctx)?;
    let value = line(g.recording_led)?.join("value");
    let seen = wait_for(secs, || {
        Ok((read(&value).ok().as_deref() == Some(want)).then_some(()))
    })?;
    ensure(seen.is_some(), || {
        format!(
            "{} reads {:?}, not {want}, after {secs} s",
            value.display(),
            read(&value).unwrap_or_default()
        )
    })?;
    Ok(format!("{} = {want}", value.display()))
}

fn led_lit(ctx: &Ctx) -> Result<String, String> {
    led_is(ctx, "1", 30).map(|s| format!("recording LED lit: {s}"))
}

fn call_button(ctx: &Ctx) -> Result<String, String> {
    let n = gpio(ctx)?.call_button;
    pull(n, true)?;
    std::thread::sleep(Duration::from_millis(500));
    pull(n, false)?;
    Ok(format!("call button (line {n}) pressed for 0.5 s"))
}

fn tamper(ctx: &Ctx) -> Result<String, String> {
    let n = gpio(ctx)?.tamper_switch;
    pull(n, true)?;
    // The station reads the switch every 100 ms and redraws its badge: the host grabs the
    // screen, with the call (shown for two minutes) and the open case on it.
    std::thread::sleep(Duration::from_secs(2));
    let shot = crate::checkin::shoot(SCREEN);
    pull(n, false)?;
    shot?;
    Ok(format!(
        "tamper switch (line {n}) open for 2 s, screen `{SCREEN}` grabbed, then closed"
    ))
}

fn led_off(ctx: &Ctx) -> Result<String, String> {
    led_is(ctx, "0", 5).map(|s| format!("recording LED off: {s}"))
}
