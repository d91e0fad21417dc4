//! Which key events may reach the exam shell: modifier state and the blocked combinations.
//!
//! Pure logic, no device: [`Combos::key`] is fed every key event (press 1, release 0, repeat 2)
//! in the order the grabbed devices produced them and answers pass or drop. A blocked press
//! drops the key's press, its repeats and its release; a key whose press was forwarded always
//! gets its release forwarded, so the virtual device never keeps a key (or a modifier) down.
//!
//! Built-in blocked list (on top of the site's `exam.blocked_combinations`):
//! - `Alt+F1..F12` with or without `Ctrl` (Ctrl+Alt+Fn switches VTs under a compositor, Alt+Fn
//!   on a text console), and `Alt+F4`;
//! - `Ctrl+Alt+Delete` (also keypad `.`), `Ctrl+Alt+Backspace`;
//! - `SysRq`/`PrintScreen` (one key on PC keyboards, with or without Alt) and `Print`;
//! - `Super`/`Meta` left and right, alone or with anything;
//! - `Alt+Tab`;
//! - the power, sleep, suspend, wake-up and reboot keys, alone or with anything (logind in the
//!   image ignores them too; here each press is journaled).

use std::collections::BTreeSet;

use evdev::KeyCode;

/// A set of modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mods(u8);

impl Mods {
    /// Either Ctrl key.
    pub const CTRL: Mods = Mods(1);
    /// Either Alt key (AltGr included).
    pub const ALT: Mods = Mods(2);
    /// Either Shift key.
    pub const SHIFT: Mods = Mods(4);
    /// Either Super (Meta, "Windows") key.
    pub const SUPER: Mods = Mods(8);

    /// Whether every modifier of `other` is in `self`.
    pub fn contains(self, other: Mods) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets together.
    pub fn with(self, other: Mods) -> Mods {
        Mods(self.0 | other.0)
    }
}

/// Modifier keys and the modifier each stands for.
const MODIFIER_KEYS: &[(KeyCode, Mods)] = &[
    (KeyCode::KEY_LEFTCTRL, Mods::CTRL),
    (KeyCode::KEY_RIGHTCTRL, Mods::CTRL),
    (KeyCode::KEY_LEFTALT, Mods::ALT),
    (KeyCode::KEY_RIGHTALT, Mods::ALT),
    (KeyCode::KEY_LEFTSHIFT, Mods::SHIFT),
    (KeyCode::KEY_RIGHTSHIFT, Mods::SHIFT),
    (KeyCode::KEY_LEFTMETA, Mods::SUPER),
    (KeyCode::KEY_RIGHTMETA, Mods::SUPER),
];

/// The modifier `code` stands for, if it is a modifier key.
pub(crate) fn modifier(code: u16) -> Option<Mods> {
    MODIFIER_KEYS
        .iter()
        .find(|(k, _)| k.code() == code)
        .map(|(_, m)| *m)
}

/// Letters A-Z in order.
const LETTERS: [KeyCode; 26] = [
    KeyCode::KEY_A,
    KeyCode::KEY_B,
    KeyCode::KEY_C,
    KeyCode::KEY_D,
    KeyCode::KEY_E,
    KeyCode::KEY_F,
    KeyCode::KEY_G,
    KeyCode::KEY_H,
    KeyCode::KEY_I,
    KeyCode::KEY_J,
    KeyCode::KEY_K,
    KeyCode::KEY_L,
    KeyCode::KEY_M,
    KeyCode::KEY_N,
    KeyCode::KEY_O,
    KeyCode::KEY_P,
    KeyCode::KEY_Q,
    KeyCode::KEY_R,
    KeyCode::KEY_S,
    KeyCode::KEY_T,
    KeyCode::KEY_U,
    KeyCode::KEY_V,
    KeyCode::KEY_W,
    KeyCode::KEY_X,
    KeyCode::KEY_Y,
    KeyCode::KEY_Z,
];

