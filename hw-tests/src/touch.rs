//! Absolute pointers under the exam's input filter: a uinput touchscreen (multi-touch, X over
//! 0..=4095 and Y over 0..=2047, a direct-touch device like a Pi's panel) is grabbed with the
//! keyboards, and its touches come out of the station's absolute virtual device as left clicks
//! at the rescaled position, frame by frame as the panel made them; multi-touch slots, pressure
//! and tool changes do not, and nothing of it reaches the keys' virtual device.

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use evdev::uinput::VirtualDevice;
use evdev::{
    AbsInfo, AbsoluteAxisCode as A, AttributeSet, BusType, Device, EventType, InputEvent, InputId,
    KeyCode, PropType, UinputAbsSetup,
};
use station::devices::linux::absolute::{self, Axis};

use crate::ctx::{ensure, open_named, wait_for, Ctx};
use crate::Test;

/// The absolute pointer tests.
pub const TESTS: &[(&str, Test)] =
    &[("lockdown_touchscreen_re_emitted_as_absolute_pointer", touch)];

const NAME: &str = "hw-test touchscreen";
const X: Axis = Axis { min: 0, max: 4095 };
const Y: Axis = Axis { min: 0, max: 2047 };

/// A uinput multi-touch screen.
fn touchscreen() -> Result<VirtualDevice, String> {
    let mut keys = AttributeSet::<KeyCode>::new();
    keys.insert(KeyCode::BTN_TOUCH);
    keys.insert(KeyCode::BTN_TOOL_FINGER);
    let mut props = AttributeSet::<PropType>::new();
    props.insert(PropType::DIRECT);
    let axis = |code, max| UinputAbsSetup::new(code, AbsInfo::new(0, 0, max, 0, 0, 0));
    let e = |e: std::io::Error| format!("uinput touchscreen: {e}");
    VirtualDevice::builder()
        .map_err(e)?
        .name(NAME)
        .input_id(InputId::new(BusType::BUS_USB, 0x1234, 0x5680, 1))
        .with_keys(&keys)
        .map_err(e)?
        .with_properties(&props)
        .map_err(e)?
        .with_absolute_axis(&axis(A::ABS_X, X.max))
        .map_err(e)?
        .with_absolute_axis(&axis(A::ABS_Y, Y.max))
        .map_err(e)?
        .with_absolute_axis(&axis(A::ABS_PRESSURE, 255))
        .map_err(e)?
        .with_absolute_axis(&axis(A::ABS_MT_SLOT, 9))
        .map_err(e)?
        .with_absolute_axis(&axis(A::ABS_MT_POSITION_X, X.max))
        .map_err(e)?
        .with_absolute_axis(&axis(A::ABS_MT_POSITION_Y, Y.max))
        .map_err(e)?
        .with_absolute_axis(&axis(A::ABS_MT_TRACKING_ID, 65535))
        .map_err(e)?
        .build()
        .map_err(e)
}

/// An event as (type, code, value).
type Ev = (u16, u16, i32);

fn abs(code: A, v: i32) -> InputEvent {
    InputEvent::new(EventType::ABSOLUTE.0, code.0, v)
}

fn key(code: KeyCode, v: i32) -> InputEvent {
    InputEvent::new(EventType::KEY.0, code.code(), v)
}

/// The next `n` frames of `dev` (events up to each `SYN_REPORT`, sorted), within 5 s.
fn frames(dev: &mut Device, n: usize) -> Result<Vec<Vec<Ev>>, String> {
    let t0 = Instant::now();
    let mut done = Vec::new();
    let mut frame = Vec::new();
    while done.len() < n {
        ensure(t0.elapsed() < Duration::from_secs(5), || {
            format!(
                "{} of {n} frames in 5 s: {done:?}, then {frame:?}",
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

fn touch(ctx: &Ctx) -> Result<String, String> {
    let mut panel = touchscreen()?;
    let mut run = crate::lockdown::start(ctx, NAME)?;
    let result = touches(&mut panel, &mut run);
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

fn touches(
    panel: &mut VirtualDevice,
    run: &mut crate::lockdown::Running,
) -> Result<String, String> {
    let (_, mut out) = wait_for(5, || open_named(absolute::VIRTUAL_NAME))?
        .ok_or("the station's absolute virtual device has no /dev/input node")?;
    // Grabbed by the filter: our own grab is refused (EBUSY).
    let (_, mut own) = open_named(NAME)?.ok_or("the touchscreen has no /dev/input node")?;
    ensure(own.grab().is_err(), || {
        "the touchscreen is not grabbed".to_string()
    })?;
    let emit = |p: &mut VirtualDevice, evs: &[InputEvent]| {
        p.emit(evs).map_err(|e| format!("touchscreen: {e}"))
    };
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
    let got = frames(&mut out, 3)?;
    let (a, k) = (EventType::ABSOLUTE.0, EventType::KEY.0);
    let left = KeyCode::BTN_LEFT.code();
    let mut want = vec![
        vec![
            (a, A::ABS_X.0, X.scale(x0)),
            (a, A::ABS_Y.0, Y.scale(y0)),
            (k, left, 1),
        ],
        vec![(a, A::ABS_X.0, X.scale(x1))],
        vec![(k, left, 0)],
    ];
    want.iter_mut().for_each(|f| f.sort_unstable());
    ensure(got == want, || {
        format!("out of the absolute virtual device: {got:?}, want {want:?}")
    })?;
    // Nothing of the touchscreen on the keys' virtual device.
    let stray = run.virt_next(Duration::from_millis(300))?;
    ensure(stray.is_none(), || {
        format!("the touchscreen reached the keys' virtual device: {stray:?}")
    })?;
    Ok(format!(
        "grabbed; touch at ({x0}, {y0}) of 4095x2047, move to x {x1}, lift: 3 frames out as left button at ({}, {}) -> x {} of {}, button up; slots, pressure and tool dropped",
        X.scale(x0),
        Y.scale(y0),
        X.scale(x1),
        absolute::RANGE
    ))
}
