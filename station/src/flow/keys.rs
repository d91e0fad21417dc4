//! Keys as the station's own screens read them: evdev key events (from any keyboard, campus-card
//! or barcode reader) turned into characters and editing keys, with Shift applied.
//!
//! Pure logic: [`Keyboard::event`] is fed key events in order and returns what a press means.
//! The layout is US QWERTY: the screens only ever ask for student numbers, exam codes and PINs,
//! which are letters, digits and `-`.

use evdev::KeyCode;

use crate::lockdown::combo::{key_name, modifier, Mods};

/// What a key press means to a station screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character (letters with Shift applied, digits, `-`, `.`, space).
    Char(char),
    /// Enter (main or keypad): confirm.
    Enter,
    /// Backspace: delete the last character.
    Backspace,
    /// Escape: go back one step.
    Escape,
    /// Up arrow: previous choice.
    Up,
    /// Down arrow or Tab: next choice.
    Down,
    /// A function key, 1 to 12.
    Function(u8),
}

/// evdev event type of keys.
const EV_KEY: u16 = 1;

/// Keypad keys that type a character.
const KEYPAD: &[(KeyCode, char)] = &[
    (KeyCode::KEY_KP0, '0'),
    (KeyCode::KEY_KP1, '1'),
    (KeyCode::KEY_KP2, '2'),
    (KeyCode::KEY_KP3, '3'),
    (KeyCode::KEY_KP4, '4'),
    (KeyCode::KEY_KP5, '5'),
    (KeyCode::KEY_KP6, '6'),
    (KeyCode::KEY_KP7, '7'),
    (KeyCode::KEY_KP8, '8'),
    (KeyCode::KEY_KP9, '9'),
    (KeyCode::KEY_KPMINUS, '-'),
    (KeyCode::KEY_KPDOT, '.'),
];

/// Tracks the modifiers of one stream of key events and translates presses.
#[derive(Debug, Default)]
pub struct Keyboard {
    held: Vec<(u16, Mods)>,
}

impl Keyboard {
    /// A keyboard with nothing held.
    pub fn new() -> Keyboard {
        Keyboard::default()
    }

    /// The modifiers held now.
    pub fn mods(&self) -> Mods {
        self.held
            .iter()
            .fold(Mods::default(), |all, (_, m)| all.with(*m))
    }

    /// One evdev event (`kind`, `code`, `value`: 1 press, 0 release, 2 repeat); returns the key
    /// a press or repeat means, if any. Presses with Ctrl, Alt or Super held mean nothing here.
    pub fn event(&mut self, kind: u16, code: u16, value: i32) -> Option<Key> {
        if kind != EV_KEY {
            return None;
        }
        if let Some(m) = modifier(code) {
            self.held.retain(|(c, _)| *c != code);
            if value != 0 {
                self.held.push((code, m));
            }
            return None;
        }
        if value == 0 {
            return None;
        }
        let mods = self.mods();
        if mods.contains(Mods::CTRL) || mods.contains(Mods::ALT) || mods.contains(Mods::SUPER) {
            return None;
        }
        translate(code, mods.contains(Mods::SHIFT))
    }
}

fn translate(code: u16, shift: bool) -> Option<Key> {
    let is = |k: KeyCode| k.code() == code;
    if is(KeyCode::KEY_ENTER) || is(KeyCode::KEY_KPENTER) {
        return Some(Key::Enter);
    }
    if let Some((_, c)) = KEYPAD.iter().find(|(k, _)| is(*k)) {
        return Some(Key::Char(*c));
    }
    let name = key_name(code);
    let key = match name.as_str() {
        "Backspace" => Key::Backspace,
        "Escape" => Key::Escape,
        "Up" => Key::Up,
        "Down" | "Tab" => Key::Down,
        "Space" => Key::Char(' '),
        "Minus" if !shift => Key::Char('-'),
        "Period" if !shift => Key::Char('.'),
        _ => {
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_uppercase() => {
                    Key::Char(if shift { c } else { c.to_ascii_lowercase() })
                }
                (Some(c), None) if c.is_ascii_digit() && !shift => Key::Char(c),
                (Some('F'), Some(_)) => match name[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => Key::Function(n),
                    _ => return None,
                },
                _ => return None,
            }
        }
    };
    Some(key)
}

/// The key events that type `text` on a US keyboard (test scripts and
/// `stationctl exam simulate` type through the same path as a person).
pub fn typing(text: &str) -> Vec<(u16, i32)> {
    let mut out = Vec::new();
    let shift = KeyCode::KEY_LEFTSHIFT.code();
    for c in text.chars() {
        let upper = c.is_ascii_uppercase();
        let name = match c {
            '-' => "Minus".to_string(),
            '.' => "Period".to_string(),
            ' ' => "Space".to_string(),
            c => c.to_ascii_uppercase().to_string(),
        };
        let Some(code) = crate::lockdown::combo::key_code(&name) else {
            continue;
        };
        if upper {
            out.push((shift, 1));
        }
        out.extend([(code, 1), (code, 0)]);
        if upper {
            out.push((shift, 0));
        }
    }
    out
}

/// The press and release of one named key (`Enter`, `Escape`, `Down`, `F2`...).
pub fn press(name: &str) -> Vec<(u16, i32)> {
    crate::lockdown::combo::key_code(name)
        .map(|c| vec![(c, 1), (c, 0)])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(events: &[(u16, i32)]) -> Vec<Key> {
        let mut kb = Keyboard::new();
        events
            .iter()
            .filter_map(|(c, v)| kb.event(EV_KEY, *c, *v))
            .collect()
    }

    #[test]
    fn typing_reads_back_as_typed() {
        let text = "Ab-12.x Z9";
        let got: String = keys(&typing(text))
            .into_iter()
            .map(|k| match k {
                Key::Char(c) => c,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, text);
    }

    #[test]
    fn editing_keys_and_keypad() {
        let mut ev = press("Enter");
        ev.extend(press("Backspace"));
        ev.extend(press("Escape"));
        ev.extend(press("Tab"));
        ev.extend(press("Up"));
        ev.extend(press("F2"));
        ev.extend([
            (KeyCode::KEY_KP7.code(), 1),
            (KeyCode::KEY_KPENTER.code(), 1),
        ]);
        assert_eq!(
            keys(&ev),
            [
                Key::Enter,
                Key::Backspace,
                Key::Escape,
                Key::Down,
                Key::Up,
                Key::Function(2),
                Key::Char('7'),
                Key::Enter
            ]
        );
    }

    #[test]
    fn repeats_type_and_combinations_do_not() {
        let a = KeyCode::KEY_A.code();
        let ctrl = KeyCode::KEY_LEFTCTRL.code();
        let ev = [
            (a, 1),
            (a, 2),
            (a, 0),
            (ctrl, 1),
            (a, 1),
            (a, 0),
            (ctrl, 0),
            (a, 1),
        ];
        assert_eq!(keys(&ev), [Key::Char('a'); 3]);
        // Relative motion and other event types mean nothing.
        assert_eq!(Keyboard::new().event(2, 0, 5), None);
    }
}
