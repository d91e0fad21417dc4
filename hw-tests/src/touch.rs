//! Absolute pointers under the exam's input filter, grabbed with the keyboards:
//! - a uinput touchscreen (multi-touch, X over 0..=4095 and Y over 0..=2047, a direct-touch
//!   device like a Pi's panel): its touches come out of the station's absolute virtual device as
//!   left clicks at the rescaled position, frame by frame as the panel made them; multi-touch
//!   slots, pressure and tool changes do not, and nothing of it reaches the main virtual device;
//! - a uinput touchpad (a laptop's clickpad): the finger's motion comes out of the main virtual
//!   device as relative motion, its button as a click, the touch itself as nothing.

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use evdev::uinput::VirtualDevice;
use evdev::{
    AbsInfo, AbsoluteAxisCode as A, AttributeSet, BusType, Device, EventType, InputEvent, InputId,
    KeyCode, PropType, RelativeAxisCode as R, UinputAbsSetup,
};
use station::devices::linux::absolute::{self, Axis, TOUCHPAD_COUNTS};
use station::devices::linux::input::VIRTUAL_NAME;

use crate::ctx::{ensure, open_named, wait_for, Ctx};
use crate::lockdown::Running;
use crate::Test;

/// The absolute pointer tests.
pub const TESTS: &[(&str, Test)] = &[
    ("lockdown_touchscreen_re_emitted_as_absolute_pointer", touch),
    ("lockdown_touchpad_moves_the_pointer", touchpad),
];

const SCREEN: &str = "hw-test touchscreen";
const X: Axis = Axis { min: 0, max: 4095 };
const Y: Axis = Axis { min: 0, max: 2047 };

const PAD: &str = "hw-test touchpad";
const PAD_X: Axis = Axis { min: 0, max: 3200 };
const PAD_Y: Axis = Axis { min: 0, max: 2000 };

/// A uinput device with these keys, properties and absolute axes (each from 0).
fn uinput(
    name: &str,
    product: u16,
    keys: &[KeyCode],
    props: &[PropType],
    axes: &[(A, i32)],
) -> Result<VirtualDevice, String> {
    let e = |e: std::io::Error| format!("uinput `{name}`: {e}");
    let mut b = VirtualDevice::builder()
        .map_err(e)?
        .name(name)
        .input_id(InputId::new(BusType::BUS_USB, 0x1234, product, 1))
        .with_keys(&keys.iter().copied().collect::<AttributeSet<KeyCode>>())
        .map_err(e)?
        .with_properties(&props.iter().copied().collect::<AttributeSet<PropType>>())
        .map_err(e)?;
    for &(code, max) in axes {
        let setup = UinputAbsSetup::new(code, AbsInfo::new(0, 0, max, 0, 0, 0));
        b = b.with_absolute_axis(&setup).map_err(e)?;
    }
    b.build().map_err(e)
}

/// A uinput multi-touch screen.
fn touchscreen() -> Result<VirtualDevice, String> {
    uinput(
        SCREEN,
        0x5680,
        &[KeyCode::BTN_TOUCH, KeyCode::BTN_TOOL_FINGER],
        &[PropType::DIRECT],
        &[
            (A::ABS_X, X.max),
            (A::ABS_Y, Y.max),
            (A::ABS_PRESSURE, 255),
            (A::ABS_MT_SLOT, 9),
            (A::ABS_MT_POSITION_X, X.max),
            (A::ABS_MT_POSITION_Y, Y.max),
            (A::ABS_MT_TRACKING_ID, 65535),
        ],
    )
}

/// A uinput clickpad.
fn clickpad() -> Result<VirtualDevice, String> {
    uinput(
        PAD,
        0x5681,
        &[
            KeyCode::BTN_LEFT,
            KeyCode::BTN_TOUCH,
            KeyCode::BTN_TOOL_FINGER,
        ],
        &[PropType::POINTER, PropType::BUTTONPAD],
        &[(A::ABS_X, PAD_X.max), (A::ABS_Y, PAD_Y.max)],
    )
}

/// An event as (type, code, value).
type Ev = (u16, u16, i32);

