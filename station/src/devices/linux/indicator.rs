//! The recording LED, proctor call button and tamper switch on a GPIO chip (crate gpiocdev,
//! the kernel's GPIO character device uAPI v2), and a no-op indicator for boards without GPIO.
//!
//! gpiocdev is used rather than rppal (retired upstream in 2025): it works on any Linux GPIO chip,
//! including the Raspberry Pi 5's RP1, and keeps the backend behind the [`Indicator`] trait.

use std::time::Duration;

use gpiocdev::line::{Bias, EdgeDetection, EdgeKind, Value};
use gpiocdev::Request;

use crate::devices::{DeviceError, ErrorKind, Indicator, Result, Signal};

/// Group that grants access to /dev/gpiochip*.
const GROUP: &str = "gpio";

/// GPIO lines of the board, requested for the station's lifetime.
pub struct GpioIndicator {
    cfg: board_config::Gpio,
    req: Request,
}

impl GpioIndicator {
    /// Requests the LED as an output (off) and the button and switch as inputs with edge events.
    pub fn open(cfg: &board_config::Gpio) -> Result<GpioIndicator> {
        // Opening the chip first gives a precise error (missing node, group) before the request.
        std::fs::File::open(&cfg.chip).map_err(|e| DeviceError::from_io(&cfg.chip, &e, GROUP))?;
        let mut b = Request::builder();
        b.on_chip(&cfg.chip).with_consumer("exam-station");
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
            DeviceError::new(&cfg.chip, ErrorKind::Busy, format!("requesting lines: {e}"))
        })?;
        Ok(GpioIndicator {
            cfg: cfg.clone(),
            req,
        })
    }
}

impl Indicator for GpioIndicator {
    fn name(&self) -> String {
        format!(
            "{} (LED {}, call button {}, tamper {})",
            self.cfg.chip, self.cfg.recording_led, self.cfg.call_button, self.cfg.tamper_switch
        )
    }

    fn set_recording(&mut self, on: bool) -> Result<()> {
        let v = if on { Value::Active } else { Value::Inactive };
        self.req
            .set_value(self.cfg.recording_led.into(), v)
            .map_err(|e| DeviceError::new(&self.cfg.chip, ErrorKind::Removed, e.to_string()))
    }

    fn poll(&mut self) -> Result<Vec<Signal>> {
        let err = |e: gpiocdev::Error| {
            DeviceError::new(&self.cfg.chip, ErrorKind::Removed, e.to_string())
        };
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
}
