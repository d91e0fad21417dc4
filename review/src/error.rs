//! Errors of the review: each names the file, and where it can, the line and field.

use std::path::Path;

/// What went wrong reading an opened exam or writing its review.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{file}: {message}")]
    Io {
        /// The file.
        file: String,
        /// The system's error.
        message: String,
    },
    /// A JSON file does not parse or has a wrong field.
    #[error("{file}:{line}:{column}: field `{field}`: {message}")]
    Json {
        /// The file.
        file: String,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
        /// The field's path (`flags[2].start_s`), `.` for the whole file.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A value parsed but is not allowed.
    #[error("{file}: field `{field}`: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The field's path.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Decoding a media file failed.
    #[error("{file}: {message}")]
    Media {
        /// The media file.
        file: String,
        /// GStreamer's message.
        message: String,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, e: std::io::Error) -> Error {
        Error::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        }
    }

    /// A JSON error in `path` at `field`.
    pub fn json(path: &Path, field: String, e: &serde_json::Error) -> Error {
        let message = e.to_string();
        // serde_json appends " at line L column C": the location has its own fields.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        Error::Json {
            file: path.display().to_string(),
            line: e.line(),
            column: e.column(),
            field,
            message,
        }
    }

    /// A media error on `path`.
    pub fn media(path: &Path, message: impl Into<String>) -> Error {
        Error::Media {
            file: path.display().to_string(),
            message: message.into(),
        }
    }
}