fn abs(code: A, v: i32) -> InputEvent {
    InputEvent::new(EventType::ABSOLUTE.0, code.0, v)
}

fn key(code: KeyCode, v: i32) -> InputEvent {
    InputEvent::new(EventType::KEY.0, code.code(), v)
}

fn emit(dev: &mut VirtualDevice, evs: &[InputEvent]) -> Result<(), String> {
    dev.emit(evs).map_err(|e| format!("uinput: {e}"))
}

/// The next `n` frames of `dev` (events up to each `SYN_REPORT`, sorted), within `secs`.
fn frames(dev: &mut Device, n: usize, secs: u64) -> Result<Vec<Vec<Ev>>, String> {
    let t0 = Instant::now();
    let mut done = Vec::new();
    let mut frame = Vec::new();
    while done.len() < n {
        ensure(t0.elapsed() < Duration::from_secs(secs), || {
            format!(
                "{} of {n} frames in {secs} s: {done:?}, then {frame:?}",
                done.len()
            )
        })?;
        let mut p = libc::pollfd {
            fd: dev.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        unsafe { libc::poll(&mut p, 1, 100) };
        let Ok(evs) = dev.fetch_events() else {
            continue;
        };
        for e in evs {
            if e.event_type() == EventType::SYNCHRONIZATION {
                frame.sort_unstable();
                done.push(std::mem::take(&mut frame));
            } else {
                frame.push((e.event_type().0, e.code(), e.value()));
            }
        }
    }
    Ok(done)
}

/// Sorts each frame, as [`frames`] gives them.
fn sorted(mut want: Vec<Vec<Ev>>) -> Vec<Vec<Ev>> {
    want.iter_mut().for_each(|f| f.sort_unstable());
    want
}

/// Opens the station's virtual device `name`, once the device `grabbed` is grabbed by the
/// filter (our own grab is then refused, EBUSY).
fn output_for(name: &str, grabbed: &str) -> Result<Device, String> {
    let (_, out) = wait_for(5, || open_named(name))?
        .ok_or_else(|| format!("`{name}` has no /dev/input node"))?;
    let (_, mut own) =
        open_named(grabbed)?.ok_or_else(|| format!("`{grabbed}` has no /dev/input node"))?;
    ensure(own.grab().is_err(), || {
        format!("`{grabbed}` is not grabbed")
    })?;
    Ok(out)
}

/// Runs `check` while the filter grabs the device `name`; the filter must lose no device.
fn with_filter(
    ctx: &Ctx,
    name: &str,
    dev: &mut VirtualDevice,
    check: fn(&mut VirtualDevice, &mut Running) -> Result<String, String>,
) -> Result<String, String> {
    let mut run = crate::lockdown::start(ctx, name)?;
    let result = check(dev, &mut run);
    let reports = run.stop()?;
    let text = result?;
    ensure(
        reports
            .iter()
            .all(|e| !matches!(e, bundle::event::Event::DeviceLost { .. })),
        || format!("the filter lost a device: {reports:?}"),
    )?;
    Ok(text)
}

fn touch(ctx: &Ctx) -> Result<String, String> {
    with_filter(ctx, SCREEN, &mut touchscreen()?, touches)
}

fn touchpad(ctx: &Ctx) -> Result<String, String> {
    with_filter(ctx, PAD, &mut clickpad()?, pad_moves)
}

fn touches(panel: &mut VirtualDevice, run: &mut Running) -> Result<String, String> {
    let mut out = output_for(absolute::VIRTUAL_NAME, SCREEN)?;
    let (x0, y0, x1) = (1024, 512, 3072);
    // Finger down, a move to the right, finger up: three frames.
    emit(
        panel,
        &[
            abs(A::ABS_MT_SLOT, 0),
            abs(A::ABS_MT_TRACKING_ID, 7),
            abs(A::ABS_MT_POSITION_X, x0),
            abs(A::ABS_MT_POSITION_Y, y0),
            key(KeyCode::BTN_TOUCH, 1),
            key(KeyCode::BTN_TOOL_FINGER, 1),
            abs(A::ABS_X, x0),
            abs(A::ABS_Y, y0),
            abs(A::ABS_PRESSURE, 60),
        ],
    )?;
    emit(panel, &[abs(A::ABS_MT_POSITION_X, x1), abs(A::ABS_X, x1)])?;
    emit(
        panel,
        &[
            abs(A::ABS_MT_TRACKING_ID, -1),
            key(KeyCode::BTN_TOUCH, 0),
            key(KeyCode::BTN_TOOL_FINGER, 0),
            abs(A::ABS_PRESSURE, 0),
        ],
    )?;
    let got = frames(&mut out, 3, 5)?;
    let (a, k) = (EventType::ABSOLUTE.0, EventType::KEY.0);
    let left = KeyCode::BTN_LEFT.code();
    let want = sorted(vec![
        vec![
            (a, A::ABS_X.0, X.scale(x0)),
            (a, A::ABS_Y.0, Y.scale(y0)),
            (k, left, 1),
        ],
        vec![(a, A::ABS_X.0, X.scale(x1))],
        vec![(k, left, 0)],
    ]);
    ensure(got == want, || {
        format!("out of the absolute virtual device: {got:?}, want {want:?}")
    })?;
    // Nothing of the touchscreen on the main virtual device.
    let stray = run.virt_next(Duration::from_millis(300))?;
    ensure(stray.is_none(), || {
        format!("the touchscreen reached the main virtual device: {stray:?}")
    })?;
    Ok(format!(
        "grabbed; touch at ({x0}, {y0}) of 4095x2047, move to x {x1}, lift: 3 frames out as left button at ({}, {}) -> x {} of {}, button up; slots, pressure and tool dropped",
        X.scale(x0),
        Y.scale(y0),
        X.scale(x1),
        absolute::RANGE
    ))
}

fn pad_moves(pad: &mut VirtualDevice, _: &mut Running) -> Result<String, String> {
    let mut out = output_for(VIRTUAL_NAME, PAD)?;
    let mut abs_out = output_for(absolute::VIRTUAL_NAME, PAD)?;
    let (x0, y0, x1, y1) = (1600, 1000, 2400, 1500);
    // Finger down, a move, a click of the pad, finger up: five frames, three with something
    // to re-emit.
    emit(
        pad,
        &[
            key(KeyCode::BTN_TOUCH, 1),
            key(KeyCode::BTN_TOOL_FINGER, 1),
            abs(A::ABS_X, x0),
            abs(A::ABS_Y, y0),
        ],
    )?;
    emit(pad, &[abs(A::ABS_X, x1), abs(A::ABS_Y, y1)])?;
    emit(pad, &[key(KeyCode::BTN_LEFT, 1)])?;
    emit(pad, &[key(KeyCode::BTN_LEFT, 0)])?;
    emit(
        pad,
        &[key(KeyCode::BTN_TOUCH, 0), key(KeyCode::BTN_TOOL_FINGER, 0)],
    )?;
    let got = frames(&mut out, 3, 5)?;
    let (r, k) = (EventType::RELATIVE.0, EventType::KEY.0);
    let counts = |a: Axis, d: i32| d * TOUCHPAD_COUNTS / (a.max - a.min);
    let (dx, dy) = (counts(PAD_X, x1 - x0), counts(PAD_Y, y1 - y0));
    let left = KeyCode::BTN_LEFT.code();
    let want = sorted(vec![
        vec![(r, R::REL_X.0, dx), (r, R::REL_Y.0, dy)],
        vec![(k, left, 1)],
        vec![(k, left, 0)],
    ]);
    ensure(got == want, || {
        format!("out of the main virtual device: {got:?}, want {want:?}")
    })?;
    let stray = frames(&mut abs_out, 1, 1);
    ensure(stray.is_err(), || {
        format!("the touchpad reached the absolute virtual device: {stray:?}")
    })?;
    Ok(format!(
        "grabbed; finger moved ({x0}, {y0}) -> ({x1}, {y1}) on a {}x{} pad: relative ({dx}, {dy}) out, then the pad's click; the touch itself no click, nothing absolute",
        PAD_X.max, PAD_Y.max
    ))
}
