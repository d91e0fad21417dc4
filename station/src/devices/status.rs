//! What each device of the board resolves to on this machine (`stationctl devices`).

use serde::Serialize;

use super::{Devices, Indicator, Source};

/// One device family's resolution.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Device family.
    pub family: &'static str,
    /// Found and answering?
    pub ok: bool,
    /// The device (node, ALSA name, connector...), or what was looked for.
    pub device: String,
    /// What was found, or why it is missing and what to do.
    pub detail: String,
}

fn describe(s: &Source) -> String {
    match s {
        Source::V4l2 {
            device,
            format,
            width,
            height,
            framerate,
        } => format!("records {device} {format} {width}x{height}@{framerate}"),
        Source::Alsa {
            device,
            channels,
            rate,
        } => format!("records {device} {channels} ch {rate} Hz"),
        Source::Test { pattern } => format!("test source {pattern}"),
        Source::Pushed => "frames pushed by the station".into(),
        Source::Scene { pattern, count } => format!("scene {pattern} ({count} s)"),
    }
}

/// Checks every device cheaply (nothing is captured).
pub fn status(d: &mut Devices) -> Vec<Status> {
    let mut out = Vec::new();
    let mut push = |family, device: String, r: Result<String, super::DeviceError>| {
        let (ok, device, detail) = match r {
            Ok(detail) => (true, device, detail),
            Err(e) => (
                false,
                e.device.clone(),
                format!("{:?}: {}", e.kind, e.detail),
            ),
        };
        out.push(Status {
            family,
            ok,
            device,
            detail,
        });
    };
    let cam = d.camera.present().and_then(|_| {
        let n = d.camera.formats()?.len();
        Ok(format!("{}; {n} formats", describe(&d.camera.source())))
    });
    push("camera", d.camera.name(), cam);
    let mic = d
        .microphone
        .present()
        .map(|_| describe(&d.microphone.source()));
    push("microphone", d.microphone.name(), mic);
    let modes = d.display.modes().map(|m| format!("{} modes", m.len()));
    push("display", d.display.name(), modes);
    let input = d.input.devices().and_then(|list| {
        if !list.iter().any(|i| i.keyboard) {
            return Err(super::DeviceError::new(
                "input",
                super::ErrorKind::NotFound,
                format!(
                    "no keyboard among the selected devices ({})",
                    if list.is_empty() {
                        "none".to_string()
                    } else {
                        list.iter()
                            .map(|i| i.name.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            ));
        }
        Ok(list
            .iter()
            .map(|i| format!("{} ({})", i.name, i.node))
            .collect::<Vec<_>>()
            .join(", "))
    });
    push("input", "keyboards and pointers".into(), input);
    let ind = d.indicator.name();
    push("indicator", ind, indicator_state(d.indicator.as_mut()));
    out
}

/// The indicator's lines as the self-test leaves them: the LED switched off (the request
/// holds every line, so a missing or busy line has already failed) and the tamper switch read.
pub fn indicator_state(i: &mut dyn Indicator) -> super::Result<String> {
    i.set_recording(false)?;
    Ok(if i.case_open()? {
        "LED off, CASE OPEN (tamper switch)".into()
    } else {
        "LED off, case closed".into()
    })
}
