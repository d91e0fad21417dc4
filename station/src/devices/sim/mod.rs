//! Simulated devices for the `simulated` board and logic tests: no hardware needed.
//!
//! The camera draws a test card with a moving bar (or shows the board's `camera.scene`, a
//! sequence of pictures: [`scene`]), the microphone synthesizes a 440 Hz tone, the
//! display keeps its framebuffer in memory. A shared [`Faults`] handle lets tests unplug the
//! camera or press the call button at run time.

mod pattern;
pub mod scene;

use std::sync::{Arc, Mutex};

use super::{
    Camera, DeviceError, Devices, Display, ErrorKind, Frame, Hotplug, Indicator, Input,
    InputDevice, InputEvent, Level, Microphone, Permit, Result, Signal, Source,
};

/// Faults and signals injected into simulated devices.
#[derive(Debug, Default)]
pub struct FaultState {
    /// The camera is unplugged.
    pub camera_unplugged: bool,
    /// Signals waiting to be polled.
    pub signals: Vec<Signal>,
    /// The tamper switch reads open (the case is open).
    pub case_open: bool,
    /// The recording LED is lit (set by the station, read by tests).
    pub led: bool,
}

/// Shared handle to inject faults.
pub type Faults = Arc<Mutex<FaultState>>;

/// Opens the simulated devices of `board`, with a fresh fault handle.
pub fn open(board: &board_config::Board) -> Devices {
    open_with(board, Faults::default())
}

/// Opens the simulated devices of `board` wired to `faults`.
pub fn open_with(board: &board_config::Board, faults: Faults) -> Devices {
    let (w, h) = parse_mode(board.display.mode.as_deref()).unwrap_or((1024, 768));
    Devices {
        camera: Box::new(SimCamera {
            width: board.camera.width,
            height: board.camera.height,
            brightness: 128,
            tick: 0,
            faults: faults.clone(),
            scene: board.camera.scene.as_deref().map(scene::Scene::open),
        }),
        microphone: Box::new(SimMicrophone {
            rate: board.microphone.rate,
            volume: 100,
        }),
        display: Box::new(SimDisplay {
            fb: Frame {
                width: w,
                height: h,
                rgb: vec![0; (w * h * 3) as usize],
            },
        }),
        indicator: Box::new(SimIndicator { faults }),
        input: Box::new(SimInput { grabbed: false }),
    }
}

/// Parses `WxH`.
pub fn parse_mode(mode: Option<&str>) -> Option<(u32, u32)> {
    let (w, h) = mode?.split_once('x')?;
    Some((w.parse().ok()?, h.parse().ok()?))
}

struct SimCamera {
    width: u32,
    height: u32,
    brightness: i64,
    tick: u32,
    faults: Faults,
    /// The board's scene, or why it cannot be shown.
    scene: Option<std::result::Result<scene::Scene, String>>,
}

impl SimCamera {
    fn scene_error(e: &str) -> DeviceError {
        DeviceError::new("sim camera", ErrorKind::Unsupported, e.to_owned())
    }
}

impl Camera for SimCamera {
    fn name(&self) -> String {
        "simulated camera".into()
    }
    fn formats(&mut self) -> Result<Vec<String>> {
        Ok(vec![format!("RGB3 {}x{}@30", self.width, self.height)])
    }
    fn control(&mut self, name: &str) -> Result<i64> {
        match name {
            "brightness" => Ok(self.brightness),
            _ => Err(DeviceError::new(
                "sim camera",
                ErrorKind::Unsupported,
                format!("no control `{name}`"),
            )),
        }
    }
    fn set_control(&mut self, name: &str, value: i64) -> Result<i64> {
        self.control(name)?;
        self.brightness = value.clamp(0, 255);
        Ok(self.brightness)
    }
    fn present(&mut self) -> Result<()> {
        if self
            .faults
            .lock()
            .map(|f| f.camera_unplugged)
            .unwrap_or(false)
        {
            return Err(DeviceError::new(
                "sim camera",
                ErrorKind::Removed,
                "camera unplugged",
            ));
        }
        match &self.scene {
            Some(Err(e)) => Err(Self::scene_error(e)),
            _ => Ok(()),
        }
    }
    fn still(&mut self, _grant: &dyn Permit) -> Result<Frame> {
        self.present()?;
        self.tick += 1;
        match &self.scene {
            Some(Ok(scene)) => scene
                .now(self.width, self.height)
                .map_err(|e| Self::scene_error(&e)),
            _ => Ok(pattern::test_card(self.width, self.height, self.tick)),
        }
    }
    fn source(&self) -> Source {
        match &self.scene {
            Some(Ok(scene)) => Source::Scene {
                pattern: scene.pattern.clone(),
                count: scene.len(),
            },
            _ => Source::Test {
                pattern: "smpte".into(),
            },
        }
    }
}

