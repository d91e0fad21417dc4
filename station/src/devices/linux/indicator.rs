//! The recording LED, proctor call button and tamper switch on a GPIO chip (crate gpiocdev,
//! the kernel's GPIO character device uAPI v2), and a no-op indicator for boards without GPIO.
//!
//! gpiocdev is used rather than rppal (retired upstream in 2025): it works on any Linux GPIO chip,
//! including the Raspberry Pi 5's RP1, and keeps the backend behind the [`Indicator`] trait.
//!
//! The board file names the chip by its device node (`/dev/gpiochip4`) or by its label (what
//! `gpiodetect` shows in brackets, e.g. `pinctrl-rp1`): a mainline kernel numbers the chips in
//! probe order, the label stays.

use std::time::Duration;

use std::path::PathBuf;

use gpiocdev::line::{Bias, EdgeDetection, EdgeKind, Value};
use gpiocdev::Request;

use crate::devices::{DeviceError, ErrorKind, Indicator, Result, Signal};

/// Group that grants access to /dev/gpiochip*.
const GROUP: &str = "gpio";

/// GPIO lines of the board, requested for the station's lifetime.
pub struct GpioIndicator {
    cfg: board_config::Gpio,
    /// The chip's device node.
    node: PathBuf,
    req: Request,
}

/// The device node of the chip the board file names: a path as it is, a label looked up
/// among `/dev/gpiochip*`.
fn chip_node(chip: &str) -> Result<PathBuf> {
    if chip.starts_with('/') {
        return Ok(PathBuf::from(chip));
    }
    let nodes = gpiocdev::chip::chips().map_err(|e| {
        DeviceError::new(
            chip,
            ErrorKind::NotFound,
            format!("listing GPIO chips: {e}"),
        )
    })?;
    let mut seen = Vec::new();
    for node in nodes {
        let label = gpiocdev::chip::Chip::from_path(&node)
            .and_then(|c| c.info())
            .map(|i| i.label)
            .unwrap_or_default();
        if label == chip {
            return Ok(node);
        }
        seen.push(format!("{} [{label}]", node.display()));
    }
    Err(DeviceError::new(
        chip,
        ErrorKind::NotFound,
        format!(
            "no GPIO chip labelled {chip:?} (have: {})",
            if seen.is_empty() {
                "none".to_string()
            } else {
                seen.join(", ")
            }
        ),
    ))
}

impl GpioIndicator {
    /// Requests the LED as an output (off) and the button and switch as inputs with edge events.
    pub fn open(cfg: &board_config::Gpio) -> Result<GpioIndicator> {
        let node = chip_node(&cfg.chip)?;
        let shown = node.display().to_string();
        // Opening the chip first gives a precise error (missing node, group) before the request.
        std::fs::File::open(&node).map_err(|e| DeviceError::from_io(&shown, &e, GROUP))?;
        let mut b = Request::builder();
        b.on_chip(&node).with_consumer("exam-station");
        b.with_line(cfg.recording_led.into())
            .as_output(Value::Inactive);
        for pin in [cfg.call_button, cfg.tamper_switch] {
            b.with_line(pin.into())
                .as_input()
                .with_edge_detection(EdgeDetection::BothEdges);
            b.with_debounce_period(Duration::from_millis(20));
            if cfg.active_low_inputs {
                b.as_active_low().with_bias(Bias::PullUp);
            }
        }
        let req = b.request().map_err(|e| {
            DeviceError::new(&shown, ErrorKind::Busy, format!("requesting lines: {e}"))
        })?;
        Ok(GpioIndicator {
            cfg: cfg.clone(),
            node,
            req,
        })
    }

    fn error(&self, e: gpiocdev::Error) -> DeviceError {
        DeviceError::new(
            self.node.display().to_string(),
            ErrorKind::Removed,
            e.to_string(),
        )
    }
}

impl Indicator for GpioIndicator {
    fn name(&self) -> String {
        let label = if self.cfg.chip.starts_with('/') {
            String::new()
        } else {
            format!(" [{}]", self.cfg.chip)
        };
        format!(
            "{}{label} (LED {}, call button {}, tamper {})",
            self.node.display(),
            self.cfg.recording_led,
            self.cfg.call_button,
            self.cfg.tamper_switch
        )
    }

    fn set_recording(&mut self, on: bool) -> Result<()> {
        let v = if on { Value::Active } else { Value::Inactive };
        self.req
            .set_value(self.cfg.recording_led.into(), v)
            .map_err(|e| self.error(e))
    }

    fn poll(&mut self) -> Result<Vec<Signal>> {
        let err = |e: gpiocdev::Error| self.error(e);
        let mut out = Vec::new();
        while self.req.has_edge_event().map_err(err)? {
            let ev = self.req.read_edge_event().map_err(err)?;
            if ev.kind != EdgeKind::Rising {
                continue;
            }
            if ev.offset == u32::from(self.cfg.call_button) {
                out.push(Signal::CallButton);
            } else if ev.offset == u32::from(self.cfg.tamper_switch) {
                out.push(Signal::Tamper);
            }
        }
        Ok(out)
    }

    fn case_open(&mut self) -> Result<bool> {
        self.req
            .value(self.cfg.tamper_switch.into())
            .map(|v| v == Value::Active)
            .map_err(|e| self.error(e))
    }
}

/// The indicator of a board without GPIO: nothing to light, nothing to press.
pub struct NoIndicator;

impl Indicator for NoIndicator {
    fn name(&self) -> String {
        "none (the board has no [gpio])".into()
    }
    fn set_recording(&mut self, _on: bool) -> Result<()> {
        Ok(())
    }
    fn poll(&mut self) -> Result<Vec<Signal>> {
        Ok(Vec::new())
    }
    fn case_open(&mut self) -> Result<bool> {
        Ok(false)
    }
}
