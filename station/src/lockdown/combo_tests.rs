//! The key filter's decisions, combination by combination.

use super::*;

const PRESS: i32 = 1;
const RELEASE: i32 = 0;
const REPEAT: i32 = 2;

fn k(key: KeyCode) -> u16 {
    key.code()
}

/// Feeds `(key, value)` events; returns the ones passed and the attempts reported.
fn feed(c: &mut Combos, events: &[(KeyCode, i32)]) -> (Vec<(u16, i32)>, Vec<String>) {
    let (mut out, mut blocked) = (Vec::new(), Vec::new());
    for (key, v) in events {
        match c.key(k(*key), *v) {
            Verdict::Pass => out.push((k(*key), *v)),
            Verdict::Drop | Verdict::Station(_) => {}
            Verdict::Block(b) => blocked.push(b),
        }
    }
    (out, blocked)
}

/// Presses `keys` in order and releases them in reverse.
fn chord(keys: &[KeyCode]) -> Vec<(KeyCode, i32)> {
    let mut v: Vec<_> = keys.iter().map(|k| (*k, PRESS)).collect();
    v.extend(keys.iter().rev().map(|k| (*k, RELEASE)));
    v
}

#[test]
fn ctrl_alt_f2_drops_only_f2_and_releases_every_forwarded_modifier() {
    let mut c = Combos::new(&[]).unwrap();
    let (out, blocked) = feed(
        &mut c,
        &chord(&[KeyCode::KEY_LEFTCTRL, KeyCode::KEY_LEFTALT, KeyCode::KEY_F2]),
    );
    assert_eq!(blocked, vec!["Ctrl+Alt+F2"]);
    assert_eq!(
        out,
        vec![
            (k(KeyCode::KEY_LEFTCTRL), PRESS),
            (k(KeyCode::KEY_LEFTALT), PRESS),
            (k(KeyCode::KEY_LEFTALT), RELEASE),
            (k(KeyCode::KEY_LEFTCTRL), RELEASE),
        ]
    );
    assert_eq!(c.mods(), Mods::default());
}

#[test]
fn every_built_in_combination_is_blocked_once() {
    use KeyCode as K;
    let mut cases: Vec<(Vec<KeyCode>, String)> = Vec::new();
    for (i, f) in FUNCTION_KEYS[..12].iter().enumerate() {
        cases.push((
            vec![K::KEY_RIGHTCTRL, K::KEY_LEFTALT, *f],
            format!("Ctrl+Alt+F{}", i + 1),
        ));
    }
    cases.extend([
        (
            vec![K::KEY_LEFTCTRL, K::KEY_LEFTALT, K::KEY_DELETE],
            "Ctrl+Alt+Delete".into(),
        ),
        (
            vec![K::KEY_LEFTCTRL, K::KEY_RIGHTALT, K::KEY_KPDOT],
            "Ctrl+Alt+KEY_KPDOT".into(),
        ),
        (
            vec![K::KEY_LEFTCTRL, K::KEY_LEFTALT, K::KEY_BACKSPACE],
            "Ctrl+Alt+Backspace".into(),
        ),
        (vec![K::KEY_LEFTALT, K::KEY_SYSRQ], "Alt+SysRq".into()),
        (vec![K::KEY_SYSRQ], "SysRq".into()),
        (vec![K::KEY_PRINT], "PrintKey".into()),
        (vec![K::KEY_LEFTMETA], "Super".into()),
        (vec![K::KEY_RIGHTMETA], "Super".into()),
        (vec![K::KEY_LEFTALT, K::KEY_TAB], "Alt+Tab".into()),
        (vec![K::KEY_LEFTALT, K::KEY_F4], "Alt+F4".into()),
        (vec![K::KEY_POWER], "KEY_POWER".into()),
        (vec![K::KEY_SLEEP], "KEY_SLEEP".into()),
        (vec![K::KEY_SUSPEND], "KEY_SUSPEND".into()),
        (vec![K::KEY_WAKEUP], "KEY_WAKEUP".into()),
        (vec![K::KEY_LEFTCTRL, K::KEY_POWER], "Ctrl+KEY_POWER".into()),
    ]);
    for (keys, want) in cases {
        let mut c = Combos::new(&[]).unwrap();
        let (out, blocked) = feed(&mut c, &chord(&keys));
        assert_eq!(blocked, vec![want.clone()], "{keys:?}");
        let last = k(*keys.last().unwrap());
        assert!(out.iter().all(|(code, _)| *code != last), "{want}: {out:?}");
    }
}

