//! A minimal xdg-shell client: one toplevel of one colour, at the size the compositor asks.

use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::Path;

use wayland_client::globals::{registry_queue_init, GlobalListContents};
use wayland_client::protocol::{
    wl_buffer, wl_compositor, wl_registry, wl_shm, wl_shm_pool, wl_surface,
};
use wayland_client::{delegate_noop, Connection, Dispatch, EventQueue, QueueHandle};
use wayland_protocols::xdg::shell::client::{xdg_surface, xdg_toplevel, xdg_wm_base};

#[derive(Default)]
struct State {
    size: (i32, i32),
    configured: Option<u32>,
}

impl Dispatch<wl_registry::WlRegistry, GlobalListContents> for State {
    fn event(
        _: &mut Self,
        _: &wl_registry::WlRegistry,
        _: wl_registry::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

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

/// A shown window; it stays on screen while this lives.
pub struct Window {
    /// Size in pixels (what the compositor asked for, else 640x480).
    pub size: (u32, u32),
    _conn: Connection,
    _queue: EventQueue<State>,
    _surface: wl_surface::WlSurface,
}

impl Window {
    /// Connects to the compositor at `socket` and shows a toplevel filled with `rgb`.
    pub fn show(socket: &Path, rgb: [u8; 3]) -> Result<Window, String> {
        let e = |e: &dyn std::fmt::Display| e.to_string();
        let conn = Connection::from_socket(UnixStream::connect(socket).map_err(|x| e(&x))?)
            .map_err(|x| e(&x))?;
        let (globals, mut queue) = registry_queue_init::<State>(&conn).map_err(|x| e(&x))?;
        let qh = queue.handle();
        let compositor: wl_compositor::WlCompositor =
            globals.bind(&qh, 1..=4, ()).map_err(|x| e(&x))?;
        let shm: wl_shm::WlShm = globals.bind(&qh, 1..=1, ()).map_err(|x| e(&x))?;
        let base: xdg_wm_base::XdgWmBase = globals.bind(&qh, 1..=2, ()).map_err(|x| e(&x))?;
        let surface = compositor.create_surface(&qh, ());
        let xdg = base.get_xdg_surface(&surface, &qh, ());
        let top = xdg.get_toplevel(&qh, ());
        top.set_title("screencopy test".into());
        surface.commit();
        let mut state = State::default();
        while state.configured.is_none() {
            queue.blocking_dispatch(&mut state).map_err(|x| e(&x))?;
        }
        let (w, h) = match state.size {
            (w, h) if w > 0 && h > 0 => (w, h),
            _ => (640, 480),
        };
        xdg.ack_configure(state.configured.unwrap_or_default());
        let stride = w * 4;
        let len = (stride * h) as usize;
        let fd =
            station::devices::linux::mapped::memfd(c"screencopy-test", len).map_err(|x| e(&x))?;
        let pixel = [rgb[2], rgb[1], rgb[0], 0xff];
        let data: Vec<u8> = pixel.iter().copied().cycle().take(len).collect();
        std::io::Write::write_all(
            &mut std::fs::File::from(fd.try_clone().map_err(|x| e(&x))?),
            &data,
        )
        .map_err(|x| e(&x))?;
        let pool = shm.create_pool(fd.as_fd(), len as i32, &qh, ());
        let buffer = pool.create_buffer(0, w, h, stride, wl_shm::Format::Xrgb8888, &qh, ());
        surface.attach(Some(&buffer), 0, 0);
        surface.damage(0, 0, w, h);
        surface.commit();
        queue.roundtrip(&mut state).map_err(|x| e(&x))?;
        Ok(Window {
            size: (w as u32, h as u32),
            _conn: conn,
            _queue: queue,
            _surface: surface,
        })
    }
}
