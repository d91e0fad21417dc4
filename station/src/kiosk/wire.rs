//! What the station's Wayland clients of the kiosk compositor (the screen grab, the recording
//! badge) share: reading the connection with a time limit, so that they never hang on a
//! compositor that stopped answering, and the registry handler they all need.

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use wayland_client::globals::GlobalListContents;
use wayland_client::protocol::wl_registry;
use wayland_client::{Connection, Dispatch, EventQueue, QueueHandle};

/// Handles the registry of a client that binds its globals once at start
/// (`registry_queue_init`) and ignores globals coming and going after. A client's state takes it
/// with `delegate_dispatch!(S: [wl_registry::WlRegistry: GlobalListContents] => Registry);`.
pub struct Registry;

impl<S> Dispatch<wl_registry::WlRegistry, GlobalListContents, S> for Registry
where
    S: Dispatch<wl_registry::WlRegistry, GlobalListContents>,
{
    fn event(
        _: &mut S,
        _: &wl_registry::WlRegistry,
        _: wl_registry::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<S>,
    ) {
    }
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
