//! The exam's input filter: a thread that owns the board's [`Input`], keeps every keyboard and
//! pointer grabbed, re-emits what [`Combos`] lets through and reports what it blocked.
//!
//! Reports go to a [`Sink`] as journal events: `KeyBlocked` for each blocked attempt,
//! `InputAttached` for a device that appeared (and was grabbed at once), `DeviceLost` /
//! `DeviceRestored` when reading the devices fails and recovers. The station's own keys
//! ([`StationKey`]) go to the exam flow through a channel ([`StationInput`]); while the flow
//! asks a question over the kiosk, it turns [`Filter::divert`] on and every key goes there
//! instead of the exam shell.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bundle::event::{text, Device, Event};

use super::combo::{Combos, StationKey, Verdict};
use crate::devices::{DeviceError, Hotplug, Input, Result};

/// Where the filter's reports go (the exam journal; tests collect them).
pub type Sink = Box<dyn FnMut(Event) + Send>;

/// How long one wait for input lasts: bounds how late `stop` is noticed.
const PUMP_MS: u32 = 20;
/// How often the filter looks for new devices (each found one is grabbed before its first
/// event is read).
const RESCAN: Duration = Duration::from_millis(100);
/// evdev event type of keys and buttons.
const EV_KEY: u16 = 1;

/// What the filter hands the exam flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StationInput {
    /// One of the station's own keys was pressed.
    Key(StationKey),
    /// A key event (`code`, `value`) while the station asks something over the kiosk.
    Raw(u16, i32),
}

/// What the filter thread gives back: the input and the outcome of releasing it.
type Returned = (Box<dyn Input>, Result<()>);

/// A running filter; [`Filter::stop`] releases the devices and gives the input back.
pub struct Filter {
    stop: Arc<AtomicBool>,
    divert: Arc<AtomicBool>,
    presses: Presses,
    thread: Option<JoinHandle<Returned>>,
}

/// Keys the station types into the exam shell, waiting for the filter thread.
type Presses = Arc<std::sync::Mutex<Vec<u16>>>;

/// Reads, filters and re-emits until `stop` is set; then releases the grab.
struct Worker {
    input: Box<dyn Input>,
    combos: Combos,
    sink: Sink,
    station: Sender<StationInput>,
    divert: Arc<AtomicBool>,
    presses: Presses,
    /// Whether reading (0) or looking for new devices (1) is failing now.
    failing: [bool; 2],
}

/// Slots of [`Worker::failing`].
const READING: usize = 0;
const SCANNING: usize = 1;

impl Worker {
    /// Reports a failure of `slot` once, until it works again.
    fn outcome(&mut self, slot: usize, r: Result<()>) {
        let failing = &mut self.failing[slot];
        match r {
            Err(e) if !*failing => {
                tracing::warn!("input filter: {e}");
                *failing = true;
                (self.sink)(Event::DeviceLost {
                    device: Device::Input,
                    reason: text(&e.to_string()),
                });
            }
            Err(_) => {}
            Ok(()) if *failing => {
                *failing = false;
                (self.sink)(Event::DeviceRestored {
                    device: Device::Input,
                });
            }
            Ok(()) => {}
        }
    }

    fn pump(&mut self) -> Result<()> {
        let mut blocked = Vec::new();
        let mut station = Vec::new();
        let combos = &mut self.combos;
        let divert = self.divert.load(Ordering::Relaxed);
        let r = self.input.pump_filtered(PUMP_MS, &mut |ev| {
            if ev.kind != EV_KEY {
                return true;
            }
            if divert {
                station.push(StationInput::Raw(ev.code, ev.value));
                return combos.divert(ev.code, ev.value);
            }
            match combos.key(ev.code, ev.value) {
                Verdict::Pass => true,
                Verdict::Drop => false,
                Verdict::Station(k) => {
                    station.push(StationInput::Key(k));
                    false
                }
                Verdict::Block(combo) => {
                    blocked.push((combo, ev.node.clone()));
                    false
                }
            }
        });
        for s in station {
            // The flow may have stopped listening at the exam's end: nothing is lost then.
            let _ = self.station.send(s);
        }
        for (combo, node) in blocked {
            tracing::info!(%node, "blocked {combo}");
            (self.sink)(Event::KeyBlocked {
                combo: text(&combo),
            });
        }
        r.map(drop)
    }

    fn rescan(&mut self) -> Result<()> {
        for h in self.input.changes()? {
            if let Hotplug::Added(d) = h {
                tracing::warn!(node = %d.node, "input device attached mid-exam: {}", d.name);
                (self.sink)(Event::InputAttached {
                    name: text(&format!("{} ({})", d.name, d.node)),
                });
            }
        }
        Ok(())
    }

