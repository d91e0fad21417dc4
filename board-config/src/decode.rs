//! From text to typed value: TOML syntax errors and serde's schema errors, explained.
//!
//! serde reports schema problems as messages in fixed forms ("unknown field `x`, expected one
//! of ...", "missing field `x`", "invalid type: ..."); they are turned into [`ErrorKind`]s with
//! a hint saying what would be valid.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml_edit::ImDocument;

use crate::error::{ConfigError, ErrorKind, Problem};
use crate::locate::{find_exact_span, find_span, Target};
use crate::path::FieldPath;
use crate::schema;
use crate::suggest::valid_list;

/// Parses `text` as TOML and deserializes it into `T`.
///
/// Returns the typed value and the span-preserving document, for locating later errors.
pub(crate) fn decode<'t, T: DeserializeOwned>(
    text: &'t str,
    origin: &Path,
) -> Result<(T, ImDocument<&'t str>), ConfigError> {
    let doc = ImDocument::parse(text).map_err(|e| {
        let problem = Problem::new(
            ErrorKind::Syntax,
            FieldPath::root(),
            format!("invalid TOML: {}", e.message()),
        )
        .hint("see https://toml.io: `key = value`, strings in quotes, `[section]` headers");
        ConfigError::located(origin, text, e.span(), problem)
    })?;
    match serde_path_to_error::deserialize::<_, T>(toml::Deserializer::new(text)) {
        Ok(value) => Ok((value, doc)),
        Err(err) => {
            let path = FieldPath::from_serde(err.path());
            let inner = err.into_inner();
            let (problem, target) = explain(inner.message(), path);
            let span = match problem.kind {
                // serde points a missing field at its table; name the table's header instead.
                ErrorKind::MissingField => find_span(&doc, &problem.field.parent(), Target::Value),
                // Otherwise: the field itself, else where the TOML deserializer saw the problem, else
                // the closest enclosing table.
                _ => find_exact_span(&doc, &problem.field, target)
                    .or_else(|| inner.span())
                    .or_else(|| find_span(&doc, &problem.field, target)),
            };
            Err(ConfigError::located(
                origin,
                text,
                span.map(clamp(text)),
                problem,
            ))
        }
    }
}

/// Keeps a span inside the text.
fn clamp(text: &str) -> impl Fn(Range<usize>) -> Range<usize> + '_ {
    move |r| r.start.min(text.len())..r.end.min(text.len())
}

/// The names between backticks in `text`: "one of `a`, `b`" -> ["a", "b"].
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// The first backticked name in `text` and what follows its closing backtick.
fn first_backticked(text: &str) -> Option<(&str, &str)> {
    let (_, rest) = text.split_once('`')?;
    rest.split_once('`')
}

/// Turns serde's message about `path` into a problem and what its caret should point at.
pub(crate) fn explain(message: &str, path: FieldPath) -> (Problem, Target) {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return (unknown_field(rest, path), Target::Key);
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return (unknown_variant(rest, path), Target::Value);
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = first_backticked(rest).map_or(rest, |(name, _)| name);
        return (missing_field(path.key(name)), Target::Value);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        return (wrong_type(rest, path), Target::Value);
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (found, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, ""));
        let problem = Problem::new(
            ErrorKind::InvalidValue,
            path.clone(),
            format!(
                "invalid value for `{path}`: {} is out of range",
                found_value(found)
            ),
        )
        .hint(
            valid_hint(&path)
                .unwrap_or_else(|| format!("expected {}", describe_expected(expected))),
        );
        return (problem, Target::Value);
    }
    // Other messages come from the TOML deserializer itself, e.g. "wanted string or table".
    let kind = if message.contains("wanted") || message.contains("expected") {
        ErrorKind::WrongType
    } else {
        ErrorKind::InvalidValue
    };
    let text = if path.is_root() {
        message.to_owned()
    } else {
        format!("`{path}`: {message}")
    };
    let mut problem = Problem::new(kind, path.clone(), text);
    if let Some(hint) = valid_hint(&path) {
        problem = problem.hint(hint);
    }
    (problem, Target::Value)
}

