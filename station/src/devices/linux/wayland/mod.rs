//! The display backend's way to the kiosk compositor's screen while the exam shell holds the
//! display: reading it for the screen recording ([`screencopy`], wlr-screencopy) and keeping
//! the recording badge over it ([`badge`], wlr-layer-shell), on the compositor's Wayland socket
//! ([`wire`]: the shared protocol plumbing).

pub mod badge;
pub mod screencopy;
pub mod wire;
