//! The recording badge over the kiosk: while the exam records, the station keeps its "REC"
//! badge ([`crate::ui::badge`]) in the top right corner of the kiosk compositor's screen, as a
//! wlr-layer-shell surface on the overlay layer, above the browser's fullscreen window.
//!
//! The badge belongs to the station, not to the kiosk: stationd holds the surface through its
//! own connection for as long as the [`Badge`] lives (from the screen hand-over to the take
//! back), so the sign cannot outlive the recording process, and a kiosk restarted mid-exam gets
//! it back within [`RETRY`]. The surface takes no input (an empty input region, no keyboard
//! focus): clicks on the corner still reach the exam.

use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wayland_client::protocol::{
    wl_buffer, wl_callback, wl_compositor, wl_region, wl_registry, wl_shm, wl_shm_pool, wl_surface,
};
use wayland_client::{delegate_dispatch, delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols_wlr::layer_shell::v1::client::{
    zwlr_layer_shell_v1 as shell_v1, zwlr_layer_surface_v1 as surface_v1,
};

use crate::devices::linux::mapped;
use crate::devices::linux::wayland::screencopy::TIMEOUT;
use crate::devices::linux::wayland::wire::{
    dispatch_for, fail, globals, Announced, Done, Registry,
};
use crate::devices::Frame;

/// How soon the badge comes back after the kiosk compositor (re)starts.
pub const RETRY: Duration = Duration::from_millis(200);

/// The layer surface's namespace, as compositors show it in their debug output.
const NAMESPACE: &str = "exam-station-recording";

/// The badge kept over a kiosk compositor's screen until dropped.
pub struct Badge {
    stop: Arc<AtomicBool>,
    shown: Arc<AtomicBool>,
    image: Shared,
    thread: Option<JoinHandle<()>>,
}

/// The image to show and its version (bumped by every [`Badge::set`]).
type Shared = Arc<Mutex<(u64, Arc<Pixels>)>>;

impl Badge {
    /// Keeps `image` in the top right corner of the compositor at `socket`, `margin` pixels
    /// from the edges, from as soon as the compositor listens until the badge is dropped.
    pub fn show(socket: PathBuf, image: &Frame, margin: u32) -> std::io::Result<Badge> {
        let shared: Shared = Arc::new(Mutex::new((0, Arc::new(Pixels::from_frame(image)))));
        let stop = Arc::new(AtomicBool::new(false));
        let shown = Arc::new(AtomicBool::new(false));
        let (s, sh, img) = (stop.clone(), shown.clone(), shared.clone());
        let thread = std::thread::Builder::new()
            .name("kiosk-badge".into())
            .spawn(move || keep(&socket, &img, margin, &s, &sh))?;
        Ok(Badge {
            stop,
            shown,
            image: shared,
            thread: Some(thread),
        })
    }

    /// Shows `image` instead, at the same corner, within [`RETRY`] (the time left, a warning,
    /// a question).
    pub fn set(&self, image: &Frame) {
        let mut g = self.image.lock().unwrap_or_else(|p| p.into_inner());
        *g = (g.0 + 1, Arc::new(Pixels::from_frame(image)));
    }

    /// Whether the compositor shows the badge now (it has placed the surface and has its
    /// pixels).
    pub fn is_shown(&self) -> bool {
        self.shown.load(Ordering::Acquire)
    }
}

impl Drop for Badge {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The badge as little-endian ARGB8888, opaque.
struct Pixels {
    width: u32,
    height: u32,
    argb: Vec<u8>,
}

impl Pixels {
    fn from_frame(f: &Frame) -> Pixels {
        let argb = f
            .rgb
            .chunks_exact(3)
            .flat_map(|p| [p[2], p[1], p[0], 0xff])
            .collect();
        Pixels {
            width: f.width,
            height: f.height,
            argb,
        }
    }
}

/// Shows the badge whenever the compositor is there, until `stop`.
fn keep(socket: &Path, image: &Shared, margin: u32, stop: &AtomicBool, shown: &AtomicBool) {
    let mut last = String::new();
    while !stop.load(Ordering::Acquire) {
        let result = hold(socket, image, margin, stop, shown);
        shown.store(false, Ordering::Release);
        let Err(e) = result else { return };
        let msg = e.to_string();
        if msg != last {
            // The kiosk starts after the hand-over and stops before the take back: its absence
            // is the ordinary case, a compositor without the overlay layer is not.
            if e.kind() == std::io::ErrorKind::Unsupported {
                tracing::warn!("display: no recording badge over the kiosk: {msg}");
            } else {
                tracing::debug!("recording badge waits for the kiosk: {msg}");
            }
            last = msg;
        }
        std::thread::sleep(RETRY);
    }
}

#[derive(Default)]
struct State {
    /// A configure to acknowledge.
    configure: Option<u32>,
    closed: bool,
}

delegate_dispatch!(State: [wl_registry::WlRegistry: Announced] => Registry);
delegate_dispatch!(State: [wl_callback::WlCallback: Done] => Registry);

impl Dispatch<surface_v1::ZwlrLayerSurfaceV1, ()> for State {
    fn event(
        state: &mut Self,
        _: &surface_v1::ZwlrLayerSurfaceV1,
        event: surface_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            surface_v1::Event::Configure { serial, .. } => state.configure = Some(serial),
            surface_v1::Event::Closed => state.closed = true,
            _ => {}
        }
    }
}

delegate_noop!(State: ignore wl_compositor::WlCompositor);
delegate_noop!(State: ignore wl_surface::WlSurface);
delegate_noop!(State: ignore wl_region::WlRegion);
delegate_noop!(State: ignore wl_shm::WlShm);
delegate_noop!(State: ignore wl_shm_pool::WlShmPool);
delegate_noop!(State: ignore wl_buffer::WlBuffer);
delegate_noop!(State: ignore shell_v1::ZwlrLayerShellV1);

/// One image in the compositor's memory.
struct Drawn {
    /// The pixels' memory, kept open while the compositor may map it.
    _fd: std::os::fd::OwnedFd,
    pool: wl_shm_pool::WlShmPool,
    buffer: wl_buffer::WlBuffer,
    width: u32,
    height: u32,
}

impl Drawn {
    fn new(shm: &wl_shm::WlShm, px: &Pixels, qh: &QueueHandle<State>) -> std::io::Result<Drawn> {
        let len = px.argb.len();
        let fd = mapped::memfd_with(c"station-badge", &px.argb)?;
        let pool = shm.create_pool(fd.as_fd(), len as i32, qh, ());
        let buffer = pool.create_buffer(
            0,
            px.width as i32,
            px.height as i32,
            px.width as i32 * 4,
            wl_shm::Format::Argb8888,
            qh,
            (),
        );
        Ok(Drawn {
            _fd: fd,
            pool,
            buffer,
            width: px.width,
            height: px.height,
        })
    }

    fn destroy(self) {
        self.buffer.destroy();
        self.pool.destroy();
    }
}

/// The shared image and its version now.
fn current(image: &Shared) -> (u64, Arc<Pixels>) {
    let g = image.lock().unwrap_or_else(|p| p.into_inner());
    (g.0, g.1.clone())
}

/// One connection: places the badge and keeps it, redrawn whenever its image changes, until
/// `stop` (Ok) or until the compositor goes away or closes the surface (Err).
fn hold(
    socket: &Path,
    image: &Shared,
    margin: u32,
    stop: &AtomicBool,
    shown: &AtomicBool,
) -> std::io::Result<()> {
    let conn = Connection::from_socket(UnixStream::connect(socket)?).map_err(fail)?;
    let mut queue = conn.new_event_queue();
    let qh = queue.handle();
    let mut state = State::default();
    let globals = globals(&conn, &mut queue, &mut state, Instant::now() + TIMEOUT)?;
    let compositor: wl_compositor::WlCompositor = globals.bind(&qh, 1..=4)?;
    let shm: wl_shm::WlShm = globals.bind(&qh, 1..=1)?;
    let shell: shell_v1::ZwlrLayerShellV1 = globals.bind(&qh, 1..=4)?;

    let (mut version, px) = current(image);
    let mut drawn = Drawn::new(&shm, &px, &qh)?;
    let surface = compositor.create_surface(&qh, ());
    let no_input = compositor.create_region(&qh, ());
    surface.set_input_region(Some(&no_input));
    no_input.destroy();
    let layer = shell.get_layer_surface(
        &surface,
        None,
        shell_v1::Layer::Overlay,
        NAMESPACE.into(),
        &qh,
        (),
    );
    layer.set_size(drawn.width, drawn.height);
    layer.set_anchor(surface_v1::Anchor::Top | surface_v1::Anchor::Right);
    layer.set_margin(margin as i32, margin as i32, 0, 0);
    surface.commit();

    let result = loop {
        if stop.load(Ordering::Acquire) {
            break Ok(());
        }
        if let Err(e) = dispatch_for(&mut queue, &mut state, RETRY) {
            break Err(e);
        }
        if state.closed {
            break Err(fail("the kiosk compositor closed the badge"));
        }
        let (now, px) = current(image);
        if now != version {
            // A new image: a new size for the surface, attached at the configure it brings.
            version = now;
            let fresh = match Drawn::new(&shm, &px, &qh) {
                Ok(d) => d,
                Err(e) => break Err(e),
            };
            std::mem::replace(&mut drawn, fresh).destroy();
            layer.set_size(drawn.width, drawn.height);
            surface.commit();
        }
        if let Some(serial) = state.configure.take() {
            layer.ack_configure(serial);
            surface.attach(Some(&drawn.buffer), 0, 0);
            surface.damage(0, 0, drawn.width as i32, drawn.height as i32);
            surface.commit();
            shown.store(true, Ordering::Release);
        }
    };
    layer.destroy();
    surface.destroy();
    drawn.destroy();
    let _ = conn.flush();
    result
}
