//! Input tests with uinput: a "physical" keyboard is grabbed and its keys come out of the
//! station's virtual device (and nobody else sees them); a second keyboard's hotplug and its
//! removal while grabbed are seen.

use std::time::{Duration, Instant};

use evdev::uinput::VirtualDevice;
use evdev::{Device, EventType, KeyCode};
use station::devices::linux::input::{LinuxInput, VIRTUAL_NAME};
use station::devices::{Hotplug, Input};

use crate::ctx::{ensure, open_named, wait_for, Ctx};
use crate::Test;

/// The input tests.
pub const TESTS: &[(&str, Test)] = &[
    ("input_grab_and_reemit_keys", grab_reemit),
    ("input_hotplug_add_and_remove", hotplug),
];

/// A uinput keyboard that looks like a USB one.
fn keyboard(name: &str) -> Result<VirtualDevice, String> {
    use KeyCode as K;
    let keys = [K::KEY_A, K::KEY_B, K::KEY_Z, K::KEY_ENTER, K::KEY_SPACE];
    crate::ctx::usb_keys(name, 0x5678, keys)
}

/// Key events waiting on a non-blocking device: (code, value).
pub(crate) fn keys(dev: &mut Device) -> Vec<(u16, i32)> {
    match dev.fetch_events() {
        Ok(evs) => evs
            .filter(|e| e.event_type() == EventType::KEY)
            .map(|e| (e.code(), e.value()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn grab_reemit(ctx: &Ctx) -> Result<String, String> {
    let mut phys = keyboard("hw-test keyboard 1")?;
    let mut input = LinuxInput::open(&ctx.board.input).map_err(|e| e.to_string())?;
    let seen = wait_for(5, || {
        let d = input.devices().map_err(|e| e.to_string())?;
        Ok(d.into_iter().find(|d| d.name == "hw-test keyboard 1"))
    })?
    .ok_or("the uinput keyboard never appeared in devices()")?;
    ensure(seen.keyboard, || {
        format!("{seen:?} not classified as a keyboard")
    })?;
    input.grab().map_err(|e| e.to_string())?;
    let (vnode, mut virt) = wait_for(5, || open_named(VIRTUAL_NAME))?
        .ok_or("the station's virtual device has no /dev/input node")?;
    let (_, mut spy) = open_named("hw-test keyboard 1")?.ok_or("keyboard node vanished")?;
    let a = KeyCode::KEY_A.code();
    phys.emit(&[
        evdev::InputEvent::new(EventType::KEY.0, a, 1),
        evdev::InputEvent::new(EventType::KEY.0, a, 0),
    ])
    .map_err(|e| e.to_string())?;
    let mut pumped = Vec::new();
    let t0 = Instant::now();
    while pumped.len() < 2 && t0.elapsed() < Duration::from_secs(3) {
        pumped.extend(input.pump(200).map_err(|e| e.to_string())?);
    }
    ensure(pumped.iter().any(|e| e.code == a && e.value == 1), || {
        format!("pump saw {pumped:?}")
    })?;
    let mut out = Vec::new();
    wait_for(3, || {
        out.extend(keys(&mut virt));
        Ok(out.contains(&(a, 0)).then_some(()))
    })?;
    ensure(out == vec![(a, 1), (a, 0)], || {
        format!("virtual device {vnode} emitted {out:?}")
    })?;
    let leaked = keys(&mut spy);
    ensure(leaked.is_empty(), || {
        format!("grab not exclusive: another reader got {leaked:?}")
    })?;
    input.release().map_err(|e| e.to_string())?;
    Ok(format!(
        "{} grabbed; KEY_A press+release re-emitted on {vnode}; no other reader saw it",
        seen.node
    ))
}

fn hotplug(ctx: &Ctx) -> Result<String, String> {
    let mut input = LinuxInput::open(&ctx.board.input).map_err(|e| e.to_string())?;
    input.changes().map_err(|e| e.to_string())?;
    input.grab().map_err(|e| e.to_string())?;
    let kb = keyboard("hw-test keyboard 2")?;
    let added = wait_for(5, || {
        let c = input.changes().map_err(|e| e.to_string())?;
        Ok(c.into_iter().find_map(|h| match h {
            Hotplug::Added(d) if d.name == "hw-test keyboard 2" => Some(d),
            _ => None,
        }))
    })?
    .ok_or("adding a second keyboard was not seen")?;
    // Unplug it while grabbed: reported as removed, no error, no panic.
    drop(kb);
    let removed = wait_for(5, || {
        input.pump(50).map_err(|e| e.to_string())?;
        let c = input.changes().map_err(|e| e.to_string())?;
        Ok(c.into_iter()
            .find(|h| matches!(h, Hotplug::Removed(d) if d.node == added.node)))
    })?;
    ensure(removed.is_some(), || {
        format!("removal of {} was not seen", added.node)
    })?;
    input.release().map_err(|e| e.to_string())?;
    Ok(format!(
        "added {} ({}), then removed while grabbed",
        added.node, added.name
    ))
}
