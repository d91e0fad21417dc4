//! The display through DRM/KMS (crate drm): connector and mode, dumb-buffer scan-out, and
//! framebuffer read-back for screen recording.
//!
//! The station draws its own screens (check-in, identity, status) into a dumb buffer it scans
//! out, as DRM master. For screen recording it reads back the framebuffer the CRTC scans out
//! (`DRM_IOCTL_MODE_GETFB`). During the exam it drops DRM master for the kiosk compositor
//! ([`Display::hand_over`]); the kernel then withholds the scanout buffer from it (only a master
//! or CAP_SYS_ADMIN may map it), so the recording reads the kiosk's screen through
//! wlr-screencopy ([`crate::devices::linux::wayland::screencopy`]), scaled to the station's mode so the stream
//! keeps its size, and keeps the station's recording badge over the kiosk's screen
//! ([`crate::devices::linux::wayland::badge`]) until it takes the screen back. GStreamer 1.22 has no DRM source,
//! so the recorder pushes these frames through appsrc.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;

use drm::buffer::DrmFourcc;
use drm::control::dumbbuffer::DumbBuffer;
use drm::control::{connector, crtc, framebuffer, Device as _, Mode};
use drm::Device as _;

use crate::devices::convert::{fit, xrgb_to_rgb};
use crate::devices::linux::mapped;
use crate::devices::linux::wayland::badge::Badge;
use crate::devices::{DeviceError, Display, ErrorKind, Frame, Permit, Result};

/// Group that grants access to /dev/dri/card*.
const GROUP: &str = "video";

struct Card(File);

impl AsFd for Card {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}
impl drm::Device for Card {}
impl drm::control::Device for Card {}

/// A connector's name as the kernel prints it, e.g. `Virtual-1`, `HDMI-A-1`.
fn connector_name(info: &connector::Info) -> String {
    format!("{}-{}", info.interface().as_str(), info.interface_id())
}

/// `WxH` of a mode.
fn mode_size(m: &Mode) -> (u32, u32) {
    let (w, h) = m.size();
    (w.into(), h.into())
}

/// A DRM display: one connector driven by one CRTC.
pub struct LinuxDisplay {
    path: PathBuf,
    card: Card,
    connector: connector::Handle,
    connector_name: String,
    crtc: crtc::Handle,
    mode: Mode,
    scanout: Option<(DumbBuffer, framebuffer::Handle)>,
    /// The station's last screen (shown again after the exam).
    last: Option<Frame>,
    /// The kiosk compositor's Wayland socket while the kiosk holds the screen.
    kiosk: Option<PathBuf>,
    /// The recording badge kept over the kiosk's screen meanwhile.
    badge: Option<Badge>,
    /// What the last grab found of the kiosk ([`Display::kiosk_seen`]).
    kiosk_seen: std::cell::Cell<Option<bool>>,
}

