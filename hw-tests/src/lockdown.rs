//! Lockdown tests with uinput: the exam's input filter runs on the real evdev backend; a uinput
//! "physical" keyboard injects blocked combinations and ordinary typing; what comes out of the
//! station's virtual device, what the filter reports and the active VT are checked.

use std::collections::VecDeque;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant, SystemTime};

use bundle::event::{text, Event};
use evdev::uinput::VirtualDevice;
use evdev::{Device, EventType, KeyCode};
use station::devices::linux::input::{LinuxInput, VIRTUAL_NAME};
use station::devices::Input;
use station::lockdown::combo::{Combos, FUNCTION_KEYS};
use station::lockdown::{Filter, Sink};

use crate::ctx::{ensure, open_named, wait_for, Ctx};
use crate::Test;

/// The lockdown tests.
pub const TESTS: &[(&str, Test)] = &[
    ("lockdown_blocked_combinations_dropped", blocked),
    ("lockdown_typing_unchanged_latency", typing),
    ("lockdown_hotplug_grabbed_and_reported", hotplug),
    ("lockdown_busy_keyboard_reported_then_grabbed", busy),
    ("lockdown_unplugged_keyboard_releases_its_keys", unplugged),
];

/// A site combination on top of the built-in list.
const SITE: &str = "Ctrl+Shift+I";

/// A uinput keyboard with every standard key, looking like a USB one.
pub(crate) fn full_keyboard(name: &str) -> Result<VirtualDevice, String> {
    crate::ctx::usb_keys(name, 0x5679, (1..=248).map(KeyCode::new))
}

/// Sends one key event (and its SYN_REPORT).
fn send(kb: &mut VirtualDevice, key: KeyCode, value: i32) -> Result<(), String> {
    kb.emit(&[evdev::InputEvent::new(EventType::KEY.0, key.code(), value)])
        .map_err(|e| format!("injecting {key:?}={value}: {e}"))
}

/// Presses `keys` in order, releases them in reverse.
pub(crate) fn chord(kb: &mut VirtualDevice, keys: &[KeyCode]) -> Result<(), String> {
    for k in keys {
        send(kb, *k, 1)?;
    }
    for k in keys.iter().rev() {
        send(kb, *k, 0)?;
    }
    Ok(())
}

/// F1..F12, in order (the filter's own table).
const FKEYS: &[KeyCode] = FUNCTION_KEYS.split_at(12).0;

/// A key event read back: code, value, the kernel's timestamp and when it was read.
pub(crate) type KeyOut = (u16, i32, SystemTime, SystemTime);

/// Key events of a device node, read as they come.
struct Reader {
    dev: Device,
    queue: VecDeque<KeyOut>,
}

