//! The check-in steps with scripted keys, bad input at every step.

use std::time::{Duration, Instant};

use board_config::{CheckIn, ExamEntry, Language};

use super::*;

/// 2026-12-10T13:30:00Z, in ms.
const NOW: i64 = 1_796_909_400_000;

fn exam(code: &str, opens: Option<&str>) -> ExamEntry {
    ExamEntry {
        code: code.into(),
        title: format!("{code} final"),
        duration_minutes: 90,
        opens: opens.map(Into::into),
        closes: None,
        warn_minutes: Some(vec![10]),
    }
}

struct T {
    form: Form,
    gate: Gate,
    now: Instant,
}

impl T {
    fn new(roster: Vec<ExamEntry>) -> T {
        let checkin = CheckIn {
            student_pattern: "[0-9]{8}".into(),
            student_example: "20261234".into(),
            language: Language::English,
        };
        T {
            form: Form::new("hall-b-07", &checkin, roster),
            gate: Gate::new(&pin::hash("2468").unwrap()),
            now: Instant::now(),
        }
    }

    fn key(&mut self, k: Key) -> Outcome {
        self.form.on_key(k, &mut self.gate, self.now, NOW)
    }

    fn typed(&mut self, s: &str) -> Outcome {
        let mut last = Outcome::Nothing;
        for c in s.chars() {
            last = self.key(Key::Char(c));
        }
        assert_eq!(last, Outcome::Nothing);
        self.key(Key::Enter)
    }

    fn view(&self) -> View {
        self.form.view(&self.gate, self.now, NOW)
    }

    fn error(&self) -> String {
        self.view().error.unwrap_or_default()
    }
}

#[test]
fn a_whole_check_in_with_a_mistake_at_every_step() {
    let mut t = T::new(vec![
        exam("MATH101", None),
        exam("PHYS-2", None),
        exam("LATER", Some("2026-12-11T08:00:00Z")),
    ]);
    // The readiness card: anything but Enter does nothing.
    assert_eq!(t.key(Key::Char('x')), Outcome::Nothing);
    assert_eq!(t.form.step(), Step::Welcome);
    assert_eq!(t.view().verdict, Some(("READY".into(), true)));
    t.key(Key::Enter);
    assert_eq!(t.form.step(), Step::Student);

    // A number that does not match: a message with the example, the same step, an empty field.
    t.typed("1234");
    assert_eq!(t.form.step(), Step::Student);
    assert_eq!(
        t.error(),
        "\"1234\" is not a student number here. Example: 20261234"
    );
    assert_eq!(t.view().field.unwrap().1, "");
    // Backspace mends a typo.
    t.key(Key::Char('9'));
    t.key(Key::Backspace);
    t.typed("20260042");
    assert_eq!(t.form.step(), Step::Exam);

    // Only the open exams are offered; a code that is not open is refused by name.
    let v = t.view();
    assert_eq!(v.choices.len(), 2, "{:?}", v.choices);
    assert_eq!(v.selected, Some(0));
    t.typed("later");
    assert_eq!(t.error(), "No exam open now has the code LATER");
    assert_eq!(t.form.step(), Step::Exam);
    // Down picks the second; Enter checks in.
    t.key(Key::Down);
    assert_eq!(
        t.key(Key::Enter),
        Outcome::CheckedIn {
            student: "20260042".into(),
            exam: 1
        }
    );
    assert_eq!(t.form.exam().unwrap().code, "PHYS-2");
    assert_eq!(t.form.step(), Step::Proctor);
    assert!(t.view().lines.iter().any(|l| l.contains("PHYS-2")));

    // A wrong PIN: journaled by the flow, a message, the same step. Letters are not taken.
    t.key(Key::Char('a'));
    assert_eq!(t.view().field.unwrap().1, "");
    assert_eq!(
        t.typed("1111"),
        Outcome::PinRejected {
            attempts: 1,
            wait_secs: 0
        }
    );
    assert_eq!(t.error(), "Wrong PIN (1 in a row). Try again.");
    // The PIN shows as stars.
    t.key(Key::Char('2'));
    assert_eq!(t.view().field.unwrap().1, "*");
    t.key(Key::Backspace);
    assert_eq!(t.typed("2468"), Outcome::Approved);
    assert_eq!(t.form.step(), Step::Notice);
    assert_eq!(t.key(Key::Char('q')), Outcome::Nothing);
    assert_eq!(t.key(Key::Enter), Outcome::Acknowledged);
}

#[test]
fn esc_goes_back_and_cancels_after_check_in() {
    let mut t = T::new(vec![exam("MATH101", None)]);
    t.key(Key::Enter);
    t.key(Key::Escape);
    assert_eq!(t.form.step(), Step::Welcome);
    t.key(Key::Enter);
    t.typed("20260042");
    t.key(Key::Escape);
    assert_eq!(t.form.step(), Step::Student);
    t.typed("20260042");
    assert!(matches!(t.typed(""), Outcome::CheckedIn { exam: 0, .. }));
    assert_eq!(t.key(Key::Escape), Outcome::Cancelled);
    assert_eq!(t.form.step(), Step::Welcome);
    assert!(t.form.exam().is_none());
}