impl LinuxDisplay {
    /// Opens the board's card, picks its connector (`auto`: the first connected one) and mode.
    pub fn open(cfg: &board_config::Display) -> Result<LinuxDisplay> {
        let path = PathBuf::from(&cfg.card);
        let name = cfg.card.clone();
        let io = |e: std::io::Error| DeviceError::from_io(&name, &e, GROUP);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| {
                let mut err = io(e);
                if err.kind == ErrorKind::NotFound {
                    err.detail = "no such DRM card (is the display driver loaded? \
                                  `ls /sys/class/drm` lists the cards)"
                        .into();
                }
                err
            })?;
        let card = Card(file);
        let res = card.resource_handles().map_err(io)?;
        let mut seen = Vec::new();
        let mut chosen = None;
        for &h in res.connectors() {
            let info = card.get_connector(h, true).map_err(io)?;
            let cname = connector_name(&info);
            let connected = info.state() == connector::State::Connected;
            let wanted = if cfg.connector == "auto" {
                connected
            } else {
                cfg.connector == cname
            };
            seen.push(format!("{cname} ({:?})", info.state()));
            if wanted && chosen.is_none() {
                chosen = Some((info, cname));
            }
        }
        let (info, cname) = chosen.ok_or_else(|| {
            DeviceError::new(
                format!("{name} connector {}", cfg.connector),
                ErrorKind::NotFound,
                format!(
                    "no such connected connector; connectors: {}",
                    seen.join(", ")
                ),
            )
        })?;
        let want = cfg
            .mode
            .as_deref()
            .and_then(|m| crate::devices::sim::parse_mode(Some(m)));
        let mode = info
            .modes()
            .iter()
            .find(|m| want.is_none_or(|w| mode_size(m) == w))
            .copied()
            .ok_or_else(|| {
                DeviceError::new(
                    format!("{name} {cname}"),
                    ErrorKind::Unsupported,
                    format!(
                        "mode {} not offered; modes: {}",
                        cfg.mode.as_deref().unwrap_or("any"),
                        info.modes()
                            .iter()
                            .map(|m| format!("{}x{}", m.size().0, m.size().1))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        let crtc = pick_crtc(&card, &res, &info).ok_or_else(|| {
            DeviceError::new(
                format!("{name} {cname}"),
                ErrorKind::Unsupported,
                "no CRTC can drive this connector",
            )
        })?;
        Ok(LinuxDisplay {
            path,
            card,
            connector: info.handle(),
            connector_name: cname,
            crtc,
            mode,
            scanout: None,
            last: None,
            kiosk: None,
            badge: None,
            kiosk_seen: std::cell::Cell::new(None),
        })
    }

    fn err(&self, e: std::io::Error) -> DeviceError {
        DeviceError::from_io(
            &format!("{} {}", self.path.display(), self.connector_name),
            &e,
            GROUP,
        )
    }

    /// Creates the scan-out buffer on first use.
    fn ensure_scanout(&mut self) -> Result<()> {
        if self.scanout.is_some() {
            return Ok(());
        }
        let size = mode_size(&self.mode);
        let db = self
            .card
            .create_dumb_buffer(size, DrmFourcc::Xrgb8888, 32)
            .map_err(|e| self.err(e))?;
        let fb = self
            .card
            .add_framebuffer(&db, 24, 32)
            .map_err(|e| self.err(e))?;
        self.scanout = Some((db, fb));
        Ok(())
    }

    /// Writes `frame` into the scan-out buffer as XRGB8888.
    fn write(&mut self, frame: &Frame) -> Result<()> {
        let Some((db, fb)) = self.scanout.as_mut() else {
            return Ok(());
        };
        let fb = *fb;
        let pitch = drm::buffer::Buffer::pitch(db) as usize;
        let mut map = self
            .card
            .map_dumb_buffer(db)
            .map_err(|e| DeviceError::from_io(&self.path.display().to_string(), &e, GROUP))?;
        let w = frame.width as usize;
        for (y, row) in frame.rgb.chunks_exact(w * 3).enumerate() {
            let line = &mut map[y * pitch..][..w * 4];
            for (px, rgb) in line.chunks_exact_mut(4).zip(row.chunks_exact(3)) {
                px.copy_from_slice(&[rgb[2], rgb[1], rgb[0], 0xff]);
            }
        }
        drop(map);
        // virtio-gpu, USB displays and other shadow-buffer drivers only show what is flushed.
        // One clip over the whole frame: drm's empty clip list reaches the kernel with a
        // dangling pointer and no clips, which it refuses (EINVAL), so nothing was flushed.
        let clip = drm::control::ClipRect::new(
            0,
            0,
            u16::try_from(frame.width).unwrap_or(u16::MAX),
            u16::try_from(frame.height).unwrap_or(u16::MAX),
        );
        if let Err(e) = self.card.dirty_framebuffer(fb, &[clip]) {
            // Drivers that scan out the buffer itself have no dirty hook (ENOSYS): fine.
            if e.raw_os_error() != Some(libc::ENOSYS) {
                tracing::warn!("display: flushing the frame: {e}");
            }
        }
        Ok(())
    }
}

/// How long [`Display::take_back`] waits for the kiosk to let go of the screen.
const TAKE_BACK: std::time::Duration = std::time::Duration::from_secs(20);

impl LinuxDisplay {
    /// The kiosk's screen, scaled to the mode. Until the kiosk's compositor listens, the
    /// station's last screen is still what the CRTC scans out.
    fn grab_kiosk(&self, socket: &std::path::Path) -> Result<Frame> {
        let (w, h) = mode_size(&self.mode);
        match crate::devices::linux::wayland::screencopy::grab(socket) {
            Ok(frame) => {
                self.kiosk_seen.set(Some(true));
                Ok(fit(frame, w, h))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                self.kiosk_seen.set(Some(false));
                self.last.clone().ok_or_else(|| {
                    DeviceError::new(
                        self.name(),
                        ErrorKind::Other,
                        format!("kiosk {}: {e}", socket.display()),
                    )
                })
            }
            Err(e) => Err(DeviceError::new(
                format!("{} (kiosk {})", self.name(), socket.display()),
                ErrorKind::Other,
                e.to_string(),
            )),
        }
    }
}

fn pick_crtc(
    card: &Card,
    res: &drm::control::ResourceHandles,
    info: &connector::Info,
) -> Option<crtc::Handle> {
    if let Some(c) = info
        .current_encoder()
        .and_then(|e| card.get_encoder(e).ok())
        .and_then(|e| e.crtc())
    {
        return Some(c);
    }
    info.encoders()
        .iter()
        .filter_map(|&e| card.get_encoder(e).ok())
        .find_map(|e| res.filter_crtcs(e.possible_crtcs()).first().copied())
}

impl Display for LinuxDisplay {
    fn name(&self) -> String {
        let (w, h) = mode_size(&self.mode);
        format!("{} {} {w}x{h}", self.path.display(), self.connector_name)
    }

    fn modes(&mut self) -> Result<Vec<String>> {
        let info = self
            .card
            .get_connector(self.connector, false)
            .map_err(|e| self.err(e))?;
        Ok(info
            .modes()
            .iter()
            .map(|m| format!("{}x{}@{}", m.size().0, m.size().1, m.vrefresh()))
            .collect())
    }

    fn set_mode(&mut self) -> Result<(u32, u32)> {
        self.ensure_scanout()?;
        let (w, h) = mode_size(&self.mode);
        self.write(&Frame {
            width: w,
            height: h,
            rgb: vec![0; (w * h * 3) as usize],
        })?;
        let fb = self.scanout.as_ref().map(|s| s.1);
        self.card
            .set_crtc(self.crtc, fb, (0, 0), &[self.connector], Some(self.mode))
            .map_err(|e| self.err(e))?;
        Ok((w, h))
    }

    fn show(&mut self, frame: &Frame) -> Result<()> {
        let (w, h) = mode_size(&self.mode);
        if (frame.width, frame.height) != (w, h) || frame.rgb.len() != (w * h * 3) as usize {
            return Err(DeviceError::new(
                self.name(),
                ErrorKind::Unsupported,
                format!(
                    "frame is {}x{}, the mode {w}x{h}",
                    frame.width, frame.height
                ),
            ));
        }
        self.last = Some(frame.clone());
        if self.kiosk.is_some() {
            return Ok(());
        }
        if self.scanout.is_none() {
            self.set_mode()?;
        }
        self.write(frame)
    }

    fn hand_over(&mut self, overlay: &Frame, margin: u32) -> Result<()> {
        self.card.release_master_lock().map_err(|e| self.err(e))?;
        let socket = crate::devices::linux::wayland::screencopy::socket_path();
        self.badge = Some(
            Badge::show(socket.clone(), overlay, margin)
                .map_err(|e| DeviceError::from_io(&self.name(), &e, GROUP))?,
        );
        self.kiosk = Some(socket);
        self.kiosk_seen.set(None);
        Ok(())
    }

    fn overlay(&mut self, overlay: &Frame) -> Result<()> {
        if let Some(b) = &self.badge {
            b.set(overlay);
        }
        Ok(())
    }

    fn take_back(&mut self) -> Result<()> {
        if self.kiosk.is_none() {
            return Ok(());
        }
        self.badge = None;
        // The kiosk stops with the exam's ruleset; wait until its compositor let go of master.
        let deadline = std::time::Instant::now() + TAKE_BACK;
        while let Err(e) = self.card.acquire_master_lock() {
            if std::time::Instant::now() >= deadline {
                return Err(self.err(e));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        self.kiosk = None;
        self.kiosk_seen.set(None);
        self.set_mode()?;
        if let Some(frame) = self.last.take() {
            self.show(&frame)?;
        }
        Ok(())
    }

    fn kiosk_seen(&self) -> Option<bool> {
        self.kiosk.as_ref().and(self.kiosk_seen.get())
    }

    fn grab(&mut self, _grant: &dyn Permit) -> Result<Frame> {
        if let Some(socket) = &self.kiosk {
            return self.grab_kiosk(socket);
        }
        let crtc = self.card.get_crtc(self.crtc).map_err(|e| self.err(e))?;
        let fb = crtc.framebuffer().ok_or_else(|| {
            DeviceError::new(
                self.name(),
                ErrorKind::Other,
                "nothing is on screen (no framebuffer)",
            )
        })?;
        let info = self.card.get_framebuffer(fb).map_err(|e| self.err(e))?;
        let handle = info.buffer().ok_or_else(|| {
            DeviceError::new(
                self.name(),
                ErrorKind::PermissionDenied,
                "the kernel withheld the framebuffer's buffer (reading another process's \
                 screen needs CAP_SYS_ADMIN)",
            )
        })?;
        let frame = read_buffer(&self.card, handle.into(), &info).map_err(|e| self.err(e));
        let _ = self.card.close_buffer(handle);
        frame
    }
}

/// Maps a 32-bit XRGB buffer by GEM handle and converts it to RGB.
fn read_buffer(card: &Card, handle: u32, info: &framebuffer::Info) -> std::io::Result<Frame> {
    let (w, h) = info.size();
    if info.bpp() != 32 {
        return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
    }
    let pitch = info.pitch() as usize;
    let len = pitch * h as usize;
    let map = drm_ffi::mode::dumbbuffer::map(card.as_fd(), handle, 0, 0)?;
    mapped::read(card.as_fd(), map.offset, len, |data| {
        xrgb_to_rgb(data, w, h, pitch as u32)
    })?
    .ok_or_else(|| std::io::Error::from_raw_os_error(libc::EINVAL))
}
