//! Absolute pointers (touchscreens, pen tablets, QEMU's USB tablet) under the exam's input
//! filter: grabbed like every pointer, and re-emitted through a second virtual device, an
//! absolute mouse, since one uinput device cannot carry both relative and absolute motion for
//! the compositor.
//!
//! Each source's X and Y are rescaled from its own range to [`RANGE`] (the compositor maps that
//! onto the screen), a touch (`BTN_TOUCH`) becomes a left click, and what a single pointer cannot
//! carry (multi-touch slots, pressure, tilt, tool changes) is dropped: one finger or pen
//! works as a mouse, gestures do not.

use evdev::uinput::VirtualDevice;
use evdev::{
    AbsInfo, AbsoluteAxisCode, AttributeSet, Device, EventType, InputEvent, KeyCode, UinputAbsSetup,
};

/// Name of the station's absolute virtual device (never grabbed, never listed).
pub const VIRTUAL_NAME: &str = "exam-station virtual input (absolute)";

/// The virtual device's X and Y range: 0 to this.
pub const RANGE: i32 = 32767;

/// Buttons the absolute virtual device has.
const BUTTONS: [KeyCode; 3] = [KeyCode::BTN_LEFT, KeyCode::BTN_RIGHT, KeyCode::BTN_MIDDLE];

/// One axis's range on a source device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    /// Smallest value.
    pub min: i32,
    /// Largest value.
    pub max: i32,
}

impl Axis {
    /// `v` moved from this range onto 0..=[`RANGE`] (clamped; rounded to nearest).
    pub fn scale(self, v: i32) -> i32 {
        let span = i64::from(self.max) - i64::from(self.min);
        if span <= 0 {
            return 0;
        }
        let off = (i64::from(v) - i64::from(self.min)).clamp(0, span);
        ((off * i64::from(RANGE) + span / 2) / span) as i32
    }
}

/// How one absolute source's events become the virtual device's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// X range.
    pub x: Axis,
    /// Y range.
    pub y: Axis,
}

impl Source {
    /// The source's X and Y ranges, if `dev` reports absolute X and Y.
    pub fn of(dev: &Device) -> Option<Source> {
        let mut x = None;
        let mut y = None;
        for (code, info) in dev.get_absinfo().ok()? {
            let axis = Axis {
                min: info.minimum(),
                max: info.maximum(),
            };
            match code {
                AbsoluteAxisCode::ABS_X => x = Some(axis),
                AbsoluteAxisCode::ABS_Y => y = Some(axis),
                _ => {}
            }
        }
        Some(Source { x: x?, y: y? })
    }

    /// The event as the virtual device emits it, or `None` if a single pointer cannot carry
    /// it. Frame ends (`SYN_REPORT`) pass, so frames stay as the source made them.
    pub fn translate(&self, e: &InputEvent) -> Option<InputEvent> {
        let (t, code, v) = (e.event_type(), e.code(), e.value());
        let abs = |axis: Axis| InputEvent::new(EventType::ABSOLUTE.0, code, axis.scale(v));
        match t {
            EventType::ABSOLUTE if code == AbsoluteAxisCode::ABS_X.0 => Some(abs(self.x)),
            EventType::ABSOLUTE if code == AbsoluteAxisCode::ABS_Y.0 => Some(abs(self.y)),
            EventType::KEY if code == KeyCode::BTN_TOUCH.code() => Some(InputEvent::new(
                EventType::KEY.0,
                KeyCode::BTN_LEFT.code(),
                v,
            )),
            EventType::KEY if BUTTONS.iter().any(|b| b.code() == code) => Some(*e),
            EventType::SYNCHRONIZATION if code == 0 => Some(*e),
            _ => None,
        }
    }
}