impl Reader {
    /// The next key event within `timeout`.
    fn next(&mut self, timeout: Duration) -> Result<Option<KeyOut>, String> {
        let t0 = Instant::now();
        loop {
            if let Some(k) = self.queue.pop_front() {
                return Ok(Some(k));
            }
            let left = timeout.saturating_sub(t0.elapsed());
            if left.is_zero() {
                return Ok(None);
            }
            let mut p = libc::pollfd {
                fd: self.dev.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            unsafe { libc::poll(&mut p, 1, left.as_millis().max(1) as i32) };
            match self.dev.fetch_events() {
                Ok(evs) => {
                    let now = SystemTime::now();
                    self.queue.extend(
                        evs.filter(|e| e.event_type() == EventType::KEY)
                            .map(|e| (e.code(), e.value(), e.timestamp(), now)),
                    );
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(format!("reading the virtual device: {e}")),
            }
        }
    }

    /// Every key event up to and including the release of `sentinel` (within 5 s).
    fn until_release(&mut self, sentinel: KeyCode) -> Result<Vec<(u16, i32)>, String> {
        let mut out = Vec::new();
        while let Some((code, value, _, _)) = self.next(Duration::from_secs(5))? {
            if code == sentinel.code() && value == 0 {
                return Ok(out);
            }
            out.push((code, value));
        }
        Err(format!(
            "the release of {sentinel:?} never came out of the virtual device; got {out:?}"
        ))
    }
}

/// A running filter on the board's real input, its reports and the virtual device.
pub(crate) struct Running {
    filter: Filter,
    reports: Receiver<Event>,
    virt: Reader,
    vnode: String,
}

/// Waits until the backend sees `name`, then starts the filter with the built-in list and
/// [`SITE`].
pub(crate) fn start(ctx: &Ctx, name: &str) -> Result<Running, String> {
    let mut input = LinuxInput::open(&ctx.board.input).map_err(|e| e.to_string())?;
    wait_for(5, || {
        let d = input.devices().map_err(|e| e.to_string())?;
        Ok(d.iter().any(|d| d.name == name).then_some(()))
    })?
    .ok_or_else(|| format!("`{name}` never appeared in devices()"))?;
    let (tx, reports) = mpsc::channel();
    let sink: Sink = Box::new(move |e| {
        let _ = tx.send(e);
    });
    let combos = Combos::new(&[SITE.to_string()])?;
    // The station's own keys are not typed here; their channel is left unread.
    let (station, _) = mpsc::channel();
    let filter =
        Filter::start(Box::new(input), combos, sink, station).map_err(|(_, e)| e.to_string())?;
    let (vnode, dev) = wait_for(5, || open_named(VIRTUAL_NAME))?
        .ok_or("the station's virtual device has no /dev/input node")?;
    Ok(Running {
        filter,
        reports,
        virt: Reader {
            dev,
            queue: VecDeque::new(),
        },
        vnode,
    })
}

impl Running {
    /// The next key event on the keys' virtual device within `timeout`.
    pub(crate) fn virt_next(&mut self, timeout: Duration) -> Result<Option<KeyOut>, String> {
        self.virt.next(timeout)
    }

    pub(crate) fn stop(self) -> Result<Vec<Event>, String> {
        let (_, released) = self.filter.stop();
        released.map_err(|e| e.to_string())?;
        Ok(self.reports.try_iter().collect())
    }
}

/// The active VT, if the machine has VTs.
pub(crate) fn active_vt() -> Option<String> {
    std::fs::read_to_string("/sys/class/tty/tty0/active")
        .ok()
        .map(|s| s.trim().to_string())
}

/// A VT other than `active` (2, or 3 when 2 is active) and its open /dev/ttyN: the kernel
/// switches only to an allocated VT, and this one exists while the file lives (nothing runs on
/// it in the guest).
pub(crate) fn other_vt(active: &str) -> Result<(u16, std::fs::File), String> {
    let n = if vt_number(active) == Some(2) { 3 } else { 2 };
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(format!("/dev/tty{n}"))
        .map_err(|e| format!("/dev/tty{n}: {e}"))?;
    Ok((n, tty))
}

/// The number of the VT named `name` (`tty3` -> 3).
pub(crate) fn vt_number(name: &str) -> Option<u16> {
    name.strip_prefix("tty").and_then(|n| n.parse().ok())
}

/// The active VT after `secs` seconds, or earlier once it differs from `before`.
pub(crate) fn vt_after(before: &str, secs: u64) -> Result<String, String> {
    Ok(wait_for(secs, || Ok(active_vt().filter(|v| v != before)))?
        .unwrap_or_else(|| before.to_string()))
}

/// Makes `before` (a `ttyN`) the active VT again by a request as root, as a person at the
/// console would expect after a test switched away: waits up to 5 s (TCG is slow to switch
/// while a getty starts on the VT just left).
pub(crate) fn switch_back(before: &str) -> Result<(), String> {
    let n = vt_number(before).ok_or_else(|| format!("active VT {before} is not a ttyN"))?;
    station::lockdown::vt::activate(std::path::Path::new(station::lockdown::vt::CONSOLE), n)
        .map_err(|e| e.to_string())?;
    wait_for(5, || Ok(active_vt().filter(|v| v == before)))?
        .map(|_| ())
        .ok_or_else(|| {
            let now = active_vt().unwrap_or_default();
            format!("could not switch back to {before} (VT_ACTIVATE {n}; still {now})")
        })
}

/// Injects Ctrl+Alt+F2 (F3 on tty2) with nobody grabbing: does the kernel switch VTs? Switches back.
fn control_vt_switch(kb: &mut VirtualDevice) -> Result<Option<(String, String)>, String> {
    let Some(before) = active_vt() else {
        return Ok(None);
    };
    let (n, _tty) = other_vt(&before)?;
    use KeyCode as K;
    chord(
        kb,
        &[K::KEY_LEFTCTRL, K::KEY_LEFTALT, FKEYS[usize::from(n) - 1]],
    )?;
    let switched = vt_after(&before, 2)?;
    if switched == before {
        return Ok(Some((before, "unchanged".into())));
    }
    switch_back(&before)?;
    Ok(Some((before, switched)))
}

fn blocked(ctx: &Ctx) -> Result<String, String> {
    use KeyCode as K;
    let name = "hw-test lockdown keyboard";
    let mut kb = full_keyboard(name)?;
    let control = control_vt_switch(&mut kb)?;
    let mut run = start(ctx, name)?;
    let vt_before = active_vt();
    let mut cases: Vec<(Vec<KeyCode>, String)> = FKEYS
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                vec![K::KEY_LEFTCTRL, K::KEY_LEFTALT, *f],
                format!("Ctrl+Alt+F{}", i + 1),
            )
        })
        .collect();
    cases.extend([
        (
            vec![K::KEY_LEFTCTRL, K::KEY_LEFTALT, K::KEY_DELETE],
            "Ctrl+Alt+Delete".into(),
        ),
        (
            vec![K::KEY_LEFTCTRL, K::KEY_LEFTALT, K::KEY_BACKSPACE],
            "Ctrl+Alt+Backspace".into(),
        ),
        (vec![K::KEY_LEFTALT, K::KEY_SYSRQ], "Alt+SysRq".into()),
        (vec![K::KEY_SYSRQ], "SysRq".into()),
        (vec![K::KEY_PRINT], "PrintKey".into()),
        (vec![K::KEY_LEFTMETA], "Super".into()),
        (vec![K::KEY_RIGHTMETA], "Super".into()),
        (vec![K::KEY_LEFTALT, K::KEY_TAB], "Alt+Tab".into()),
        (vec![K::KEY_LEFTALT, K::KEY_F4], "Alt+F4".into()),
        (
            vec![K::KEY_LEFTCTRL, K::KEY_LEFTSHIFT, K::KEY_I],
            SITE.into(),
        ),
    ]);
    let (mut want_out, mut out) = (Vec::new(), Vec::new());
    for (keys, _) in &cases {
        chord(&mut kb, keys)?;
        // Only the modifiers come out, pressed and released. Read them before the next chord:
        // an evdev client's buffer holds 64 events.
        let mods: Vec<u16> = keys[..keys.len() - 1].iter().map(|k| k.code()).collect();
        want_out.extend(mods.iter().map(|c| (*c, 1)));
        want_out.extend(mods.iter().rev().map(|c| (*c, 0)));
        while out.len() < want_out.len() {
            let Some((code, value, _, _)) = run.virt.next(Duration::from_secs(2))? else {
                break;
            };
            out.push((code, value));
        }
    }
    chord(&mut kb, &[K::KEY_ENTER])?;
    want_out.push((K::KEY_ENTER.code(), 1));
    out.extend(run.virt.until_release(K::KEY_ENTER)?);
    let vt_after = active_vt();
    let vnode = run.vnode.clone();
    let reports = run.stop()?;
    ensure(out == want_out, || {
        format!("virtual device {vnode} emitted {out:?}, expected only the modifiers {want_out:?}")
    })?;
    for (_, label) in &cases {
        let want = Event::KeyBlocked { combo: text(label) };
        ensure(reports.contains(&want), || {
            format!("no KeyBlocked {{ {label} }} reported; reports: {reports:?}")
        })?;
    }
    let blocked_reports = reports
        .iter()
        .filter(|e| matches!(e, Event::KeyBlocked { .. }))
        .count();
    ensure(vt_before == vt_after, || {
        format!("active VT changed from {vt_before:?} to {vt_after:?}")
    })?;
    let vt = match (vt_before, control) {
        (Some(v), Some((c0, c1))) => {
            format!("active VT stayed {v} (control without the filter: Ctrl+Alt+F2 {c0} -> {c1})")
        }
        _ => "no VTs in this machine (/sys/class/tty/tty0/active missing)".into(),
    };
    Ok(format!(
        "{} combinations: none reached {vnode} (only their modifiers), {blocked_reports} KeyBlocked reported; {vt}",
        cases.len()
    ))
}

