//! A minimal xdg-shell client: one toplevel of one colour, at the sizes the compositor asks.

use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::Path;

use station::devices::linux::wayland::wire::{globals, Announced, Done, Registry};
use wayland_client::protocol::{
    wl_buffer, wl_callback, wl_compositor, wl_registry, wl_shm, wl_shm_pool, wl_surface,
};
use wayland_client::{delegate_dispatch, delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols::xdg::shell::client::{xdg_surface, xdg_toplevel, xdg_wm_base};

#[derive(Default)]
struct State {
    size: (i32, i32),
    configured: Option<u32>,
}

delegate_dispatch!(State: [wl_registry::WlRegistry: Announced] => Registry);
delegate_dispatch!(State: [wl_callback::WlCallback: Done] => Registry);

impl Dispatch<xdg_wm_base::XdgWmBase, ()> for State {
    fn event(
        _: &mut Self,
        base: &xdg_wm_base::XdgWmBase,
        event: xdg_wm_base::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_wm_base::Event::Ping { serial } = event {
            base.pong(serial);
        }
    }
}

impl Dispatch<xdg_surface::XdgSurface, ()> for State {
    fn event(
        state: &mut Self,
        _: &xdg_surface::XdgSurface,
        event: xdg_surface::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_surface::Event::Configure { serial } = event {
            state.configured = Some(serial);
        }
    }
}

impl Dispatch<xdg_toplevel::XdgToplevel, ()> for State {
    fn event(
        state: &mut Self,
        _: &xdg_toplevel::XdgToplevel,
        event: xdg_toplevel::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_toplevel::Event::Configure { width, height, .. } = event {
            state.size = (width, height);
        }
    }
}

delegate_noop!(State: ignore wl_compositor::WlCompositor);
delegate_noop!(State: ignore wl_surface::WlSurface);
delegate_noop!(State: ignore wl_shm::WlShm);
delegate_noop!(State: ignore wl_shm_pool::WlShmPool);
delegate_noop!(State: ignore wl_buffer::WlBuffer);

/// What draws the window: the connection's objects and the window's colour.
struct Painter {
    shm: wl_shm::WlShm,
    surface: wl_surface::WlSurface,
    xdg: xdg_surface::XdgSurface,
    pixel: [u8; 4],
}

impl Painter {
    /// Acknowledges `serial` and fills the window at `state.size` (640x480 if the compositor
    /// leaves the size to the client).
    fn paint(&self, state: &State, serial: u32, qh: &QueueHandle<State>) -> std::io::Result<()> {
        let (w, h) = match state.size {
            (w, h) if w > 0 && h > 0 => (w, h),
            _ => (640, 480),
        };
        self.xdg.ack_configure(serial);
        let stride = w * 4;
        let len = (stride * h) as usize;
        let data: Vec<u8> = self.pixel.iter().copied().cycle().take(len).collect();
        let fd = station::devices::linux::mapped::memfd_with(c"kiosk-test", &data)?;
        let pool = self.shm.create_pool(fd.as_fd(), len as i32, qh, ());
        let buffer = pool.create_buffer(0, w, h, stride, wl_shm::Format::Xrgb8888, qh, ());
        pool.destroy();
        self.surface.attach(Some(&buffer), 0, 0);
        self.surface.damage(0, 0, w, h);
        self.surface.commit();
        Ok(())
    }
}

/// A shown window, redrawn at every size the compositor asks for (as the browser does); it
/// stays on screen while this lives.
pub struct Window {
    /// The connection's socket, shut down to end the window's thread.
    socket: UnixStream,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Window {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Window {
    /// Connects to the compositor at `socket` and shows a toplevel filled with `rgb`.
    pub fn show(socket: &Path, rgb: [u8; 3]) -> Result<Window, String> {
        let e = |e: &dyn std::fmt::Display| e.to_string();
        let stream = UnixStream::connect(socket).map_err(|x| e(&x))?;
        let socket = stream.try_clone().map_err(|x| e(&x))?;
        let conn = Connection::from_socket(stream).map_err(|x| e(&x))?;
        let mut queue = conn.new_event_queue();
        let qh = queue.handle();
        let mut state = State::default();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let globals = globals(&conn, &mut queue, &mut state, deadline).map_err(|x| e(&x))?;
        let compositor: wl_compositor::WlCompositor =
            globals.bind(&qh, 1..=4).map_err(|x| e(&x))?;
        let shm: wl_shm::WlShm = globals.bind(&qh, 1..=1).map_err(|x| e(&x))?;
        let base: xdg_wm_base::XdgWmBase = globals.bind(&qh, 1..=2).map_err(|x| e(&x))?;
        let surface = compositor.create_surface(&qh, ());
        let xdg = base.get_xdg_surface(&surface, &qh, ());
        let top = xdg.get_toplevel(&qh, ());
        top.set_title("kiosk test".into());
        top.set_app_id("kiosk-test".into());
        surface.commit();
        let painter = Painter {
            shm,
            surface,
            xdg,
            pixel: [rgb[2], rgb[1], rgb[0], 0xff],
        };
        let serial = loop {
            queue.blocking_dispatch(&mut state).map_err(|x| e(&x))?;
            if let Some(s) = state.configured.take() {
                break s;
            }
        };
        painter.paint(&state, serial, &qh).map_err(|x| e(&x))?;
        let thread = std::thread::spawn(move || {
            let _keep = (conn, top);
            while queue.blocking_dispatch(&mut state).is_ok() {
                if let Some(serial) = state.configured.take() {
                    if painter.paint(&state, serial, &qh).is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Window {
            socket,
            thread: Some(thread),
        })
    }
}
