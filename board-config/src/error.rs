//! [`ConfigError`]: one problem in one file, with where it is and what would be valid.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::locate::{position, snippet, Snippet};
use crate::path::FieldPath;

/// What kind of problem a [`ConfigError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The text is not valid TOML (e.g. `width 640` without `=`, an unclosed string).
    Syntax,
    /// A key the schema does not know (often a typo: `widht`).
    UnknownField,
    /// A value of the wrong TOML type (e.g. `width = "640"` where a number belongs).
    WrongType,
    /// A required field or section is absent (e.g. no `[camera]`, or an s3 uplink without `bucket`).
    MissingField,
    /// A value of the right type but outside what is allowed (e.g. `framerate = 0`, gpio pin 40).
    InvalidValue,
    /// The file could not be read.
    Io,
}

impl ErrorKind {
    /// A short lowercase name, e.g. `"unknown field"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax error",
            ErrorKind::UnknownField => "unknown field",
            ErrorKind::WrongType => "wrong type",
            ErrorKind::MissingField => "missing field",
            ErrorKind::InvalidValue => "invalid value",
            ErrorKind::Io => "cannot read file",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the checks found, before it is placed in a file (see [`ConfigError::located`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) kind: ErrorKind,
    pub(crate) field: FieldPath,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl Problem {
    /// A problem of `kind` at `field`.
    pub(crate) fn new(kind: ErrorKind, field: FieldPath, message: impl Into<String>) -> Self {
        Self {
            kind,
            field,
            message: message.into(),
            hint: None,
        }
    }

    /// The same problem with a hint saying what would be valid.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// A configuration error: which file, where in it, which field, what is wrong, what would be valid.
///
/// `Display` renders it on one screen, like rustc:
///
/// ```text
/// error: boards/x.toml:12:1: unknown field `widht` in `camera`
///   12 | widht = 640
///      | ^^^^^
///   = valid: device, match, format, width, height, framerate (did you mean `width`?)
/// ```
#[derive(Debug)]
pub struct ConfigError(Box<Details>);

/// The contents of a [`ConfigError`], boxed so that `Result`s stay small.
#[derive(Debug)]
struct Details {
    path: PathBuf,
    line: Option<usize>,
    column: Option<usize>,
    field: Option<String>,
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
    snippet: Option<Snippet>,
    source: Option<std::io::Error>,
}

impl ConfigError {
    /// A file that could not be read.
    pub(crate) fn io(path: &Path, err: std::io::Error) -> Self {
        Self(Box::new(Details {
            path: path.to_owned(),
            line: None,
            column: None,
            field: None,
            kind: ErrorKind::Io,
            message: format!("cannot read file: {err}"),
            hint: Some("check the path and that the file is readable".to_owned()),
            snippet: None,
            source: Some(err),
        }))
    }

    /// Places `problem` in `text` at `span`; without a span it points at line 1, column 1.
    pub(crate) fn located(
        origin: &Path,
        text: &str,
        span: Option<Range<usize>>,
        problem: Problem,
    ) -> Self {
        let (line, column, snippet) = match span {
            Some(span) => {
                let pos = position(text, span.start);
                (pos.line, pos.column, Some(snippet(text, &span)))
            }
            None => (1, 1, None),
        };
        Self(Box::new(Details {
            path: origin.to_owned(),
            line: Some(line),
            column: Some(column),
            field: (!problem.field.is_root()).then(|| problem.field.to_string()),
            kind: problem.kind,
            message: one_line(&problem.message),
            hint: problem.hint.as_deref().map(one_line),
            snippet,
            source: None,
        }))
    }

    /// The file the error is about, as given to the loader (or the `origin` given to a parser).
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// 1-based line of the problem; `None` for [`ErrorKind::Io`].
    pub fn line(&self) -> Option<usize> {
        self.0.line
    }

    /// 1-based column (in characters) of the problem; `None` for [`ErrorKind::Io`].
    pub fn column(&self) -> Option<usize> {
        self.0.column
    }

    /// The field concerned, e.g. `camera.width` or `input.match[1].bus`; `None` for syntax and
    /// I/O errors (and errors about the file as a whole).
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// What is wrong, one line, e.g. "unknown field `widht` in `camera`".
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// What would be valid, one line, e.g. "valid: 1 to 120 (frames per second)".
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }
}

/// Collapses a possibly multi-line message into one line.
fn one_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    parts.join("; ")
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.0.path.display())?;
        if let (Some(line), Some(column)) = (self.0.line, self.0.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.0.message)?;
        if let Some(s) = &self.0.snippet {
            let number = s.line.to_string();
            let gutter = " ".repeat(number.len());
            write!(f, "\n  {number} | {}", s.text)?;
            write!(
                f,
                "\n  {gutter} | {}{}",
                " ".repeat(s.caret_start),
                "^".repeat(s.caret_len)
            )?;
        }
        if let Some(hint) = &self.0.hint {
            write!(f, "\n  = {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let text = "[camera]\nwidht = 640\n";
        let problem = Problem::new(
            ErrorKind::UnknownField,
            FieldPath::of("camera.widht"),
            "unknown field `widht` in `camera`",
        )
        .hint("valid: width, height (did you mean `width`?)");
        let err = ConfigError::located(Path::new("boards/x.toml"), text, Some(9..14), problem);
        assert_eq!(
            err.to_string(),
            "error: boards/x.toml:2:1: unknown field `widht` in `camera`\n  2 | widht = 640\n    | ^^^^^\n  = valid: width, height (did you mean `width`?)"
        );
        assert_eq!(err.field(), Some("camera.widht"));
    }

    #[test]
    fn is_a_small_thread_safe_error() {
        fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
        assert_error::<ConfigError>();
        assert_eq!(
            std::mem::size_of::<ConfigError>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn io_error_names_the_file() {
        let err = ConfigError::io(
            Path::new("nope.toml"),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err
            .to_string()
            .starts_with("error: nope.toml: cannot read file"));
        assert!(std::error::Error::source(&err).is_some());
        assert_eq!(err.line(), None);
    }
}
