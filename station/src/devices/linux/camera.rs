//! The camera through V4L2 (crate v4l): find the node, negotiate the format, controls, stills.

use std::path::{Path, PathBuf};
use std::time::Duration;

use v4l::buffer::Type;
use v4l::capability::Flags;
use v4l::control::{Control, Value};
use v4l::frameinterval::FrameIntervalEnum;
use v4l::framesize::FrameSizeEnum;
use v4l::io::traits::CaptureStream;
use v4l::prelude::{Device, MmapStream};
use v4l::video::capture::Parameters;
use v4l::video::Capture as _;
use v4l::FourCC;

use crate::devices::convert;
use crate::devices::{Camera, DeviceError, ErrorKind, Frame, Permit, Result, Source};

/// Group that grants access to /dev/video*.
const GROUP: &str = "video";

/// A V4L2 capture node found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// /dev/videoN.
    pub path: PathBuf,
    /// Driver name (e.g. `vivid`, `uvcvideo`).
    pub driver: String,
    /// Card name.
    pub card: String,
}

/// Lists the video capture nodes (nodes that cannot be opened are skipped).
pub fn enumerate() -> Vec<Node> {
    let mut nodes: Vec<Node> = v4l::context::enum_devices()
        .into_iter()
        .filter_map(|n| {
            let dev = Device::with_path(n.path()).ok()?;
            let caps = dev.query_caps().ok()?;
            caps.capabilities
                .contains(Flags::VIDEO_CAPTURE)
                .then(|| Node {
                    path: n.path().to_path_buf(),
                    driver: caps.driver,
                    card: caps.card,
                })
        })
        .collect();
    nodes.sort_by(|a, b| a.path.cmp(&b.path));
    nodes
}

/// Finds the board's camera: its fixed node, or the first capture node matching driver/card.
fn resolve(cfg: &board_config::Camera) -> Result<PathBuf> {
    if let Some(dev) = &cfg.device {
        return Ok(PathBuf::from(dev));
    }
    let (driver, card) = cfg
        .r#match
        .as_ref()
        .map(|m| (m.driver.clone(), m.card.clone()))
        .unwrap_or_default();
    let want = format!(
        "camera (driver {}, card {})",
        driver.as_deref().unwrap_or("any"),
        card.as_deref().unwrap_or("any")
    );
    let mut seen = Vec::new();
    for n in v4l::context::enum_devices() {
        let path = n.path().display().to_string();
        let dev = match Device::with_path(n.path()) {
            Ok(d) => d,
            Err(e) => {
                // An unreadable node may be the camera: say why it could not be checked.
                let err = DeviceError::from_io(&path, &e, GROUP);
                if err.kind == ErrorKind::PermissionDenied {
                    return Err(err);
                }
                seen.push(format!("{path} ({e})"));
                continue;
            }
        };
        let Ok(caps) = dev.query_caps() else { continue };
        let ok = caps.capabilities.contains(Flags::VIDEO_CAPTURE)
            && driver.as_ref().is_none_or(|d| caps.driver == *d)
            && card.as_ref().is_none_or(|c| caps.card.contains(c.as_str()));
        if ok {
            return Ok(n.path().to_path_buf());
        }
        seen.push(format!(
            "{path} (driver {}, card {})",
            caps.driver, caps.card
        ));
    }
    Err(DeviceError::new(
        want,
        ErrorKind::NotFound,
        if seen.is_empty() {
            "no /dev/video* node on this machine (is the camera plugged in and its driver loaded?)"
                .to_string()
        } else {
            format!("no matching capture node; seen: {}", seen.join(", "))
        },
    ))
}

/// Maps a control name to its V4L2 id (the user controls the station adjusts).
pub fn control_id(name: &str) -> Option<u32> {
    use v4l::v4l_sys::*;
    Some(match name {
        "brightness" => V4L2_CID_BRIGHTNESS,
        "contrast" => V4L2_CID_CONTRAST,
        "saturation" => V4L2_CID_SATURATION,
        "hue" => V4L2_CID_HUE,
        "gain" => V4L2_CID_GAIN,
        "exposure" => V4L2_CID_EXPOSURE_ABSOLUTE,
        "auto_exposure" => V4L2_CID_EXPOSURE_AUTO,
        _ => return None,
    })
}

/// A V4L2 camera with its negotiated format.
pub struct LinuxCamera {
    path: PathBuf,
    card: String,
    dev: Device,
    format: v4l::Format,
    fps: u32,
}

impl LinuxCamera {
    /// Opens the board's camera and negotiates its configured format, size and rate.
    pub fn open(cfg: &board_config::Camera) -> Result<LinuxCamera> {
        let path = resolve(cfg)?;
        let name = path.display().to_string();
        let io = |e: std::io::Error| DeviceError::from_io(&name, &e, GROUP);
        let dev = Device::with_path(&path).map_err(io)?;
        let card = dev.query_caps().map_err(io)?.card;
        let fourcc = FourCC::new(&fourcc_bytes(&cfg.format).ok_or_else(|| {
            DeviceError::new(&name, ErrorKind::Unsupported, "format must be 4 characters")
        })?);
        let mut fmt = dev.format().map_err(io)?;
        (fmt.fourcc, fmt.width, fmt.height) = (fourcc, cfg.width, cfg.height);
        let format = dev.set_format(&fmt).map_err(io)?;
        if format.fourcc != fourcc {
            return Err(DeviceError::new(
                &name,
                ErrorKind::Unsupported,
                format!(
                    "{card} cannot capture {}, it offers {}",
                    cfg.format, format.fourcc
                ),
            ));
        }
        let params = dev
            .set_params(&Parameters::with_fps(cfg.framerate))
            .map_err(io)?;
        let fps = params.interval.denominator / params.interval.numerator.max(1);
        Ok(LinuxCamera {
            path,
            card,
            dev,
            format,
            fps,
        })
    }

