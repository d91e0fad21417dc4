//! Reads the kiosk compositor's screen through the wlr-screencopy Wayland protocol (which sway
//! offers), for the screen recording while the kiosk holds the display: the station is then no
//! longer DRM master and the kernel no longer lets it read the scanout buffer.
//!
//! One short-lived connection per frame (the recording grabs about once a second): a kiosk
//! restarted in between costs nothing, and a kiosk that does not answer (from the list of its
//! globals on) costs at most [`TIMEOUT`].

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wayland_client::protocol::{
    wl_buffer, wl_callback, wl_output, wl_registry, wl_shm, wl_shm_pool,
};
use wayland_client::{
    delegate_dispatch, delegate_noop, Connection, Dispatch, Proxy, QueueHandle, WEnum,
};
use wayland_protocols_wlr::screencopy::v1::client::{
    zwlr_screencopy_frame_v1 as frame_v1, zwlr_screencopy_manager_v1 as manager_v1,
};

use crate::devices::convert::xrgb_to_rgb;
use crate::devices::linux::mapped;
use crate::devices::linux::wayland::wire::{
    dispatch_until, fail, globals, Announced, Done, Registry,
};
use crate::devices::Frame;

/// How long one frame may take before the grab gives up.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Where exam-kiosk.service's compositor listens (its runtime directory, group-readable by the
/// station; sway leaves `wayland-0` to default clients and takes `wayland-1`);
/// `STATION_KIOSK_WAYLAND` overrides it.
pub fn socket_path() -> PathBuf {
    std::env::var_os("STATION_KIOSK_WAYLAND")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/run/exam-browser/wayland-1".into())
}

/// The shm buffer layout the compositor asked for.
#[derive(Debug, Clone, Copy)]
struct Layout {
    format: wl_shm::Format,
    width: u32,
    height: u32,
    stride: u32,
}

impl Layout {
    /// Bytes of the buffer.
    fn len(&self) -> usize {
        self.stride as usize * self.height as usize
    }
}

#[derive(Default)]
struct State {
    layout: Option<Layout>,
    /// Protocol version 3 announces the end of the buffer offers with `buffer_done`.
    offers_done: bool,
    ready: bool,
    failed: bool,
}

delegate_dispatch!(State: [wl_registry::WlRegistry: Announced] => Registry);
delegate_dispatch!(State: [wl_callback::WlCallback: Done] => Registry);

impl Dispatch<frame_v1::ZwlrScreencopyFrameV1, ()> for State {
    fn event(
        state: &mut Self,
        _: &frame_v1::ZwlrScreencopyFrameV1,
        event: frame_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            frame_v1::Event::Buffer {
                format: WEnum::Value(format),
                width,
                height,
                stride,
            } if matches!(format, wl_shm::Format::Xrgb8888 | wl_shm::Format::Argb8888) => {
                state.layout = Some(Layout {
                    format,
                    width,
                    height,
                    stride,
                });
            }
            frame_v1::Event::BufferDone => state.offers_done = true,
            frame_v1::Event::Ready { .. } => state.ready = true,
            frame_v1::Event::Failed => state.failed = true,
            _ => {}
        }
    }
}

delegate_noop!(State: ignore wl_shm::WlShm);
delegate_noop!(State: ignore wl_output::WlOutput);
delegate_noop!(State: ignore wl_shm_pool::WlShmPool);
delegate_noop!(State: ignore wl_buffer::WlBuffer);
delegate_noop!(State: ignore manager_v1::ZwlrScreencopyManagerV1);

/// Maps `fd` read-only and converts the frame to RGB.
fn read_frame(fd: &OwnedFd, l: Layout) -> std::io::Result<Frame> {
    mapped::read(fd.as_fd(), 0, l.len(), |data| {
        xrgb_to_rgb(data, l.width, l.height, l.stride)
    })?
    .ok_or_else(|| fail("the kiosk's frame is smaller than it said"))
}

/// Grabs one frame of the kiosk compositor's first output at `socket`.
pub fn grab(socket: &Path) -> std::io::Result<Frame> {
    let deadline = Instant::now() + TIMEOUT;
    let stream = UnixStream::connect(socket)?;
    let conn = Connection::from_socket(stream).map_err(fail)?;
    let mut queue = conn.new_event_queue();
    let qh = queue.handle();
    let mut state = State::default();
    let globals = globals(&conn, &mut queue, &mut state, deadline)?;
    let shm: wl_shm::WlShm = globals.bind(&qh, 1..=1)?;
    let output: wl_output::WlOutput = globals.bind(&qh, 1..=1)?;
    let manager: manager_v1::ZwlrScreencopyManagerV1 = globals.bind(&qh, 1..=3)?;
    let version = manager.version();
    let frame = manager.capture_output(0, &output, &qh, ());
    dispatch_until(&mut queue, &mut state, deadline, |s| {
        s.failed || (s.layout.is_some() && (version < 3 || s.offers_done))
    })?;
    let Some(layout) = state.layout.filter(|_| !state.failed) else {
        return Err(fail("the kiosk compositor offered no XRGB/ARGB shm buffer"));
    };
    let fd = mapped::memfd(c"station-screencopy", layout.len())?;
    let pool = shm.create_pool(fd.as_fd(), layout.len() as i32, &qh, ());
    let buffer = pool.create_buffer(
        0,
        layout.width as i32,
        layout.height as i32,
        layout.stride as i32,
        layout.format,
        &qh,
        (),
    );
    frame.copy(&buffer);
    dispatch_until(&mut queue, &mut state, deadline, |s| s.ready || s.failed)?;
    frame.destroy();
    buffer.destroy();
    pool.destroy();
    manager.destroy();
    let _ = conn.flush();
    if state.failed {
        return Err(fail("the kiosk compositor could not copy its screen"));
    }
    read_frame(&fd, layout)
}
