//! Site files: `[checkin]`, `[proctor]` and `[[exams]]`, what students and proctors meet at the
//! station's own screen. Errors name the line and the field, entry by entry.

mod common;

use std::path::Path;

use board_config::{parse_site, ErrorKind, Language};
use common::{assert_error, assert_one_screen, site_err, SITE};

/// A well-formed argon2id hash (m=19456, t=2, p=1).
const HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Qk8W0fzPb8H8kY3oGTeI0BxT+B4w2TJzgH1HbTIWb4M";

/// The base site with `extra` appended; returns the text and the line `extra` starts on.
fn with(extra: &str) -> (String, usize) {
    let text = format!("{SITE}\n{extra}");
    (text, SITE.lines().count() + 2)
}

fn exams(entries: &[&str]) -> String {
    entries
        .iter()
        .map(|e| format!("[[exams]]\n{e}\n"))
        .collect::<Vec<_>>()
        .join("\n")
}

const MATH: &str = "code = \"MATH101\"\ntitle = \"Calculus I\"\nduration_minutes = 120";

#[test]
fn a_site_without_them_is_valid_and_has_no_exams() {
    let site = parse_site(SITE, Path::new("station.toml")).unwrap();
    assert!(site.exams.is_empty() && site.proctor.is_none());
    assert_eq!(site.checkin.language, Language::English);
}

#[test]
fn a_whole_check_in_section_parses() {
    let (text, _) = with(&format!(
        "[checkin]\nstudent_pattern = \"[A-Z][0-9]{{7}}\"\nstudent_example = \"A1234567\"\nlanguage = \"fr\"\n\n[proctor]\npin_hash = \"{HASH}\"\n\n{}",
        exams(&[
            MATH,
            "code = \"PHYS-2\"\ntitle = \"Physics\"\nduration_minutes = 90\nopens = \"2026-12-10T08:30:00-05:00\"\ncloses = \"2026-12-10T09:00:00-05:00\"\nwarn_minutes = [30, 5]",
        ])
    ));
    let site = parse_site(&text, Path::new("station.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(site.checkin.language, Language::French);
    assert_eq!(site.exams.len(), 2);
    assert_eq!(site.exams[0].warn_minutes, None);
    assert_eq!(site.exams[0].warnings(), vec![10, 1]);
    assert_eq!(site.exams[1].warnings(), vec![30, 5]);
    assert_eq!(site.exams[1].duration_secs(), 5400);
    let re = board_config::student_regex(&site.checkin.student_pattern).unwrap();
    assert!(re.is_match("B7654321") && !re.is_match("b7654321") && !re.is_match("B76543210"));
}

#[test]
fn a_bad_student_pattern_is_named() {
    let (text, line) = with("[checkin]\nstudent_pattern = \"[0-9\"");
    let err = site_err(&text);
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        line + 1,
        Some("checkin.student_pattern"),
    );
    assert!(err.message().contains("not a regular expression"), "{err}");
    assert_one_screen(&err);

    let (text, line) =
        with("[checkin]\nstudent_pattern = \"[0-9]{8}\"\nstudent_example = \"1234\"");
    let err = site_err(&text);
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        line + 2,
        Some("checkin.student_example"),
    );
}

#[test]
fn a_language_outside_the_list_is_refused() {
    let (text, line) = with("[checkin]\nlanguage = \"de\"");
    let err = site_err(&text);
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        line + 1,
        Some("checkin.language"),
    );
}

#[test]
fn a_pin_in_clear_is_refused() {
    let (text, line) = with("[proctor]\npin_hash = \"2468\"");
    let err = site_err(&text);
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        line + 1,
        Some("proctor.pin_hash"),
    );
    assert!(
        err.hint()
            .unwrap_or_default()
            .contains("stationctl pin hash"),
        "{err}"
    );
}

#[test]
fn a_one_minute_exam_gets_no_default_warning_it_cannot_have() {
    let (text, _) = with(&exams(&[
        "code = \"Q\"\ntitle = \"Quiz\"\nduration_minutes = 1",
    ]));
    let site = parse_site(&text, Path::new("station.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(site.exams[0].warnings().is_empty());
}

#[test]
fn exam_entries_are_checked_one_by_one() {
    // (the second entry's body, the field named, the line offset within that entry)
    let cases = [
        ("code = \"math 101\"\ntitle = \"x\"\nduration_minutes = 60", "exams[1].code", 1),
        ("code = \"B\"\ntitle = \" \"\nduration_minutes = 60", "exams[1].title", 2),
        ("code = \"B\"\ntitle = \"x\"\nduration_minutes = 0", "exams[1].duration_minutes", 3),
        ("code = \"B\"\ntitle = \"x\"\nduration_minutes = 60\nopens = \"tomorrow\"", "exams[1].opens", 4),
        (
            "code = \"B\"\ntitle = \"x\"\nduration_minutes = 60\nopens = \"2026-12-10T09:00:00Z\"\ncloses = \"2026-12-10T08:00:00Z\"",
            "exams[1].closes",
            5,
        ),
        ("code = \"B\"\ntitle = \"x\"\nduration_minutes = 60\nwarn_minutes = [10, 60]", "exams[1].warn_minutes[1]", 4),
        ("code = \"MATH101\"\ntitle = \"x\"\nduration_minutes = 60", "exams[1].code", 1),
    ];
    for (second, field, offset) in cases {
        let (text, line) = with(&exams(&[MATH, second]));
        let err = site_err(&text);
        // The second entry starts after the first (header + 3 lines) and a blank line.
        assert_error(
            &err,
            ErrorKind::InvalidValue,
            line + 5 + offset,
            Some(field),
        );
        assert_one_screen(&err);
    }
}
