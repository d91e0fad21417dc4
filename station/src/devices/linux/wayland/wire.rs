//! What the station's Wayland clients of the kiosk compositor (the screen grab, the recording
//! badge) share: reading the connection with a time limit, the initial list of globals
//! included, so that they never hang on a compositor that stopped answering. (A compositor that
//! hangs still accepts connections: the kernel queues them. wayland-client's own
//! `registry_queue_init` waits for its answer without a limit.)

use std::ops::RangeInclusive;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wayland_client::protocol::{wl_callback, wl_registry};
use wayland_client::{Connection, Dispatch, EventQueue, Proxy, QueueHandle};

/// A global the compositor announced: name, interface, version.
#[derive(Debug, Clone)]
pub struct Global(u32, String, u32);

/// The registry's user data: the globals announced so far.
pub type Announced = Arc<Mutex<Vec<Global>>>;

/// A sync callback's user data: set when the compositor answered.
pub type Done = Arc<AtomicBool>;

/// Keeps the registry's list and notes sync answers. A client's state takes it with
/// `delegate_dispatch!(S: [wl_registry::WlRegistry: Announced] => Registry)` and
/// `delegate_dispatch!(S: [wl_callback::WlCallback: Done] => Registry)`.
pub struct Registry;

impl<S> Dispatch<wl_registry::WlRegistry, Announced, S> for Registry
where
    S: Dispatch<wl_registry::WlRegistry, Announced>,
{
    fn event(
        _: &mut S,
        _: &wl_registry::WlRegistry,
        event: wl_registry::Event,
        list: &Announced,
        _: &Connection,
        _: &QueueHandle<S>,
    ) {
        if let wl_registry::Event::Global {
            name,
            interface,
            version,
        } = event
        {
            if let Ok(mut l) = list.lock() {
                l.push(Global(name, interface, version));
            }
        }
    }
}

impl<S> Dispatch<wl_callback::WlCallback, Done, S> for Registry
where
    S: Dispatch<wl_callback::WlCallback, Done>,
{
    fn event(
        _: &mut S,
        _: &wl_callback::WlCallback,
        event: wl_callback::Event,
        done: &Done,
        _: &Connection,
        _: &QueueHandle<S>,
    ) {
        if let wl_callback::Event::Done { .. } = event {
            done.store(true, Ordering::Release);
        }
    }
}

/// The compositor's globals, to bind.
pub struct Globals {
    registry: wl_registry::WlRegistry,
    list: Announced,
}

impl Globals {
    /// Binds the first global of interface `I` at the highest version in `versions` it has.
    /// A missing global, or one too old, is `Unsupported`.
    pub fn bind<I, S>(
        &self,
        qh: &QueueHandle<S>,
        versions: RangeInclusive<u32>,
    ) -> std::io::Result<I>
    where
        I: Proxy + 'static,
        S: Dispatch<I, ()> + 'static,
    {
        let want = I::interface().name;
        let found = self
            .list
            .lock()
            .map_err(|_| fail("the list of globals is poisoned"))?
            .iter()
            .find(|g| g.1 == want)
            .map(|g| (g.0, g.2));
        match found {
            Some((name, version)) if version >= *versions.start() => {
                Ok(self
                    .registry
                    .bind(name, version.min(*versions.end()), qh, ()))
            }
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                format!(
                    "the kiosk compositor has no {want} (version {} or later)",
                    versions.start()
                ),
            )),
        }
    }
}

/// Asks the compositor for its globals and waits for the list until `deadline`.
pub fn globals<S>(
    conn: &Connection,
    queue: &mut EventQueue<S>,
    state: &mut S,
    deadline: Instant,
) -> std::io::Result<Globals>
where
    S: Dispatch<wl_registry::WlRegistry, Announced>
        + Dispatch<wl_callback::WlCallback, Done>
        + 'static,
{
    let qh = queue.handle();
    let list = Announced::default();
    let registry = conn.display().get_registry(&qh, list.clone());
    let done = Done::default();
    conn.display().sync(&qh, done.clone());
    dispatch_until(queue, state, deadline, |_| done.load(Ordering::Acquire))?;
    Ok(Globals { registry, list })
}

/// An error of the Wayland connection, as an I/O error.
pub fn fail(what: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(what.to_string())
}

/// Sends what is queued, waits at most `wait` for events and dispatches them. A connection the
/// compositor closed is an error.
pub fn dispatch_for<S>(
    queue: &mut EventQueue<S>,
    state: &mut S,
    wait: Duration,
) -> std::io::Result<()> {
    queue.flush().map_err(fail)?;
    if let Some(guard) = queue.prepare_read() {
        let mut pfd = libc::pollfd {
            fd: guard.connection_fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, wait.as_millis().min(i32::MAX as u128) as i32) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if n > 0 {
            guard.read().map_err(fail)?;
        }
    }
    queue.dispatch_pending(state).map_err(fail)?;
    Ok(())
}

/// Dispatches events until `done(state)`, or fails with `TimedOut` at `deadline`.
pub fn dispatch_until<S>(
    queue: &mut EventQueue<S>,
    state: &mut S,
    deadline: Instant,
    done: impl Fn(&S) -> bool,
) -> std::io::Result<()> {
    while !done(state) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the kiosk compositor did not answer",
            ));
        }
        dispatch_for(queue, state, left)?;
    }
    Ok(())
}