/// Percentile `p` (0-100) of sorted `v`.
fn percentile(v: &[f64], p: f64) -> f64 {
    let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[i.min(v.len() - 1)]
}

fn ms(from: SystemTime, to: SystemTime) -> f64 {
    to.duration_since(from)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

fn typing(ctx: &Ctx) -> Result<String, String> {
    use KeyCode as K;
    let name = "hw-test lockdown typist";
    let mut kb = full_keyboard(name)?;
    // Baseline in the same run: the same keys read back from the keyboard's own node, no filter.
    let (_, dev) = wait_for(5, || open_named(name))?.ok_or("the typist has no /dev/input node")?;
    let mut direct = Reader {
        dev,
        queue: VecDeque::new(),
    };
    let mut baseline = Vec::new();
    for k in [KeyCode::KEY_A, KeyCode::KEY_B].repeat(100) {
        for v in [1, 0] {
            let t0 = SystemTime::now();
            send(&mut kb, k, v)?;
            let (_, _, _, read) = direct
                .next(Duration::from_secs(2))?
                .ok_or_else(|| format!("{k:?}={v} never came back from `{name}` itself"))?;
            baseline.push(ms(t0, read));
        }
    }
    drop(direct);
    let mut run = start(ctx, name)?;
    // "Hello, world 42" Enter, then Backspace: shifted letters, punctuation, digits, editing.
    let mut text_keys: Vec<(KeyCode, i32)> = Vec::new();
    let tap = |v: &mut Vec<(KeyCode, i32)>, k: KeyCode| {
        v.push((k, 1));
        v.push((k, 0));
    };
    text_keys.push((K::KEY_LEFTSHIFT, 1));
    tap(&mut text_keys, K::KEY_H);
    text_keys.push((K::KEY_LEFTSHIFT, 0));
    for k in [
        K::KEY_E,
        K::KEY_L,
        K::KEY_L,
        K::KEY_O,
        K::KEY_COMMA,
        K::KEY_SPACE,
        K::KEY_W,
        K::KEY_O,
        K::KEY_R,
        K::KEY_L,
        K::KEY_D,
        K::KEY_SPACE,
        K::KEY_4,
        K::KEY_2,
        K::KEY_ENTER,
        K::KEY_BACKSPACE,
    ] {
        tap(&mut text_keys, k);
    }
    let mut sent = Vec::new();
    let mut out = Vec::new();
    let (mut added, mut readback) = (Vec::new(), Vec::new());
    while sent.len() < 1000 {
        for (k, v) in &text_keys {
            let t0 = SystemTime::now();
            send(&mut kb, *k, *v)?;
            sent.push((k.code(), *v));
            let (code, value, ts, read) = run
                .virt
                .next(Duration::from_secs(2))?
                .ok_or_else(|| format!("{k:?}={v} never came out of {}", run.vnode))?;
            out.push((code, value));
            added.push(ms(t0, ts));
            readback.push(ms(t0, read));
        }
    }
    let reports = run.stop()?;
    ensure(out == sent, || {
        let at = out.iter().zip(&sent).position(|(a, b)| a != b);
        format!("typed sequence changed at event {at:?} of {}", sent.len())
    })?;
    ensure(reports.is_empty(), || {
        format!("ordinary typing reported {reports:?}")
    })?;
    added.sort_by(f64::total_cmp);
    readback.sort_by(f64::total_cmp);
    baseline.sort_by(f64::total_cmp);
    let mean = added.iter().sum::<f64>() / added.len() as f64;
    let (filtered, unfiltered) = (percentile(&readback, 99.0), percentile(&baseline, 99.0));
    Ok(format!(
        "{} key events out unchanged; added latency (injection -> re-emitted event timestamp) p99 {:.3} ms, mean {:.3} ms, max {:.3} ms (goal 0.2 ms); read back by a client p99 {filtered:.3} ms through the filter vs {unfiltered:.3} ms from the keyboard itself: ratio {:.2}",
        sent.len(),
        percentile(&added, 99.0),
        mean,
        added[added.len() - 1],
        filtered / unfiltered.max(1e-6)
    ))
}

fn hotplug(ctx: &Ctx) -> Result<String, String> {
    let name = "hw-test lockdown keyboard 0";
    let _kb = full_keyboard(name)?;
    let mut run = start(ctx, name)?;
    let injector = "hw-test lockdown injector";
    let t0 = Instant::now();
    let mut late = full_keyboard(injector)?;
    let mut reports = Vec::new();
    let attached = wait_for(5, || {
        reports.extend(run.reports.try_iter());
        Ok(reports.iter().find_map(|e| match e {
            Event::InputAttached { name } if name.starts_with(injector) => Some(name.clone()),
            _ => None,
        }))
    })?
    .ok_or_else(|| format!("no InputAttached for `{injector}`; reports: {reports:?}"))?;
    let grab_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let (node, mut spy) = open_named(injector)?.ok_or("injector node vanished")?;
    chord(&mut late, &[KeyCode::KEY_Q])?;
    let out = run.virt.until_release(KeyCode::KEY_Q);
    let leaked = match spy.fetch_events() {
        Ok(evs) => evs.filter(|e| e.event_type() == EventType::KEY).count(),
        Err(_) => 0,
    };
    run.stop()?;
    let out = out?;
    ensure(out == vec![(KeyCode::KEY_Q.code(), 1)], || {
        format!("the injector's Q came out as {out:?}")
    })?;
    ensure(leaked == 0, || {
        format!("{node} not grabbed: another reader got {leaked} key events")
    })?;
    Ok(format!(
        "`{attached}` reported {grab_ms:.0} ms after it appeared; its keys go only through the filter"
    ))
}

/// A keyboard another process holds when the exam starts: the filter grabs the others, reports
/// it as lost (naming its node), and grabs it as soon as it is free.
fn busy(ctx: &Ctx) -> Result<String, String> {
    let name = "hw-test lockdown held keyboard";
    let mut kb = full_keyboard(name)?;
    let (node, mut holder) = wait_for(5, || open_named(name))?.ok_or("keyboard node missing")?;
    holder.grab().map_err(|e| format!("{node}: {e}"))?;
    let mut run = start(ctx, name)?;
    let mut reports = Vec::new();
    let lost = wait_for(5, || {
        reports.extend(run.reports.try_iter());
        Ok(reports.iter().find_map(|e| match e {
            Event::DeviceLost { reason, .. } if reason.contains(node.as_str()) => {
                Some(reason.to_string())
            }
            _ => None,
        }))
    })?;
    holder.ungrab().map_err(|e| format!("{node}: {e}"))?;
    let lost = match lost {
        Some(l) => l,
        None => {
            run.stop()?;
            return Err(format!("no DeviceLost naming {node}; reports: {reports:?}"));
        }
    };
    let attached = wait_for(5, || {
        reports.extend(run.reports.try_iter());
        Ok(reports
            .iter()
            .any(|e| matches!(e, Event::InputAttached { name: n } if n.starts_with(name)))
            .then_some(()))
    })?;
    chord(&mut kb, &[KeyCode::KEY_Q])?;
    let out = run.virt.until_release(KeyCode::KEY_Q);
    reports.extend(run.stop()?);
    ensure(attached.is_some(), || {
        format!("{node} was not grabbed once free; reports: {reports:?}")
    })?;
    let out = out?;
    ensure(out == vec![(KeyCode::KEY_Q.code(), 1)], || {
        format!("its Q came out as {out:?}")
    })?;
    ensure(
        reports.contains(&Event::DeviceRestored {
            device: bundle::event::Device::Input,
        }),
        || format!("no DeviceRestored; reports: {reports:?}"),
    )?;
    Ok(format!(
        "reported `{lost}`, grabbed once free, its keys then go through the filter"
    ))
}

/// A keyboard unplugged with Ctrl and A down: both come out released, and the filter no longer
/// counts Ctrl as held (Shift+I from another keyboard is not taken for Ctrl+Shift+I).
fn unplugged(ctx: &Ctx) -> Result<String, String> {
    use KeyCode as K;
    let name = "hw-test lockdown unplugged";
    let mut kb = full_keyboard(name)?;
    let mut other = full_keyboard("hw-test lockdown other")?;
    let mut run = start(ctx, name)?;
    wait_for(5, || open_named("hw-test lockdown other"))?.ok_or("second keyboard missing")?;
    send(&mut kb, K::KEY_LEFTCTRL, 1)?;
    send(&mut kb, K::KEY_A, 1)?;
    let mut out = Vec::new();
    while out.len() < 2 {
        match run.virt.next(Duration::from_secs(3))? {
            Some((c, v, _, _)) => out.push((c, v)),
            None => break,
        }
    }
    drop(kb);
    while out.len() < 4 {
        match run.virt.next(Duration::from_secs(3))? {
            Some((c, v, _, _)) => out.push((c, v)),
            None => break,
        }
    }
    let (ctrl, a) = (K::KEY_LEFTCTRL.code(), K::KEY_A.code());
    let mut released = out.get(2..).unwrap_or_default().to_vec();
    released.sort();
    let ok = out.get(..2) == Some(&[(ctrl, 1), (a, 1)][..])
        && released == [(ctrl.min(a), 0), (ctrl.max(a), 0)];
    if !ok {
        run.stop()?;
        return Err(format!(
            "expected Ctrl and A pressed, then released at unplug; virtual device gave {out:?}"
        ));
    }
    chord(&mut other, &[K::KEY_LEFTSHIFT, K::KEY_I])?;
    let typed = run.virt.until_release(K::KEY_LEFTSHIFT);
    let reports = run.stop()?;
    let typed = typed?;
    let (shift, i) = (K::KEY_LEFTSHIFT.code(), K::KEY_I.code());
    ensure(typed == [(shift, 1), (i, 1), (i, 0)], || {
        format!("Shift+I after the unplug came out as {typed:?}; reports: {reports:?}")
    })?;
    Ok("Ctrl and A released on the virtual device at unplug; Shift+I from another keyboard then passes".into())
}

/// Plugs in a uinput keyboard `name` mid-exam and waits until the filter has grabbed it (our
/// own grab is then refused, EBUSY); returns it and the milliseconds that took.
pub(crate) fn plug_grabbed_keyboard(name: &str) -> Result<(VirtualDevice, f64), String> {
    let t0 = Instant::now();
    let kb = full_keyboard(name)?;
    wait_for(10, || {
        let Some((_, mut dev)) = open_named(name)? else {
            return Ok(None);
        };
        Ok(dev.grab().is_err().then_some(()))
    })?
    .ok_or_else(|| format!("`{name}` not grabbed 10 s after it was plugged in"))?;
    Ok((kb, t0.elapsed().as_secs_f64() * 1000.0))
}