fn unknown_field(rest: &str, path: FieldPath) -> Problem {
    let (name, expected) = first_backticked(rest).unwrap_or((rest, ""));
    let field = if path.last_key() == Some(name) {
        path
    } else {
        path.key(name)
    };
    let parent = field.parent();
    let place = if parent.is_root() {
        "at the top level".to_owned()
    } else {
        format!("in `{parent}`")
    };
    let valid = backticked(expected);
    let hint = if valid.is_empty() {
        format!("`{parent}` has no fields")
    } else {
        valid_list(name, &valid)
    };
    Problem::new(
        ErrorKind::UnknownField,
        field,
        format!("unknown field `{name}` {place}"),
    )
    .hint(hint)
}

fn unknown_variant(rest: &str, path: FieldPath) -> Problem {
    let (name, expected) = first_backticked(rest).unwrap_or((rest, ""));
    let valid = backticked(expected);
    Problem::new(
        ErrorKind::InvalidValue,
        path.clone(),
        format!("invalid value `{name}` for `{path}`"),
    )
    .hint(valid_list(name, &valid))
}

/// A required field or section that is absent; `field` is its full path.
pub(crate) fn missing_field(field: FieldPath) -> Problem {
    let key = field.schema_key();
    let name = field.last_key().unwrap_or_default().to_owned();
    let parent = field.parent();
    let doc = schema::field(&key);
    if doc.is_some_and(|d| d.example.starts_with('[')) {
        return Problem::new(
            ErrorKind::MissingField,
            field.clone(),
            format!("missing section `[{key}]`"),
        )
        .hint(schema::section_hint(&key));
    }
    let place = if parent.is_root() {
        "at the top level".to_owned()
    } else {
        format!("in `[{parent}]`")
    };
    let hint = match doc {
        Some(d) => format!("add `{}` ({})", d.example, d.valid),
        None => format!("add `{name} = ...`"),
    };
    Problem::new(
        ErrorKind::MissingField,
        field,
        format!("missing field `{name}` {place}"),
    )
    .hint(hint)
}

fn wrong_type(rest: &str, path: FieldPath) -> Problem {
    let (found, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, ""));
    let expected_words = describe_expected(expected);
    let message = format!(
        "wrong type for `{path}`: expected {expected_words}, found {}",
        describe_found(found)
    );
    let quoted_number = found
        .strip_prefix("string \"")
        .and_then(|s| s.strip_suffix('"'))
        .filter(|s| is_integer_type(expected) && s.trim().parse::<i64>().is_ok());
    let hint = match (quoted_number, path.last_key()) {
        (Some(number), Some(key)) => format!(
            "write the number without quotes: `{key} = {}`",
            number.trim()
        ),
        _ => valid_hint(&path).unwrap_or_else(|| format!("expected {expected_words}")),
    };
    Problem::new(ErrorKind::WrongType, path, message).hint(hint)
}

/// "valid: <values>, e.g. `<example>`" from the schema, if the field is known.
fn valid_hint(path: &FieldPath) -> Option<String> {
    schema::field(&path.schema_key()).map(|d| format!("valid: {}, e.g. `{}`", d.valid, d.example))
}

fn is_integer_type(expected: &str) -> bool {
    matches!(
        expected,
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "usize"
    )
}

/// serde's name of an expected type, in words.
fn describe_expected(expected: &str) -> String {
    let words = match expected {
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" => "a whole number",
        "a boolean" => "true or false",
        "a sequence" => "an array",
        "" => "another type",
        e if e.starts_with("struct ") => "a table",
        e if e.starts_with("enum ") => "a string",
        e => e,
    };
    words.to_owned()
}

/// serde's description of a found value, in words.
fn describe_found(found: &str) -> String {
    let (kind, value) = found.split_once(' ').unwrap_or((found, ""));
    match kind {
        "string" => format!("a string ({value})"),
        "integer" => format!("a number ({})", value.trim_matches('`')),
        "floating" => format!(
            "a decimal number ({})",
            value.trim_start_matches("point ").trim_matches('`')
        ),
        "boolean" => format!("a boolean ({})", value.trim_matches('`')),
        "map" => "a table".to_owned(),
        "sequence" => "an array".to_owned(),
        _ => found.to_owned(),
    }
}

