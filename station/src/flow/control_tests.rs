//! The running exam's controls with scripted keys and a scripted clock.

use std::time::{Duration, Instant};

use board_config::Language;
use bundle::event::EndReason;
use evdev::KeyCode;

use super::*;
use crate::flow::keys::{press, typing};

fn gate() -> Gate {
    Gate::new(&pin::hash("2468").unwrap())
}

/// Feeds key events as the filter diverts them.
fn keys(c: &mut Control, g: &mut Gate, now: Instant, events: &[(u16, i32)]) -> Vec<Action> {
    events
        .iter()
        .flat_map(|(code, v)| c.input(StationInput::Raw(*code, *v), g, now))
        .collect()
}

const MIN: Duration = Duration::from_secs(60);

#[test]
fn the_badge_counts_down_and_warns_once_at_each_minute() {
    let mut c = Control::new(vec![1, 10], Language::English);
    let t = Instant::now();
    assert_eq!(c.tick(MIN * 30, t), vec![]);
    assert_eq!(c.overlay(MIN * 30).lines, vec!["REC 30:00"]);
    assert_eq!(c.tick(MIN * 10, t), vec![Action::Warned(10)]);
    let o = c.overlay(MIN * 10 - Duration::from_millis(1500));
    assert_eq!(o.lines, vec!["REC 09:59", "10 MIN LEFT"]);
    assert!(o.alert);
    // Shown once, then gone after a while.
    assert_eq!(c.tick(MIN * 9, t + Duration::from_secs(5)), vec![]);
    c.tick(MIN * 9, t + WARNING_SHOWN);
    assert!(!c.overlay(MIN * 9).alert);
    assert_eq!(c.tick(Duration::from_secs(59), t), vec![Action::Warned(1)]);
    assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
}

#[test]
fn warnings_already_passed_at_the_start_are_dropped_but_the_nearest_is_shown() {
    let mut c = Control::new(vec![30, 10, 1], Language::English);
    // An exam resumed with 8 minutes left: only the 10-minute warning is due now.
    assert_eq!(c.tick(MIN * 8, Instant::now()), vec![Action::Warned(10)]);
}

#[test]
fn the_student_ends_after_confirming_and_esc_goes_back() {
    let mut c = Control::new(vec![], Language::English);
    let mut g = gate();
    let t = Instant::now();
    assert_eq!(
        c.input(StationInput::Key(StationKey::End), &mut g, t),
        vec![Action::Divert(true)]
    );
    assert_eq!(c.overlay(MIN).lines[1], "End your exam now?");
    // Letters do nothing; Esc gives the keys back to the exam.
    assert_eq!(keys(&mut c, &mut g, t, &typing("x")), vec![]);
    assert_eq!(
        keys(&mut c, &mut g, t, &press("Escape")),
        vec![Action::Divert(false)]
    );
    assert!(!c.overlay(MIN).alert);
    c.input(StationInput::Key(StationKey::End), &mut g, t);
    assert_eq!(
        keys(&mut c, &mut g, t, &press("Enter")),
        vec![Action::Divert(false), Action::End(EndReason::Submitted)]
    );
}

#[test]
fn an_unanswered_question_gives_the_keyboard_back() {
    let mut c = Control::new(vec![], Language::English);
    let mut g = gate();
    let t = Instant::now();
    c.input(StationInput::Key(StationKey::End), &mut g, t);
    assert_eq!(c.tick(MIN, t + Duration::from_secs(5)), vec![]);
    assert_eq!(c.tick(MIN, t + QUESTION_OPEN), vec![Action::Divert(false)]);
    assert!(!c.overlay(MIN).alert);
}

#[test]
fn the_proctor_ends_with_the_pin_and_a_wrong_one_is_journaled() {
    let mut c = Control::new(vec![], Language::French);
    let mut g = gate();
    let t = Instant::now();
    c.input(StationInput::Key(StationKey::Proctor), &mut g, t);
    // The station keys do nothing while a question is open.
    assert_eq!(
        c.input(StationInput::Key(StationKey::End), &mut g, t),
        vec![]
    );
    let mut wrong = typing("1111");
    wrong.extend(press("Enter"));
    assert_eq!(
        keys(&mut c, &mut g, t, &wrong),
        vec![Action::PinRejected {
            attempts: 1,
            wait_secs: 0
        }]
    );
    let o = c.overlay(MIN);
    assert!(o.lines.iter().any(|l| l.starts_with("NIP erroné")), "{o:?}");
    // Digits show as stars; Shift+letters are not taken.
    let mut right = vec![(KeyCode::KEY_LEFTSHIFT.code(), 1)];
    right.extend(typing("a"));
    right.push((KeyCode::KEY_LEFTSHIFT.code(), 0));
    right.extend(typing("2468"));
    keys(&mut c, &mut g, t, &right);
    assert!(c.overlay(MIN).lines.iter().any(|l| l.ends_with(": ****_")));
    assert_eq!(
        keys(&mut c, &mut g, t, &press("Enter")),
        vec![Action::Divert(false), Action::End(EndReason::Proctor)]
    );
}

#[test]
fn a_call_and_an_open_case_are_on_the_badge() {
    let mut c = Control::new(vec![], Language::English);
    let t = Instant::now();
    c.alerts.called("hall-b-07", t);
    c.alerts.case(true);
    let o = c.overlay(MIN);
    assert!(o.alert, "drawn as an alert: {o:?}");
    assert_eq!(
        o.lines,
        [
            "REC 01:00",
            "PROCTOR CALLED TO hall-b-07",
            "CASE OPEN: JOURNALED"
        ]
    );
    c.tick(MIN, t + crate::flow::alerts::CALL_SHOWN);
    c.alerts.case(false);
    assert_eq!(c.overlay(MIN).lines, ["REC 01:00"]);
    assert!(!c.overlay(MIN).alert);
}