    fn run(mut self, stop: &AtomicBool) -> Returned {
        let mut scanned = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            let typed =
                std::mem::take(&mut *self.presses.lock().unwrap_or_else(|p| p.into_inner()));
            for code in typed {
                match self.input.press(code) {
                    Ok(()) => tracing::info!(code, "typed into the exam shell"),
                    Err(e) => tracing::warn!(code, "could not type into the exam shell: {e}"),
                }
            }
            let r = self.pump();
            let failed = r.is_err();
            self.outcome(READING, r);
            if failed {
                std::thread::sleep(Duration::from_millis(PUMP_MS.into()));
            }
            if scanned.elapsed() >= RESCAN {
                scanned = Instant::now();
                let r = self.rescan();
                self.outcome(SCANNING, r);
            }
        }
        let released = self.input.release();
        (self.input, released)
    }
}

impl Filter {
    /// Grabs every keyboard and pointer of `input` (devices already present are not reported)
    /// and starts filtering on its own thread. On failure the input comes back with the error.
    pub fn start(
        mut input: Box<dyn Input>,
        combos: Combos,
        sink: Sink,
        station: Sender<StationInput>,
    ) -> std::result::Result<Filter, (Box<dyn Input>, DeviceError)> {
        if let Err(e) = input.changes().and_then(|_| input.grab()) {
            return Err((input, e));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let divert = Arc::new(AtomicBool::new(false));
        let presses = Presses::default();
        let worker = Worker {
            input,
            combos,
            sink,
            station,
            divert: divert.clone(),
            presses: presses.clone(),
            failing: [false; 2],
        };
        let thread = std::thread::Builder::new()
            .name("input-filter".into())
            .spawn(move || worker.run(&flag))
            .expect("spawning the input filter thread");
        Ok(Filter {
            stop,
            divert,
            presses,
            thread: Some(thread),
        })
    }

    /// Sends every key to the station instead of the exam shell (`true`), or stops doing so.
    pub fn divert(&self, on: bool) {
        self.divert.store(on, Ordering::Relaxed);
    }

    /// Types key `code` into the exam shell, through the station's virtual device, as soon as
    /// the filter thread is between two reads.
    pub fn press(&self, code: u16) {
        self.presses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(code);
    }

    /// Stops filtering, releases every device and gives the input back with the release's
    /// outcome.
    pub fn stop(mut self) -> Returned {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take().expect("stopped only once");
        match thread.join() {
            Ok(r) => r,
            Err(p) => std::panic::resume_unwind(p),
        }
    }
}

impl Drop for Filter {
    /// A filter dropped without [`Filter::stop`] still releases the devices.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::{InputDevice, InputEvent};
    use std::sync::mpsc;
    use std::sync::Mutex;

    /// A scripted input: hands out `script` one pump at a time; records what was re-emitted.
    struct Scripted {
        script: Vec<Vec<(u16, i32)>>,
        plugged: Vec<InputDevice>,
        emitted: Arc<Mutex<Vec<(u16, i32)>>>,
        grabbed: Arc<AtomicBool>,
        /// The script waits until this is set.
        go: Arc<AtomicBool>,
    }

    impl Input for Scripted {
        fn devices(&mut self) -> Result<Vec<InputDevice>> {
            Ok(Vec::new())
        }
        fn changes(&mut self) -> Result<Vec<Hotplug>> {
            if !self.grabbed.load(Ordering::Relaxed) {
                return Ok(Vec::new());
            }
            Ok(self.plugged.drain(..).map(Hotplug::Added).collect())
        }
        fn grab(&mut self) -> Result<()> {
            self.grabbed.store(true, Ordering::Relaxed);
            Ok(())
        }
        fn pump_filtered(
            &mut self,
            _timeout_ms: u32,
            keep: &mut dyn FnMut(&InputEvent) -> bool,
        ) -> Result<Vec<InputEvent>> {
            std::thread::sleep(Duration::from_millis(2));
            let mut out = Vec::new();
            if !self.script.is_empty() && self.go.load(Ordering::Relaxed) {
                for (code, value) in self.script.remove(0) {
                    let ev = InputEvent {
                        node: "/dev/input/event7".into(),
                        kind: EV_KEY,
                        code,
                        value,
                    };
                    if keep(&ev) {
                        self.emitted.lock().unwrap().push((code, value));
                        out.push(ev);
                    }
                }
            }
            Ok(out)
        }
        fn release(&mut self) -> Result<()> {
            self.grabbed.store(false, Ordering::Relaxed);
            Ok(())
        }
        fn press(&mut self, code: u16) -> Result<()> {
            let mut out = self.emitted.lock().unwrap();
            out.extend([(code, 1), (code, 0)]);
            Ok(())
        }
    }