struct SimMicrophone {
    rate: u32,
    volume: u8,
}

impl Microphone for SimMicrophone {
    fn name(&self) -> String {
        "simulated microphone".into()
    }
    fn present(&mut self) -> Result<()> {
        Ok(())
    }
    fn level(&mut self, _grant: &dyn Permit, ms: u32) -> Result<Level> {
        let n = (self.rate as u64 * ms as u64 / 1000).max(1) as usize;
        let samples: Vec<i16> = (0..n)
            .map(|i| {
                ((i as f32 * 440.0 * std::f32::consts::TAU / self.rate as f32).sin() * 8000.0)
                    as i16
            })
            .collect();
        Ok(crate::devices::level::measure(&samples))
    }
    fn set_capture_volume(&mut self, percent: u8) -> Result<Option<u8>> {
        self.volume = percent.min(100);
        Ok(Some(self.volume))
    }
    fn source(&self) -> Source {
        Source::Test {
            pattern: "sine".into(),
        }
    }
}

struct SimDisplay {
    fb: Frame,
}

impl Display for SimDisplay {
    fn name(&self) -> String {
        format!("simulated display {}x{}", self.fb.width, self.fb.height)
    }
    fn modes(&mut self) -> Result<Vec<String>> {
        Ok(vec![format!("{}x{}", self.fb.width, self.fb.height)])
    }
    fn set_mode(&mut self) -> Result<(u32, u32)> {
        self.fb.rgb.fill(0);
        Ok((self.fb.width, self.fb.height))
    }
    fn show(&mut self, frame: &Frame) -> Result<()> {
        if (frame.width, frame.height) != (self.fb.width, self.fb.height) {
            return Err(DeviceError::new(
                "sim display",
                ErrorKind::Unsupported,
                "frame size differs from the mode",
            ));
        }
        self.fb.rgb.copy_from_slice(&frame.rgb);
        Ok(())
    }
    fn grab(&mut self, _grant: &dyn Permit) -> Result<Frame> {
        Ok(self.fb.clone())
    }
}

/// The LED's state lives in the shared [`FaultState`] (tests read it there).
struct SimIndicator {
    faults: Faults,
}

impl Indicator for SimIndicator {
    fn name(&self) -> String {
        let led = self.faults.lock().map(|f| f.led).unwrap_or(false);
        format!("simulated LED ({})", if led { "on" } else { "off" })
    }
    fn set_recording(&mut self, on: bool) -> Result<()> {
        if let Ok(mut f) = self.faults.lock() {
            f.led = on;
        }
        Ok(())
    }
    fn poll(&mut self) -> Result<Vec<Signal>> {
        Ok(self
            .faults
            .lock()
            .map(|mut f| std::mem::take(&mut f.signals))
            .unwrap_or_default())
    }
    fn case_open(&mut self) -> Result<bool> {
        Ok(self.faults.lock().map(|f| f.case_open).unwrap_or(false))
    }
}

struct SimInput {
    grabbed: bool,
}

impl Input for SimInput {
    fn devices(&mut self) -> Result<Vec<InputDevice>> {
        Ok(vec![InputDevice {
            node: "sim:keyboard".into(),
            name: "simulated keyboard".into(),
            keyboard: true,
            pointer: false,
        }])
    }
    fn changes(&mut self) -> Result<Vec<Hotplug>> {
        Ok(Vec::new())
    }
    fn grab(&mut self) -> Result<()> {
        self.grabbed = true;
        Ok(())
    }
    fn pump_filtered(
        &mut self,
        timeout_ms: u32,
        _keep: &mut dyn FnMut(&InputEvent) -> bool,
    ) -> Result<Vec<InputEvent>> {
        if !self.grabbed {
            return Err(DeviceError::new(
                "sim input",
                ErrorKind::Other,
                "not grabbed",
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(timeout_ms.min(50).into()));
        Ok(Vec::new())
    }
    fn release(&mut self) -> Result<()> {
        self.grabbed = false;
        Ok(())
    }
    fn press(&mut self, _code: u16) -> Result<()> {
        if self.grabbed {
            Ok(())
        } else {
            Err(DeviceError::new(
                "sim input",
                ErrorKind::Other,
                "not grabbed",
            ))
        }
    }
}