/// Digits 0-9 in order.
const DIGITS: [KeyCode; 10] = [
    KeyCode::KEY_0,
    KeyCode::KEY_1,
    KeyCode::KEY_2,
    KeyCode::KEY_3,
    KeyCode::KEY_4,
    KeyCode::KEY_5,
    KeyCode::KEY_6,
    KeyCode::KEY_7,
    KeyCode::KEY_8,
    KeyCode::KEY_9,
];

/// F1-F24 in order.
pub const FUNCTION_KEYS: [KeyCode; 24] = [
    KeyCode::KEY_F1,
    KeyCode::KEY_F2,
    KeyCode::KEY_F3,
    KeyCode::KEY_F4,
    KeyCode::KEY_F5,
    KeyCode::KEY_F6,
    KeyCode::KEY_F7,
    KeyCode::KEY_F8,
    KeyCode::KEY_F9,
    KeyCode::KEY_F10,
    KeyCode::KEY_F11,
    KeyCode::KEY_F12,
    KeyCode::KEY_F13,
    KeyCode::KEY_F14,
    KeyCode::KEY_F15,
    KeyCode::KEY_F16,
    KeyCode::KEY_F17,
    KeyCode::KEY_F18,
    KeyCode::KEY_F19,
    KeyCode::KEY_F20,
    KeyCode::KEY_F21,
    KeyCode::KEY_F22,
    KeyCode::KEY_F23,
    KeyCode::KEY_F24,
];

/// Named keys of the site file (board-config's list) and their codes.
const NAMED: &[(&str, KeyCode)] = &[
    ("Tab", KeyCode::KEY_TAB),
    ("Escape", KeyCode::KEY_ESC),
    ("Enter", KeyCode::KEY_ENTER),
    ("Space", KeyCode::KEY_SPACE),
    ("Backspace", KeyCode::KEY_BACKSPACE),
    ("Delete", KeyCode::KEY_DELETE),
    ("Insert", KeyCode::KEY_INSERT),
    ("Home", KeyCode::KEY_HOME),
    ("End", KeyCode::KEY_END),
    ("PageUp", KeyCode::KEY_PAGEUP),
    ("PageDown", KeyCode::KEY_PAGEDOWN),
    ("Left", KeyCode::KEY_LEFT),
    ("Right", KeyCode::KEY_RIGHT),
    ("Up", KeyCode::KEY_UP),
    ("Down", KeyCode::KEY_DOWN),
    ("Print", KeyCode::KEY_SYSRQ),
    ("Minus", KeyCode::KEY_MINUS),
    ("Equal", KeyCode::KEY_EQUAL),
    ("Comma", KeyCode::KEY_COMMA),
    ("Period", KeyCode::KEY_DOT),
    ("Slash", KeyCode::KEY_SLASH),
    ("Backslash", KeyCode::KEY_BACKSLASH),
    ("Semicolon", KeyCode::KEY_SEMICOLON),
    ("Apostrophe", KeyCode::KEY_APOSTROPHE),
    ("Grave", KeyCode::KEY_GRAVE),
    ("LeftBracket", KeyCode::KEY_LEFTBRACE),
    ("RightBracket", KeyCode::KEY_RIGHTBRACE),
];

/// The evdev code of a key name of the site file (`A`, `7`, `F4`, `Tab`...).
pub fn key_code(name: &str) -> Option<u16> {
    let b = name.as_bytes();
    if b.len() == 1 && b[0].is_ascii_uppercase() {
        return Some(LETTERS[(b[0] - b'A') as usize].code());
    }
    if b.len() == 1 && b[0].is_ascii_digit() {
        return Some(DIGITS[(b[0] - b'0') as usize].code());
    }
    if let Some(n) = name.strip_prefix('F').and_then(|n| n.parse::<usize>().ok()) {
        return (1..=24).contains(&n).then(|| FUNCTION_KEYS[n - 1].code());
    }
    NAMED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, k)| k.code())
}