    fn err(&self, e: std::io::Error) -> DeviceError {
        let mut err = DeviceError::from_io(&self.path.display().to_string(), &e, GROUP);
        if err.kind == ErrorKind::Removed {
            err.detail = format!("the camera went away (unplugged?): {}", err.detail);
        }
        err
    }

    /// Frame rates offered for a format and size (`fps` values, highest first).
    fn rates(&self, fourcc: FourCC, w: u32, h: u32) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .dev
            .enum_frameintervals(fourcc, w, h)
            .unwrap_or_default()
            .into_iter()
            .map(|i| match i.interval {
                FrameIntervalEnum::Discrete(f) => f.denominator / f.numerator.max(1),
                FrameIntervalEnum::Stepwise(s) => s.min.denominator / s.min.numerator.max(1),
            })
            .collect();
        out.sort_unstable_by(|a, b| b.cmp(a));
        out.dedup();
        out
    }
}

fn fourcc_bytes(s: &str) -> Option<[u8; 4]> {
    s.as_bytes().try_into().ok()
}

impl Camera for LinuxCamera {
    fn name(&self) -> String {
        format!("{} ({})", self.card, self.path.display())
    }

    fn formats(&mut self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for f in self.dev.enum_formats().map_err(|e| self.err(e))? {
            for size in self.dev.enum_framesizes(f.fourcc).unwrap_or_default() {
                let sizes: Vec<(u32, u32)> = match size.size {
                    FrameSizeEnum::Discrete(d) => vec![(d.width, d.height)],
                    FrameSizeEnum::Stepwise(s) => vec![(s.max_width, s.max_height)],
                };
                for (w, h) in sizes {
                    let rates = self.rates(f.fourcc, w, h);
                    let fps = rates.first().copied().unwrap_or(0);
                    out.push(format!("{} {w}x{h}@{fps}", f.fourcc));
                }
            }
        }
        Ok(out)
    }

    fn control(&mut self, name: &str) -> Result<i64> {
        let id = control_id(name).ok_or_else(|| unknown_control(&self.path, name))?;
        match self.dev.control(id).map_err(|e| self.err(e))?.value {
            Value::Integer(v) => Ok(v),
            Value::Boolean(b) => Ok(b.into()),
            other => Err(DeviceError::new(
                self.path.display().to_string(),
                ErrorKind::Unsupported,
                format!("control `{name}` has a non-integer value {other:?}"),
            )),
        }
    }

    fn set_control(&mut self, name: &str, value: i64) -> Result<i64> {
        let id = control_id(name).ok_or_else(|| unknown_control(&self.path, name))?;
        self.dev
            .set_control(Control {
                id,
                value: Value::Integer(value),
            })
            .map_err(|e| self.err(e))?;
        self.control(name)
    }

    fn present(&mut self) -> Result<()> {
        if !self.path.exists() {
            return Err(DeviceError::new(
                self.path.display().to_string(),
                ErrorKind::Removed,
                "the camera node went away (unplugged?)",
            ));
        }
        self.dev.query_caps().map(|_| ()).map_err(|e| self.err(e))
    }

    fn still(&mut self, _grant: &dyn Permit) -> Result<Frame> {
        self.present()?;
        let mut stream =
            MmapStream::with_buffers(&self.dev, Type::VideoCapture, 2).map_err(|e| self.err(e))?;
        stream.set_timeout(Duration::from_secs(5));
        // The first frame after stream start may be incomplete on some cameras: keep the second.
        let mut data = Vec::new();
        for _ in 0..2 {
            let (buf, meta) = stream.next().map_err(|e| self.err(e))?;
            data.clear();
            data.extend_from_slice(&buf[..(meta.bytesused as usize).min(buf.len())]);
        }
        drop(stream);
        let f = &self.format;
        let name = self.path.display().to_string();
        match &f.fourcc.repr {
            b"YUYV" => convert::yuyv_to_rgb(&data, f.width, f.height, f.stride)
                .ok_or_else(|| DeviceError::new(&name, ErrorKind::Other, "short YUYV frame")),
            b"MJPG" | b"JPEG" => convert::jpeg_to_rgb(&data)
                .map_err(|e| DeviceError::new(&name, ErrorKind::Other, e)),
            b"RGB3" if data.len() >= (f.width * f.height * 3) as usize => Ok(Frame {
                width: f.width,
                height: f.height,
                rgb: data[..(f.width * f.height * 3) as usize].to_vec(),
            }),
            _ => Err(DeviceError::new(
                name,
                ErrorKind::Unsupported,
                format!("stills from {} frames are not supported", f.fourcc),
            )),
        }
    }

    fn source(&self) -> Source {
        Source::V4l2 {
            device: self.path.display().to_string(),
            format: self.format.fourcc.to_string(),
            width: self.format.width,
            height: self.format.height,
            framerate: self.fps,
        }
    }
}

fn unknown_control(path: &Path, name: &str) -> DeviceError {
    DeviceError::new(
        path.display().to_string(),
        ErrorKind::Unsupported,
        format!(
            "unknown control `{name}` (known: brightness, contrast, saturation, hue, gain, \
             exposure, auto_exposure)"
        ),
    )
}
