//! Pointers that report absolute positions, under the exam's input filter: grabbed like every
//! pointer and re-emitted as the compositor can take them from the station's virtual devices.
//!
//! - Screens and tablets ([`Kind::Direct`]: touchscreens, pen tablets, QEMU's USB tablet) go to
//!   a second virtual device, an absolute mouse (one uinput device cannot carry both relative
//!   and absolute motion for the compositor). X and Y are rescaled from the source's range to
//!   [`RANGE`], which the compositor maps onto the screen, and a touch (`BTN_TOUCH`) becomes a
//!   left click.
//! - Touchpads ([`Kind::Touchpad`]: a laptop's) move the finger, not the pointer to a place:
//!   while touched, their motion becomes relative motion on the station's main virtual device,
//!   [`TOUCHPAD_COUNTS`] across the pad's width; a touch is not a click (the pad's buttons are).
//!
//! What a single pointer cannot carry (multi-touch slots, pressure, tilt, tool changes) is
//! dropped: one finger or pen works as a mouse, gestures and tap-to-click do not.

use evdev::uinput::VirtualDevice;
use evdev::{
    AbsInfo, AbsoluteAxisCode, AttributeSet, Device, EventType, InputEvent, KeyCode, PropType,
    RelativeAxisCode, UinputAbsSetup,
};

/// Name of the station's absolute virtual device (never grabbed, never listed).
pub const VIRTUAL_NAME: &str = "exam-station virtual input (absolute)";

/// The virtual device's X and Y range: 0 to this.
pub const RANGE: i32 = 32767;

/// Relative motion for a finger moved across a touchpad's whole width.
pub const TOUCHPAD_COUNTS: i32 = 1600;

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

/// How a source's positions are meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A place on the screen (touchscreen, tablet): re-emitted as absolute positions.
    Direct,
    /// Finger motion (touchpad): re-emitted as relative motion while touched.
    Touchpad,
}

/// How one absolute source's events become the virtual devices'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// X range.
    pub x: Axis,
    /// Y range.
    pub y: Axis,
    /// How its positions are meant.
    pub kind: Kind,
    /// Touchpad: whether a finger is down, and its last position (X, Y) in counts.
    touching: bool,
    last: (Option<i32>, Option<i32>),
}

impl Source {
    /// A source with these ranges.
    pub fn new(x: Axis, y: Axis, kind: Kind) -> Source {
        Source {
            x,
            y,
            kind,
            touching: false,
            last: (None, None),
        }
    }

    /// The source's ranges and kind, if `dev` is an absolute pointer ([`is_pointer`]).
    pub fn of(dev: &Device) -> Option<Source> {
        if !is_pointer(dev) {
            return None;
        }
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
        let props = dev.properties();
        let keys = dev.supported_keys();
        let finger = keys.is_some_and(|k| k.contains(KeyCode::BTN_TOOL_FINGER));
        let touchpad =
            props.contains(PropType::POINTER) || (finger && !props.contains(PropType::DIRECT));
        let kind = if touchpad {
            Kind::Touchpad
        } else {
            Kind::Direct
        };
        Some(Source::new(x?, y?, kind))
    }

    /// Whether its events go to the absolute virtual device (else to the main one).
    pub fn absolute(&self) -> bool {
        self.kind == Kind::Direct
    }

    /// The event as the virtual device emits it, or `None` if a single pointer cannot carry
    /// it. Frame ends (`SYN_REPORT`) pass, so frames stay as the source made them.
    pub fn translate(&mut self, e: &InputEvent) -> Option<InputEvent> {
        let (t, code, v) = (e.event_type(), e.code(), e.value());
        let is_x = code == AbsoluteAxisCode::ABS_X.0;
        let is_y = code == AbsoluteAxisCode::ABS_Y.0;
        match t {
            EventType::ABSOLUTE if is_x || is_y => match self.kind {
                Kind::Direct => {
                    let axis = if is_x { self.x } else { self.y };
                    Some(InputEvent::new(t.0, code, axis.scale(v)))
                }
                Kind::Touchpad => self.motion(is_x, v),
            },
            EventType::KEY if code == KeyCode::BTN_TOUCH.code() => match self.kind {
                Kind::Direct => Some(InputEvent::new(t.0, KeyCode::BTN_LEFT.code(), v)),
                Kind::Touchpad => {
                    self.touching = v != 0;
                    self.last = (None, None);
                    None
                }
            },
            EventType::KEY if BUTTONS.iter().any(|b| b.code() == code) => Some(*e),
            EventType::SYNCHRONIZATION if code == 0 => Some(*e),
            _ => None,
        }
    }