#[test]
fn no_open_exam_says_so_and_esc_still_works() {
    let mut t = T::new(vec![exam("LATER", Some("2026-12-11T08:00:00Z"))]);
    t.key(Key::Enter);
    t.typed("20260042");
    assert_eq!(
        t.view().error.as_deref(),
        Some("No exam can start at this station now. Please ask the proctor.")
    );
    assert_eq!(t.key(Key::Enter), Outcome::Nothing);
    assert_eq!(t.form.step(), Step::Exam);
    t.key(Key::Escape);
    assert_eq!(t.form.step(), Step::Student);
}

#[test]
fn a_station_that_must_not_be_used_says_why_and_does_not_start() {
    let mut t = T::new(vec![exam("MATH101", None)]);
    t.form.set_readiness(Readiness {
        lines: vec!["camera: FAIL".into()],
        blocked: Some("camera: no such device".into()),
        ..Default::default()
    });
    let v = t.view();
    assert_eq!(
        v.verdict,
        Some(("DO NOT USE: camera: no such device".into(), false))
    );
    t.key(Key::Enter);
    assert_eq!(t.form.step(), Step::Welcome);
    assert_eq!(
        t.error(),
        "This station cannot start exams: camera: no such device"
    );
}

#[test]
fn f3_shows_the_health_summary_and_any_key_goes_back() {
    let mut t = T::new(vec![exam("MATH101", None)]);
    t.key(Key::Function(3));
    assert_eq!(
        t.form.step(),
        Step::Welcome,
        "no report yet: F3 does nothing"
    );
    t.form.set_readiness(Readiness {
        qr: Some("exam-station health hall-b-07 camera=ok".into()),
        ..Default::default()
    });
    t.key(Key::Function(3));
    assert_eq!(t.form.step(), Step::Health);
    let v = t.view();
    assert_eq!(v.title, "HEALTH REPORT");
    assert_eq!(v.lines[1], "exam-station health hall-b-07 camera=ok");
    t.key(Key::Function(2));
    assert_eq!(t.view().title, "RAPPORT D'ÉTAT");
    t.key(Key::Char('x'));
    assert_eq!(t.form.step(), Step::Welcome);
}

#[test]
fn f2_switches_language_on_any_step_and_the_next_student_starts_in_the_sites() {
    let mut t = T::new(vec![exam("MATH101", None)]);
    t.key(Key::Function(2));
    assert_eq!(t.form.language(), Language::French);
    assert_eq!(t.view().verdict.unwrap().0, "PRÊT");
    t.key(Key::Enter);
    t.typed("12");
    assert!(
        t.error().contains("n'est pas un numéro d'étudiant"),
        "{}",
        t.error()
    );
    t.typed("20260042");
    t.typed("");
    assert_eq!(t.view().title, "SURVEILLANT");
    t.key(Key::Escape);
    assert_eq!(t.form.language(), Language::English);
}

#[test]
fn pins_wait_after_three_wrong_and_the_wait_is_shown() {
    let mut t = T::new(vec![exam("MATH101", None)]);
    t.key(Key::Enter);
    t.typed("20260042");
    t.typed("");
    for _ in 0..3 {
        t.typed("0000");
    }
    assert_eq!(
        t.typed("0000"),
        Outcome::PinRejected {
            attempts: 4,
            wait_secs: 30
        }
    );
    t.now += Duration::from_secs(5);
    // The right PIN during the wait is not checked; the screen says how long is left.
    assert_eq!(t.typed("2468"), Outcome::Nothing);
    assert_eq!(
        t.error(),
        "Too many wrong PINs: wait 25 s before the next try."
    );
    t.now += Duration::from_secs(25);
    assert_eq!(t.typed("2468"), Outcome::Approved);
}

#[test]
fn the_resume_offer_takes_f5_and_the_proctors_pin() {
    let mut t = T::new(vec![exam("MATH101", None)]);
    assert_eq!(t.key(Key::Function(5)), Outcome::Nothing);
    assert_eq!(t.form.step(), Step::Welcome, "no offer: F5 does nothing");
    t.form.set_offer(Some(Offer {
        code: "MATH101".into(),
        title: "Calculus".into(),
        minutes_left: 42,
    }));
    let card = t.view();
    assert!(
        card.lines
            .iter()
            .any(|l| l.contains("MATH101") && l.contains("42 min left")),
        "{card:?}"
    );
    assert!(card.help.contains("F5"), "{}", card.help);
    t.key(Key::Function(5));
    assert_eq!(t.form.step(), Step::Resume);
    assert_eq!(t.key(Key::Escape), Outcome::Nothing);
    assert_eq!(t.form.step(), Step::Welcome, "Esc goes back");
    t.key(Key::Function(5));
    assert!(matches!(
        t.typed("12x34"),
        Outcome::PinRejected { attempts: 1, .. }
    ));
    assert!(t.error().contains("Wrong PIN"), "{}", t.error());
    assert_eq!(t.view().field.unwrap().1, "", "the wrong PIN is cleared");
    assert_eq!(t.typed("2468"), Outcome::Resume);
    t.key(Key::Function(2));
    assert!(t.view().title.contains("REPRENDRE"), "{}", t.view().title);
}