/// A readable name for a key code, for the journal (`F2`, `Delete`, `KEY_KPDOT`).
pub fn key_name(code: u16) -> String {
    if let Some(i) = LETTERS.iter().position(|k| k.code() == code) {
        return ((b'A' + i as u8) as char).to_string();
    }
    if let Some(i) = DIGITS.iter().position(|k| k.code() == code) {
        return i.to_string();
    }
    if let Some(i) = FUNCTION_KEYS.iter().position(|k| k.code() == code) {
        return format!("F{}", i + 1);
    }
    if code == KeyCode::KEY_SYSRQ.code() {
        return "SysRq".into();
    }
    if code == KeyCode::KEY_PRINT.code() {
        return "PrintKey".into();
    }
    if code == KeyCode::KEY_LEFTMETA.code() || code == KeyCode::KEY_RIGHTMETA.code() {
        return "Super".into();
    }
    if let Some((n, _)) = NAMED.iter().find(|(_, k)| k.code() == code) {
        return (*n).into();
    }
    format!("{:?}", KeyCode::new(code))
}

/// `Ctrl+Alt+F2`: the held modifiers (Super last) and the key.
fn label(mods: Mods, code: u16) -> String {
    let mut s = String::new();
    for (m, n) in [
        (Mods::CTRL, "Ctrl+"),
        (Mods::ALT, "Alt+"),
        (Mods::SHIFT, "Shift+"),
        (Mods::SUPER, "Super+"),
    ] {
        if mods.contains(m) && !(m == Mods::SUPER && modifier(code) == Some(Mods::SUPER)) {
            s.push_str(n);
        }
    }
    s.push_str(&key_name(code));
    s
}

/// One blocked combination: the key, pressed while at least these modifiers are held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combo {
    /// Modifiers that must be held (more may be).
    pub mods: Mods,
    /// The key's evdev code.
    pub key: u16,
}

/// Parses a site combination `Mod+...+Key` (`Ctrl+Shift+I`); the error names the part.
pub fn parse(combo: &str) -> Result<Combo, String> {
    let parts: Vec<&str> = combo.split('+').collect();
    let (key, modifiers) = parts
        .split_last()
        .ok_or_else(|| format!("key combination `{combo}` is empty"))?;
    let mut mods = Mods::default();
    for m in modifiers {
        mods = mods.with(match *m {
            "Ctrl" => Mods::CTRL,
            "Alt" => Mods::ALT,
            "Shift" => Mods::SHIFT,
            "Super" => Mods::SUPER,
            _ => return Err(format!("`{m}` in `{combo}` is not a modifier")),
        });
    }
    let key = key_code(key).ok_or_else(|| format!("`{key}` in `{combo}` is not a key name"))?;
    Ok(Combo { mods, key })
}

/// Whether the built-in list blocks `code` pressed with `mods` held.
fn built_in(mods: Mods, code: u16) -> bool {
    let is = |k: KeyCode| k.code() == code;
    let fkey = FUNCTION_KEYS[..12].iter().any(|k| k.code() == code);
    let ctrl_alt = mods.contains(Mods::CTRL.with(Mods::ALT));
    let power = [
        KeyCode::KEY_POWER,
        KeyCode::KEY_POWER2,
        KeyCode::KEY_SLEEP,
        KeyCode::KEY_SUSPEND,
        KeyCode::KEY_WAKEUP,
        KeyCode::KEY_RESTART,
    ];
    mods.contains(Mods::SUPER)
        || power.iter().any(|k| is(*k))
        || modifier(code) == Some(Mods::SUPER)
        || is(KeyCode::KEY_SYSRQ)
        || is(KeyCode::KEY_PRINT)
        || (mods.contains(Mods::ALT) && (fkey || is(KeyCode::KEY_TAB)))
        || (ctrl_alt
            && (is(KeyCode::KEY_DELETE) || is(KeyCode::KEY_KPDOT) || is(KeyCode::KEY_BACKSPACE)))
}

/// The station's own keys during the exam: never passed to the exam shell, they go to the
/// station's exam flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StationKey {
    /// The student ends the exam (after a confirmation): `Ctrl+Alt+E`.
    End,
    /// The proctor ends the exam with the PIN: `Ctrl+Alt+P`.
    Proctor,
}