    #[test]
    fn filters_reports_and_releases_at_stop() {
        use evdev::KeyCode as K;
        let emitted = Arc::new(Mutex::new(Vec::new()));
        let grabbed = Arc::new(AtomicBool::new(false));
        let (ctrl, alt, f1, a) = (
            K::KEY_LEFTCTRL.code(),
            K::KEY_LEFTALT.code(),
            K::KEY_F1.code(),
            K::KEY_A.code(),
        );
        let input = Scripted {
            script: vec![
                vec![(ctrl, 1), (alt, 1), (f1, 1)],
                vec![(f1, 0), (alt, 0), (ctrl, 0)],
                vec![(a, 1), (a, 0)],
            ],
            plugged: vec![InputDevice {
                node: "/dev/input/event9".into(),
                name: "Injector".into(),
                keyboard: true,
                pointer: false,
            }],
            emitted: emitted.clone(),
            grabbed: grabbed.clone(),
            go: Arc::new(AtomicBool::new(true)),
        };
        let (tx, rx) = mpsc::channel();
        let sink: Sink = Box::new(move |e| {
            let _ = tx.send(e);
        });
        let (station, keys) = mpsc::channel();
        let filter = Filter::start(Box::new(input), Combos::new(&[]).unwrap(), sink, station)
            .map_err(|(_, e)| e)
            .unwrap();
        let mut events = Vec::new();
        while events.len() < 2 {
            events.push(rx.recv_timeout(Duration::from_secs(5)).unwrap());
        }
        let t0 = Instant::now();
        while emitted.lock().unwrap().len() < 6 && t0.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(grabbed.load(Ordering::Relaxed));
        let (_, released) = filter.stop();
        released.unwrap();
        assert!(!grabbed.load(Ordering::Relaxed), "stop releases the grab");
        assert!(events.contains(&Event::KeyBlocked {
            combo: text("Ctrl+Alt+F1")
        }));
        assert!(events.contains(&Event::InputAttached {
            name: text("Injector (/dev/input/event9)")
        }));
        assert_eq!(
            *emitted.lock().unwrap(),
            vec![(ctrl, 1), (alt, 1), (alt, 0), (ctrl, 0), (a, 1), (a, 0)]
        );
        assert!(keys.try_recv().is_err(), "no station key was pressed");
    }

    /// What the scripted input re-emitted.
    type Emitted = Arc<Mutex<Vec<(u16, i32)>>>;

    /// A filter over a scripted input that waits for `go`; what it re-emitted, and the
    /// station's channel.
    fn scripted(
        script: Vec<Vec<(u16, i32)>>,
        go: bool,
    ) -> (
        Filter,
        Emitted,
        Arc<AtomicBool>,
        mpsc::Receiver<StationInput>,
    ) {
        let emitted = Arc::new(Mutex::new(Vec::new()));
        let go = Arc::new(AtomicBool::new(go));
        let input = Scripted {
            script,
            plugged: Vec::new(),
            emitted: emitted.clone(),
            grabbed: Arc::new(AtomicBool::new(false)),
            go: go.clone(),
        };
        let (station, keys) = mpsc::channel();
        let filter = Filter::start(
            Box::new(input),
            Combos::new(&[]).unwrap(),
            Box::new(|_| {}),
            station,
        )
        .map_err(|(_, e)| e)
        .unwrap();
        (filter, emitted, go, keys)
    }

    #[test]
    fn station_keys_and_diverted_keys_go_to_the_station_only() {
        use evdev::KeyCode as K;
        let (ctrl, alt, e, x) = (
            K::KEY_LEFTCTRL.code(),
            K::KEY_LEFTALT.code(),
            K::KEY_E.code(),
            K::KEY_X.code(),
        );
        let chord = vec![(ctrl, 1), (alt, 1), (e, 1), (e, 0), (alt, 0), (ctrl, 0)];
        let (filter, emitted, _, keys) = scripted(vec![chord], true);
        assert_eq!(
            keys.recv_timeout(Duration::from_secs(5)).unwrap(),
            StationInput::Key(StationKey::End)
        );
        let (_, released) = filter.stop();
        released.unwrap();
        // Ctrl and Alt alone reached the shell (and their releases); E did not.
        assert_eq!(
            *emitted.lock().unwrap(),
            vec![(ctrl, 1), (alt, 1), (alt, 0), (ctrl, 0)]
        );

        // Diverted: X goes to the station, nothing to the shell.
        let (filter, emitted, go, keys) = scripted(vec![vec![(x, 1), (x, 0)]], false);
        filter.divert(true);
        go.store(true, Ordering::Relaxed);
        let got: Vec<StationInput> = (0..2)
            .map(|_| keys.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert_eq!(got, vec![StationInput::Raw(x, 1), StationInput::Raw(x, 0)]);
        let (_, released) = filter.stop();
        released.unwrap();
        assert!(emitted.lock().unwrap().is_empty());
    }

    #[test]
    fn the_station_types_into_the_exam_shell() {
        use evdev::KeyCode as K;
        let (filter, emitted, _, keys) = scripted(Vec::new(), true);
        filter.press(K::KEY_F5.code());
        let t0 = Instant::now();
        while emitted.lock().unwrap().len() < 2 && t0.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let (_, released) = filter.stop();
        released.unwrap();
        assert_eq!(
            *emitted.lock().unwrap(),
            vec![(K::KEY_F5.code(), 1), (K::KEY_F5.code(), 0)]
        );
        assert!(keys.try_recv().is_err(), "not a station key");
    }
}