/// Whether a device is an absolute pointer: absolute X and Y, and a touch, a pen or a button
/// (an accelerometer has the axes and none of these).
pub fn is_pointer(dev: &Device) -> bool {
    let axes = dev.supported_absolute_axes();
    let has_axis = |a| axes.is_some_and(|s| s.contains(a));
    let keys = dev.supported_keys();
    let has_key = |k| keys.is_some_and(|s| s.contains(k));
    has_axis(AbsoluteAxisCode::ABS_X)
        && has_axis(AbsoluteAxisCode::ABS_Y)
        && [KeyCode::BTN_TOUCH, KeyCode::BTN_TOOL_PEN, KeyCode::BTN_LEFT]
            .into_iter()
            .any(has_key)
}

/// The absolute virtual device: X and Y over 0..=[`RANGE`] and three buttons, which udev and
/// libinput take for an absolute mouse.
pub fn virtual_device() -> std::io::Result<VirtualDevice> {
    let mut keys = AttributeSet::<KeyCode>::new();
    for b in BUTTONS {
        keys.insert(b);
    }
    let axis = |code| UinputAbsSetup::new(code, AbsInfo::new(0, 0, RANGE, 0, 0, 0));
    VirtualDevice::builder()?
        .name(VIRTUAL_NAME)
        .with_keys(&keys)?
        .with_absolute_axis(&axis(AbsoluteAxisCode::ABS_X))?
        .with_absolute_axis(&axis(AbsoluteAxisCode::ABS_Y))?
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_scale_onto_the_virtual_range() {
        let a = Axis { min: 0, max: 4095 };
        assert_eq!(a.scale(0), 0);
        assert_eq!(a.scale(4095), RANGE);
        assert_eq!(a.scale(2048), 16388);
        assert_eq!(a.scale(-5), 0, "clamped below");
        assert_eq!(a.scale(9999), RANGE, "clamped above");
        let offset = Axis {
            min: -100,
            max: 100,
        };
        assert_eq!(offset.scale(0), 16384);
        assert_eq!(Axis { min: 5, max: 5 }.scale(5), 0, "empty range");
        let wide = Axis {
            min: i32::MIN,
            max: i32::MAX,
        };
        assert_eq!(wide.scale(i32::MAX), RANGE, "no overflow");
    }

    #[test]
    fn touches_become_clicks_and_the_rest_is_dropped() {
        let s = Source {
            x: Axis { min: 0, max: 4095 },
            y: Axis { min: 0, max: 2047 },
        };
        let ev = |t: EventType, c: u16, v| InputEvent::new(t.0, c, v);
        let out = |e: InputEvent| {
            s.translate(&e)
                .map(|o| (o.event_type(), o.code(), o.value()))
        };
        let abs = EventType::ABSOLUTE;
        let key = EventType::KEY;
        assert_eq!(
            out(ev(abs, AbsoluteAxisCode::ABS_X.0, 4095)),
            Some((abs, AbsoluteAxisCode::ABS_X.0, RANGE))
        );
        assert_eq!(
            out(ev(abs, AbsoluteAxisCode::ABS_Y.0, 1024)),
            Some((abs, AbsoluteAxisCode::ABS_Y.0, 16392))
        );
        assert_eq!(
            out(ev(key, KeyCode::BTN_TOUCH.code(), 1)),
            Some((key, KeyCode::BTN_LEFT.code(), 1))
        );
        assert_eq!(
            out(ev(key, KeyCode::BTN_RIGHT.code(), 0)),
            Some((key, KeyCode::BTN_RIGHT.code(), 0))
        );
        let syn = EventType::SYNCHRONIZATION;
        assert_eq!(out(ev(syn, 0, 0)), Some((syn, 0, 0)));
        for dropped in [
            ev(abs, AbsoluteAxisCode::ABS_MT_SLOT.0, 1),
            ev(abs, AbsoluteAxisCode::ABS_MT_POSITION_X.0, 10),
            ev(abs, AbsoluteAxisCode::ABS_PRESSURE.0, 80),
            ev(key, KeyCode::BTN_TOOL_FINGER.code(), 1),
            ev(key, KeyCode::KEY_A.code(), 1),
            ev(syn, 3, 0),
        ] {
            assert_eq!(s.translate(&dropped), None, "{dropped:?}");
        }
    }
}