impl StationKey {
    /// Both keys and their combinations.
    pub const ALL: [(StationKey, &'static str); 2] = [
        (StationKey::End, "Ctrl+Alt+E"),
        (StationKey::Proctor, "Ctrl+Alt+P"),
    ];

    /// The combination, as the screens name it.
    pub fn combination(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, c)| *c)
            .unwrap_or("")
    }
}

/// What to do with one key event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Re-emit it.
    Pass,
    /// Drop it silently (the rest of an already reported attempt).
    Drop,
    /// Drop it and report this attempt (e.g. `Ctrl+Alt+F2`).
    Block(String),
    /// Drop it: it is one of the station's own keys.
    Station(StationKey),
}

/// The filter's key state: modifiers held, keys forwarded down, keys swallowed.
#[derive(Debug, Clone, Default)]
pub struct Combos {
    site: Vec<Combo>,
    held: BTreeSet<u16>,
    forwarded: BTreeSet<u16>,
    swallowed: BTreeSet<u16>,
}

impl Combos {
    /// The built-in list plus the site's `exam.blocked_combinations`.
    pub fn new(site: &[String]) -> Result<Combos, String> {
        Ok(Combos {
            site: site.iter().map(|c| parse(c)).collect::<Result<_, _>>()?,
            ..Combos::default()
        })
    }

    /// Modifiers held now (physically, whether forwarded or not).
    pub fn mods(&self) -> Mods {
        self.held
            .iter()
            .filter_map(|c| modifier(*c))
            .fold(Mods::default(), Mods::with)
    }

    /// The station key `code` completes with the modifiers held now (exactly those), if any.
    fn station_key(&self, code: u16) -> Option<StationKey> {
        let mods = self.mods();
        StationKey::ALL.iter().find_map(|(k, combo)| {
            let c = parse(combo).ok()?;
            (c.key == code && mods == c.mods).then_some(*k)
        })
    }

    fn blocked(&self, code: u16) -> bool {
        let mods = self.mods();
        built_in(mods, code)
            || self
                .site
                .iter()
                .any(|c| c.key == code && mods.contains(c.mods))
    }

    /// Keeps the held modifiers up to date with key `code` going to `value`.
    fn track(&mut self, code: u16, value: i32) {
        if modifier(code).is_some() {
            if value == 0 {
                self.held.remove(&code);
            } else {
                self.held.insert(code);
            }
        }
    }

    /// While the station takes every key (a question over the kiosk): key `code` with `value`
    /// goes to the station; returns whether it must still reach the exam shell, which is only
    /// the release of a key the shell saw pressed (so nothing sticks there). A key pressed now
    /// stays the station's until released, even if the question closes first.
    pub fn divert(&mut self, code: u16, value: i32) -> bool {
        self.track(code, value);
        if value == 0 {
            self.swallowed.remove(&code);
            return self.forwarded.remove(&code);
        }
        if !self.forwarded.contains(&code) {
            self.swallowed.insert(code);
        }
        false
    }

    /// Decides on key `code` with `value` 1 (press), 0 (release) or 2 (repeat).
    pub fn key(&mut self, code: u16, value: i32) -> Verdict {
        self.track(code, value);
        if value == 0 {
            // A forwarded press gets its release; a swallowed one does not.
            return if self.forwarded.remove(&code) {
                self.swallowed.remove(&code);
                Verdict::Pass
            } else if self.swallowed.remove(&code) {
                Verdict::Drop
            } else {
                Verdict::Pass
            };
        }
        if self.swallowed.contains(&code) {
            return Verdict::Drop;
        }
        if value == 1 {
            if let Some(k) = self.station_key(code) {
                self.swallowed.insert(code);
                return Verdict::Station(k);
            }
        }
        if self.blocked(code) {
            self.swallowed.insert(code);
            return Verdict::Block(label(self.mods(), code));
        }
        if value == 1 {
            self.forwarded.insert(code);
        }
        Verdict::Pass
    }
}

#[cfg(test)]
#[path = "combo_tests.rs"]
mod tests;