/// The value inside serde's "integer `-1`".
fn found_value(found: &str) -> String {
    match first_backticked(found) {
        Some((value, _)) => value.to_owned(),
        None => found.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_serde_messages() {
        let (p, t) = explain(
            "unknown field `widht`, expected one of `device`, `match`, `format`, `width`",
            FieldPath::of("camera.widht"),
        );
        assert_eq!((p.kind, t), (ErrorKind::UnknownField, Target::Key));
        assert_eq!(p.message, "unknown field `widht` in `camera`");
        assert_eq!(
            p.hint.as_deref(),
            Some("valid: device, match, format, width (did you mean `width`?)")
        );

        let (p, _) = explain(
            "invalid type: string \"640\", expected u32",
            FieldPath::of("camera.width"),
        );
        assert_eq!(p.kind, ErrorKind::WrongType);
        assert_eq!(
            p.hint.as_deref(),
            Some("write the number without quotes: `width = 640`")
        );

        let (p, _) = explain("missing field `camera`", FieldPath::root());
        assert_eq!(p.kind, ErrorKind::MissingField);
        assert_eq!(p.field.to_string(), "camera");
        assert!(p
            .hint
            .as_deref()
            .unwrap_or_default()
            .starts_with("add a `[camera]` section with format"));

        let (p, _) = explain(
            "unknown variant `x265`, expected one of `x264`, `vp8`",
            FieldPath::of("encoders.video"),
        );
        assert_eq!(p.kind, ErrorKind::InvalidValue);
        assert_eq!(
            p.hint.as_deref(),
            Some("valid: x264, vp8 (did you mean `x264`?)")
        );

        let (p, _) = explain(
            "invalid value: integer `-1`, expected u32",
            FieldPath::of("camera.width"),
        );
        assert_eq!(p.kind, ErrorKind::InvalidValue);
        assert!(p.message.contains("-1"));
    }

    #[test]
    fn schema_lists_exactly_the_serde_fields() {
        // Feed each section an unknown field: serde answers with the real field list.
        let sections = [
            ("", "zzz = 1\n", true),
            ("board", "[board]\nzzz = 1\n", true),
            ("camera", "[camera]\nzzz = 1\n", true),
            ("camera.match", "[camera.match]\nzzz = 1\n", true),
            ("microphone", "[microphone]\nzzz = 1\n", true),
            ("input", "[input]\nzzz = 1\n", true),
            ("input.match", "[[input.match]]\nzzz = 1\n", true),
            ("display", "[display]\nzzz = 1\n", true),
            ("gpio", "[gpio]\nzzz = 1\n", true),
            ("encoders", "[encoders]\nzzz = 1\n", true),
            ("", "zzz = 1\n", false),
            ("station", "[station]\nzzz = 1\n", false),
            ("institution", "[institution]\nzzz = 1\n", false),
            ("exam", "[exam]\nzzz = 1\n", false),
            ("uplink", "[uplink]\nzzz = 1\n", false),
            ("storage", "[storage]\nzzz = 1\n", false),
            ("checkin", "[checkin]\nzzz = 1\n", false),
            ("proctor", "[proctor]\nzzz = 1\n", false),
            ("exams", "[[exams]]\nzzz = 1\n", false),
        ];
        for (section, text, board) in sections {
            let err = if board {
                decode::<crate::Board>(text, Path::new("t.toml")).err()
            } else {
                decode::<crate::Site>(text, Path::new("t.toml")).err()
            };
            let err = err.expect("unknown field must be refused");
            assert_eq!(err.kind(), ErrorKind::UnknownField, "{err}");
            let hint = err.hint().unwrap_or_default();
            let serde_fields: Vec<&str> = hint.trim_start_matches("valid: ").split(", ").collect();
            let schema_fields: Vec<&str> = schema::children(section)
                .map(|d| d.path.rsplit('.').next().unwrap_or(d.path))
                .collect();
            // The schema's top level holds the sections of both kinds of file.
            let schema_fields: Vec<&str> = if section.is_empty() {
                let own = if board {
                    [
                        "board",
                        "camera",
                        "microphone",
                        "input",
                        "display",
                        "gpio",
                        "encoders",
                    ]
                    .as_slice()
                } else {
                    [
                        "station",
                        "institution",
                        "exam",
                        "uplink",
                        "storage",
                        "checkin",
                        "proctor",
                        "exams",
                    ]
                    .as_slice()
                };
                schema_fields
                    .into_iter()
                    .filter(|f| own.contains(f))
                    .collect()
            } else {
                schema_fields
            };
            assert_eq!(serde_fields, schema_fields, "section `{section}`");
        }
    }
}