#[test]
fn super_with_anything_drops_both_and_reports_each_key() {
    let mut c = Combos::new(&[]).unwrap();
    let (out, blocked) = feed(&mut c, &chord(&[KeyCode::KEY_LEFTMETA, KeyCode::KEY_L]));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(blocked, vec!["Super", "Super+L"]);
}

#[test]
fn repeats_and_release_of_a_blocked_key_are_dropped_silently() {
    let mut c = Combos::new(&[]).unwrap();
    let (out, blocked) = feed(
        &mut c,
        &[
            (KeyCode::KEY_LEFTALT, PRESS),
            (KeyCode::KEY_TAB, PRESS),
            (KeyCode::KEY_TAB, REPEAT),
            (KeyCode::KEY_LEFTALT, RELEASE),
            (KeyCode::KEY_TAB, REPEAT),
            (KeyCode::KEY_TAB, RELEASE),
            (KeyCode::KEY_TAB, PRESS),
            (KeyCode::KEY_TAB, RELEASE),
        ],
    );
    assert_eq!(blocked, vec!["Alt+Tab"]);
    assert_eq!(
        out,
        vec![
            (k(KeyCode::KEY_LEFTALT), PRESS),
            (k(KeyCode::KEY_LEFTALT), RELEASE),
            (k(KeyCode::KEY_TAB), PRESS),
            (k(KeyCode::KEY_TAB), RELEASE),
        ]
    );
}

#[test]
fn a_key_held_before_the_modifiers_stops_repeating_but_is_released() {
    let mut c = Combos::new(&[]).unwrap();
    let (out, blocked) = feed(
        &mut c,
        &[
            (KeyCode::KEY_F2, PRESS),
            (KeyCode::KEY_LEFTCTRL, PRESS),
            (KeyCode::KEY_LEFTALT, PRESS),
            (KeyCode::KEY_F2, REPEAT),
            (KeyCode::KEY_F2, REPEAT),
            (KeyCode::KEY_F2, RELEASE),
        ],
    );
    assert_eq!(blocked, vec!["Ctrl+Alt+F2"]);
    assert_eq!(out.first(), Some(&(k(KeyCode::KEY_F2), PRESS)));
    assert_eq!(out.last(), Some(&(k(KeyCode::KEY_F2), RELEASE)));
    assert!(!out.contains(&(k(KeyCode::KEY_F2), REPEAT)));
}

#[test]
fn ordinary_typing_passes_unchanged() {
    let mut c = Combos::new(&["Ctrl+Shift+I".into()]).unwrap();
    let mut typed = chord(&[KeyCode::KEY_LEFTSHIFT, KeyCode::KEY_H]);
    typed.extend(chord(&[KeyCode::KEY_I]));
    typed.extend(chord(&[KeyCode::KEY_LEFTCTRL, KeyCode::KEY_C]));
    typed.extend(chord(&[KeyCode::KEY_F2]));
    typed.extend(chord(&[KeyCode::KEY_LEFTALT, KeyCode::KEY_F]));
    typed.extend(chord(&[KeyCode::KEY_LEFTCTRL, KeyCode::KEY_DELETE]));
    let (out, blocked) = feed(&mut c, &typed);
    assert!(blocked.is_empty(), "{blocked:?}");
    let want: Vec<_> = typed.iter().map(|(key, v)| (k(*key), *v)).collect();
    assert_eq!(out, want);
}

