//! VT switching during and after the exam. Mid-exam, exam-vt-lock.service holds VT_LOCKSWITCH:
//! neither the kernel's own console key Alt+Right (`Incr_Console`, which the input filter lets
//! through: it is the browser's "forward"), typed on a keyboard the filter grabbed, nor a
//! request (`VT_ACTIVATE`) by root moves the VT. After the exam the lock is gone: the same two
//! now switch VTs (the control that shows the mid-exam check could fail), and the test
//! switches back.

use std::path::Path;
use std::time::Duration;

use evdev::KeyCode;
use station::lockdown::vt;

use crate::ctx::{ensure, unit_active, wait_for, Ctx};
use crate::lockdown::{active_vt, chord, full_keyboard, other_vt, switch_back, vt_after};
use crate::Test;

/// Runs while the exam runs.
pub const IN_EXAM: (&str, Test) = ("exam_vt_switch_locked", locked);

/// Runs after the exam.
pub const TESTS: &[(&str, Test)] = &[("vt_switch_unlocked_after_the_exam", unlocked)];

const UNIT: &str = "exam-vt-lock.service";

fn console() -> &'static Path {
    Path::new(vt::CONSOLE)
}

fn locked(_ctx: &Ctx) -> Result<String, String> {
    ensure(unit_active(UNIT), || {
        format!(
            "{UNIT} is not active mid-exam:\n{}",
            crate::network::journal(UNIT)
        )
    })?;
    let before = active_vt().ok_or("no VTs in this machine")?;
    let (n, _tty) = other_vt(&before)?;
    let (mut kb, _) = crate::lockdown::plug_grabbed_keyboard("hw-test vt keyboard")?;
    chord(&mut kb, &[KeyCode::KEY_LEFTALT, KeyCode::KEY_RIGHT])?;
    let by_key = vt_after(&before, 2)?;
    vt::activate(console(), n).map_err(|e| e.to_string())?;
    let by_request = vt_after(&before, 2)?;
    ensure(by_key == before && by_request == before, || {
        format!("VT switched mid-exam: {before} -> {by_key} by Alt+Right, -> {by_request} by VT_ACTIVATE {n}")
    })?;
    Ok(format!(
        "{UNIT} active; Alt+Right through the filter and VT_ACTIVATE {n} as root: VT stays {before}"
    ))
}

fn unlocked(_ctx: &Ctx) -> Result<String, String> {
    wait_for(10, || Ok((!unit_active(UNIT)).then_some(())))?
        .ok_or_else(|| format!("{UNIT} still active 10 s after the exam"))?;
    let before = active_vt().ok_or("no VTs in this machine")?;
    let (n, _tty) = other_vt(&before)?;
    // Not grabbed now: the kernel reads this keyboard directly.
    let mut kb = full_keyboard("hw-test vt control keyboard")?;
    std::thread::sleep(Duration::from_millis(500));
    chord(&mut kb, &[KeyCode::KEY_LEFTALT, KeyCode::KEY_RIGHT])?;
    let by_key = vt_after(&before, 2)?;
    switch_back(&before)?;
    vt::activate(console(), n).map_err(|e| e.to_string())?;
    let by_request = vt_after(&before, 2)?;
    switch_back(&before)?;
    ensure(by_request != before, || {
        format!("VT_ACTIVATE {n} did not switch from {before} after the exam: still locked?")
    })?;
    Ok(format!(
        "{UNIT} inactive; {before} -> {by_key} by Alt+Right, -> {by_request} by VT_ACTIVATE {n}, and back"
    ))
}
