//! Linux device backends: V4L2 camera, ALSA microphone, DRM display, evdev/uinput input and a
//! GPIO indicator, each behind its trait in [`crate::devices`].
//!
//! [`open`] never fails because a device is missing: a missing or unusable device is replaced by
//! an [`Absent`] one that reports the same error on every call, so the self-test and
//! `stationctl devices` can say what is missing while everything else keeps working.

mod absent;
pub mod absolute;
pub mod camera;
mod dirwatch;
pub mod display;
pub mod indicator;
pub mod input;
pub mod mapped;
pub mod microphone;
pub mod own;
pub mod wayland;

pub use absent::Absent;

use super::{Camera, Devices, Display, Indicator, Input, Microphone};

/// Opens the devices `board` describes on this machine.
pub fn open(board: &board_config::Board) -> Devices {
    fn or_absent<D: ?Sized>(r: super::Result<Box<D>>) -> Box<D>
    where
        Absent: Into<Box<D>>,
    {
        r.unwrap_or_else(|e| Absent(e).into())
    }
    let camera: Box<dyn Camera> =
        or_absent(camera::LinuxCamera::open(&board.camera).map(|d| Box::new(d) as _));
    let microphone: Box<dyn Microphone> =
        or_absent(microphone::LinuxMicrophone::open(&board.microphone).map(|d| Box::new(d) as _));
    let display: Box<dyn Display> =
        or_absent(display::LinuxDisplay::open(&board.display).map(|d| Box::new(d) as _));
    let input: Box<dyn Input> =
        or_absent(input::LinuxInput::open(&board.input).map(|d| Box::new(d) as _));
    let indicator: Box<dyn Indicator> = match &board.gpio {
        None => Box::new(indicator::NoIndicator),
        Some(g) => or_absent(indicator::GpioIndicator::open(g).map(|d| Box::new(d) as _)),
    };
    Devices {
        camera,
        microphone,
        display,
        indicator,
        input,
    }
}
