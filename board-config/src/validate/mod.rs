//! Rules between and within fields, checked after the typed parse: ranges, formats, the
//! Linux camera rule, distinct GPIO pins, Canadian residency. Each returns the first problem.

mod board;
mod checkin;
mod host;
mod identity;
mod site;

pub(crate) use board::board;
pub use checkin::student_regex;
pub(crate) use identity::identity;
pub use site::EXAMPLE_RECIPIENT;
pub(crate) use site::{image_site, site};

use std::fmt::Display;

use crate::error::{ErrorKind, Problem};
use crate::path::FieldPath;

/// The outcome of one rule.
pub(crate) type Check = Result<(), Problem>;

/// An [`ErrorKind::InvalidValue`] problem at `path`.
pub(crate) fn invalid(
    path: FieldPath,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> Problem {
    Problem::new(ErrorKind::InvalidValue, path, message).hint(hint)
}

/// An [`ErrorKind::MissingField`] problem at `path` (required by another field's value).
pub(crate) fn missing(
    path: FieldPath,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> Problem {
    Problem::new(ErrorKind::MissingField, path, message).hint(hint)
}

/// `value` must be within `lo..=hi`; `unit` describes it, e.g. "frames per second".
pub(crate) fn in_range<T: PartialOrd + Display>(
    path: &str,
    value: T,
    lo: T,
    hi: T,
    unit: &str,
) -> Check {
    in_range_at(FieldPath::of(path), value, lo, hi, unit)
}

/// Like [`in_range`], at a field path with indices (`exams[1].duration_minutes`).
pub(crate) fn in_range_at<T: PartialOrd + Display>(
    path: FieldPath,
    value: T,
    lo: T,
    hi: T,
    unit: &str,
) -> Check {
    if value >= lo && value <= hi {
        return Ok(());
    }
    Err(invalid(
        path.clone(),
        format!("`{path}` = {value} is out of range"),
        format!("valid: {lo} to {hi} ({unit})"),
    ))
}

/// A string field must not be empty (or only blanks).
pub(crate) fn not_empty(path: &FieldPath, value: &str, example: &str) -> Check {
    if value.trim().is_empty() {
        return Err(invalid(
            path.clone(),
            format!("`{path}` is empty"),
            format!("give a value, e.g. {example}"),
        ));
    }
    Ok(())
}

/// `value` is made only of characters allowed by `ok`, with a length in `1..=max`.
pub(crate) fn is_name(value: &str, max: usize, ok: impl Fn(char) -> bool) -> bool {
    let n = value.chars().count();
    (1..=max).contains(&n) && value.chars().all(ok)
}

/// Shows a user's value in a message, shortened so one value cannot flood the screen.
pub(crate) fn shown(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() <= MAX {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head:?}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(in_range("camera.framerate", 30u32, 1, 120, "fps").is_ok());
        let p = in_range("camera.framerate", 0u32, 1, 120, "frames per second").unwrap_err();
        assert_eq!(p.message, "`camera.framerate` = 0 is out of range");
        assert_eq!(
            p.hint.as_deref(),
            Some("valid: 1 to 120 (frames per second)")
        );
        assert!(not_empty(&FieldPath::of("a"), "  ", "\"x\"").is_err());
        assert!(is_name("abc", 3, |c| c.is_ascii_lowercase()));
        assert!(!is_name("", 3, |_| true));
        assert_eq!(shown(&"x".repeat(100)).len(), 65);
    }
}
