//! The self-test: each device is exercised once and reported pass/fail with the reason.

use serde::Serialize;

use board_config::Encoders;

use crate::devices::Devices;
use crate::session::Capture;

/// The outcome for one device.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Device family.
    pub device: &'static str,
    /// Passed?
    pub passed: bool,
    /// What was measured, or why it failed.
    pub detail: String,
}

impl Check {
    /// The check as the health report keeps it.
    pub fn record(&self) -> bundle::health::DeviceCheck {
        bundle::health::DeviceCheck {
            device: self.device.to_string(),
            passed: self.passed,
            detail: self.detail.clone(),
        }
    }
}

/// Exercises every device under a self-test grant, and checks that the GStreamer elements
/// the board's `encoders` need are installed. Nothing captured is kept.
pub fn run(devices: &mut Devices, encoders: &Encoders, grant: &Capture<'_>) -> Vec<Check> {
    let mut out = Vec::new();
    let mut check = |device, r: Result<String, String>| {
        let (passed, detail) = match r {
            Ok(d) => (true, d),
            Err(d) => (false, d),
        };
        out.push(Check {
            device,
            passed,
            detail,
        });
    };
    check(
        "camera",
        devices
            .camera
            .still(grant)
            .map(|f| format!("{}: frame {}x{}", devices.camera.name(), f.width, f.height))
            .map_err(|e| e.to_string()),
    );
    check(
        "microphone",
        devices
            .microphone
            .level(grant, 1000)
            .map(|l| {
                format!(
                    "{}: rms {:.1} dBFS, peak {:.1} dBFS, {} clipped",
                    devices.microphone.name(),
                    l.rms_db,
                    l.peak_db,
                    l.clipped
                )
            })
            .map_err(|e| e.to_string()),
    );
    check(
        "display",
        devices
            .display
            .set_mode()
            .map(|(w, h)| format!("{}: mode {w}x{h} set", devices.display.name()))
            .map_err(|e| e.to_string()),
    );
    check(
        "input",
        devices
            .input
            .devices()
            .map_err(|e| e.to_string())
            .and_then(|d| {
                if d.iter().any(|d| d.keyboard) {
                    Ok(format!(
                        "{} device(s): {}",
                        d.len(),
                        d.iter()
                            .map(|d| d.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                } else {
                    Err("no keyboard found".into())
                }
            }),
    );
    let missing = crate::record::pipeline::missing_elements(encoders);
    check(
        "recorder",
        if missing.is_empty() {
            Ok(format!(
                "GStreamer elements for {:?} video and opus audio present",
                encoders.video
            ))
        } else {
            Err(format!(
                "missing GStreamer elements: {}",
                missing.join(", ")
            ))
        },
    );
    check(
        "indicator",
        crate::devices::indicator_state(devices.indicator.as_mut()).map_err(|e| e.to_string()),
    );
    out
}