#[test]
fn site_combinations_block_with_their_modifiers_or_more() {
    let mut c = Combos::new(&["Ctrl+Shift+I".into(), "Ctrl+P".into()]).unwrap();
    let (_, blocked) = feed(
        &mut c,
        &chord(&[
            KeyCode::KEY_LEFTCTRL,
            KeyCode::KEY_RIGHTSHIFT,
            KeyCode::KEY_I,
        ]),
    );
    assert_eq!(blocked, vec!["Ctrl+Shift+I"]);
    let (_, blocked) = feed(
        &mut c,
        &chord(&[
            KeyCode::KEY_LEFTCTRL,
            KeyCode::KEY_LEFTSHIFT,
            KeyCode::KEY_P,
        ]),
    );
    assert_eq!(blocked, vec!["Ctrl+Shift+P"]);
    let (out, blocked) = feed(&mut c, &chord(&[KeyCode::KEY_LEFTCTRL, KeyCode::KEY_I]));
    assert!(blocked.is_empty());
    assert_eq!(out.len(), 4);
}

#[test]
fn parse_maps_every_site_key_name() {
    assert_eq!(
        parse("Ctrl+Shift+I").unwrap(),
        Combo {
            mods: Mods::CTRL.with(Mods::SHIFT),
            key: k(KeyCode::KEY_I)
        }
    );
    assert_eq!(parse("Alt+F24").unwrap().key, k(KeyCode::KEY_F24));
    assert_eq!(parse("Super+0").unwrap().key, k(KeyCode::KEY_0));
    assert_eq!(
        parse("Ctrl+RightBracket").unwrap().key,
        k(KeyCode::KEY_RIGHTBRACE)
    );
    assert!(parse("Hyper+A").unwrap_err().contains("`Hyper`"));
    assert!(parse("Ctrl+F25").unwrap_err().contains("`F25`"));
    for (name, code) in NAMED {
        assert_eq!(key_code(name), Some(code.code()), "{name}");
    }
}

#[test]
fn station_keys_go_to_the_station_with_exactly_their_modifiers() {
    use KeyCode as K;
    let mut c = Combos::new(&[]).unwrap();
    let (ctrl, alt) = (k(K::KEY_LEFTCTRL), k(K::KEY_RIGHTALT));
    assert_eq!(c.key(ctrl, PRESS), Verdict::Pass);
    assert_eq!(c.key(alt, PRESS), Verdict::Pass);
    assert_eq!(c.key(k(K::KEY_E), PRESS), Verdict::Station(StationKey::End));
    // Its repeats and release are swallowed, not reported.
    assert_eq!(c.key(k(K::KEY_E), REPEAT), Verdict::Drop);
    assert_eq!(c.key(k(K::KEY_E), RELEASE), Verdict::Drop);
    assert_eq!(
        c.key(k(K::KEY_P), PRESS),
        Verdict::Station(StationKey::Proctor)
    );
    assert_eq!(c.key(k(K::KEY_P), RELEASE), Verdict::Drop);
    // With Shift held too it is not the station's key: an ordinary key for the exam.
    c.key(k(K::KEY_LEFTSHIFT), PRESS);
    assert_eq!(c.key(k(K::KEY_E), PRESS), Verdict::Pass);
    assert_eq!(StationKey::End.combination(), "Ctrl+Alt+E");
}

#[test]
fn diverted_keys_stay_the_stations_and_only_forwarded_releases_pass() {
    use KeyCode as K;
    let mut c = Combos::new(&[]).unwrap();
    // Shift was down for the exam when the question opened: its release still reaches it.
    assert_eq!(c.key(k(K::KEY_LEFTSHIFT), PRESS), Verdict::Pass);
    assert!(!c.divert(k(K::KEY_X), PRESS));
    assert!(c.divert(k(K::KEY_LEFTSHIFT), RELEASE));
    // X pressed during the question and released after it closed: never the exam's.
    assert_eq!(c.key(k(K::KEY_X), RELEASE), Verdict::Drop);
    assert_eq!(c.mods(), Mods::default());
}