    /// Touchpad: relative motion from the finger's last position on this axis, both taken
    /// in counts (so small moves add up instead of rounding away).
    fn motion(&mut self, is_x: bool, v: i32) -> Option<InputEvent> {
        let (axis, last, rel) = if is_x {
            (self.x, &mut self.last.0, RelativeAxisCode::REL_X)
        } else {
            (self.y, &mut self.last.1, RelativeAxisCode::REL_Y)
        };
        let span = (i64::from(axis.max) - i64::from(axis.min)).max(1);
        let counts = (i64::from(v) - i64::from(axis.min)) * i64::from(TOUCHPAD_COUNTS) / span;
        let before = last.replace(counts as i32).filter(|_| self.touching)?;
        let d = counts as i32 - before;
        (d != 0).then(|| InputEvent::new(EventType::RELATIVE.0, rel.0, d))
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
        let mut s = Source::new(
            Axis { min: 0, max: 4095 },
            Axis { min: 0, max: 2047 },
            Kind::Direct,
        );
        assert!(s.absolute());
        let ev = |t: EventType, c: u16, v| InputEvent::new(t.0, c, v);
        let mut out = |e: InputEvent| {
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
            assert_eq!(out(dropped), None, "{dropped:?}");
        }
    }

    #[test]
    fn a_touchpad_moves_the_pointer_by_the_fingers_motion() {
        let mut s = Source::new(
            Axis { min: 0, max: 3200 },
            Axis { min: 0, max: 2000 },
            Kind::Touchpad,
        );
        assert!(!s.absolute());
        let (abs, key) = (EventType::ABSOLUTE, EventType::KEY);
        let mut feed = |t: EventType, c: u16, v| {
            s.translate(&InputEvent::new(t.0, c, v))
                .map(|o| (o.event_type(), o.code(), o.value()))
        };
        let (x, y) = (AbsoluteAxisCode::ABS_X.0, AbsoluteAxisCode::ABS_Y.0);
        let rel = EventType::RELATIVE;
        let (rx, ry) = (RelativeAxisCode::REL_X.0, RelativeAxisCode::REL_Y.0);
        // Hovering or before the touch: no motion. The touch itself is no click.
        assert_eq!(feed(abs, x, 100), None);
        assert_eq!(feed(key, KeyCode::BTN_TOUCH.code(), 1), None);
        // The first position of a touch only anchors it.
        assert_eq!(feed(abs, x, 1600), None);
        assert_eq!(feed(abs, y, 1000), None);
        // Half the pad's width to the right: half of TOUCHPAD_COUNTS.
        assert_eq!(feed(abs, x, 3200), Some((rel, rx, TOUCHPAD_COUNTS / 2)));
        assert_eq!(feed(abs, y, 500), Some((rel, ry, -(TOUCHPAD_COUNTS / 4))));
        // Counts follow the position (2 units a count here), so no move is lost to rounding.
        assert_eq!(feed(abs, x, 3199), Some((rel, rx, -1)));
        assert_eq!(feed(abs, x, 3198), None);
        assert_eq!(feed(abs, x, 3197), Some((rel, rx, -1)));
        // Lifted: moving does nothing; the pad's own button clicks.
        assert_eq!(feed(key, KeyCode::BTN_TOUCH.code(), 0), None);
        assert_eq!(feed(abs, x, 0), None);
        let left = KeyCode::BTN_LEFT.code();
        assert_eq!(feed(key, left, 1), Some((key, left, 1)));
        // A new touch anchors again: no jump from where the last one ended.
        assert_eq!(feed(key, KeyCode::BTN_TOUCH.code(), 1), None);
        assert_eq!(feed(abs, x, 2000), None);
        assert_eq!(feed(abs, x, 2400), Some((rel, rx, 200)));
    }
}
