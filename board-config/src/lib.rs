//! Typed, validated configuration of an exam station.
//!
//! Two kinds of file are described here:
//!
//! - **board files** (`board-config/boards/<board>.toml`, type [`Board`]): the hardware of one
//!   station model and how to reach it: camera node or match rule, ALSA device, input devices,
//!   display connector, GPIO pins for the recording LED, call button and tamper switch, and the
//!   video encoder;
//! - **the site file** (`station.toml`, type [`Site`]): the station's identity, the
//!   institution's public key, the exam shell's allowlist, and the uplink to storage in Canada.
//!
//! Files are parsed from TOML with serde and then checked rule by rule (ranges, formats, distinct
//! GPIO pins, Canadian residency of the uplink). Every problem comes back as a [`ConfigError`]
//! naming the file, the line and column, the field and what would be valid; parsing never
//! panics, whatever the input.
//!
//! This crate is not a device layer: it does not open devices, check that a camera exists or
//! connect to an endpoint. It only says what the configuration asks for, and that the request is
//! well-formed. Runtime checks (device present, endpoint reachable) belong to the station and
//! uplink crates, which can reuse [`is_loopback_url`] and [`CANADIAN_REGIONS`].
//!
//! ```
//! let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/boards/sim.toml")).unwrap();
//! let board = board_config::parse_board(&text, "boards/sim.toml".as_ref()).unwrap();
//! assert_eq!(board.board.backend, board_config::Backend::Simulated);
//!
//! let err = board_config::parse_board("[board]\nname = 5\n", "x.toml".as_ref()).unwrap_err();
//! assert_eq!(err.kind(), board_config::ErrorKind::WrongType);
//! assert_eq!(err.field(), Some("board.name"));
//! assert_eq!(err.line(), Some(2));
//! ```

#![warn(missing_docs)]

mod allow;
mod board;
mod checkin;
mod decode;
mod endpoint;
mod error;
mod identity;
mod locate;
mod net;
mod network;
mod path;
mod recipient;
pub mod retention;
mod schema;
mod site;
mod suggest;
mod validate;

use std::path::Path;

use serde::de::DeserializeOwned;

pub use allow::Allowlist;
pub use board::{
    Arch, Backend, Board, BoardInfo, Camera, CameraMatch, Display, Encoders, Gpio, Input, InputBus,
    InputMatch, Microphone, VideoEncoder,
};
pub use checkin::{CheckIn, ExamEntry, Language, Proctor};
pub use endpoint::{aws_s3_hosts, check_endpoint, parse_endpoint, Endpoint, Refusal};
pub use error::{ConfigError, ErrorKind};
pub use identity::{Identity, IdentityUplink, Signing, CREDENTIALS_FILE, IDENTITY_FILE};
pub use net::is_loopback_url;
pub use network::{is_internal, Network};
pub use site::{
    ExamPolicy, Institution, Site, StationId, Storage, Uplink, UplinkBackend, CANADIAN_REGIONS,
};
pub use validate::{student_regex, EXAMPLE_RECIPIENT};

use error::Problem;
use locate::{find_span, Target};

/// Reads and checks a board file.
///
/// Errors: [`ErrorKind::Io`] if the file cannot be read, [`ErrorKind::Syntax`] if it is not
/// UTF-8, else as [`parse_board`].
pub fn load_board(path: &Path) -> Result<Board, ConfigError> {
    let mut board = parse_board(&read(path)?, path)?;
    // A simulated camera's scene is relative to the board file.
    if let (Some(scene), Some(dir)) = (&board.camera.scene, path.parent()) {
        board.camera.scene = Some(dir.join(scene).to_string_lossy().into_owned());
    }
    Ok(board)
}

/// Parses and checks the text of a board file; `origin` is the file name used in errors.
pub fn parse_board(text: &str, origin: &Path) -> Result<Board, ConfigError> {
    parse(text, origin, validate::board)
}

/// Reads and checks a site file (`station.toml`).
///
/// Errors: [`ErrorKind::Io`] if the file cannot be read, [`ErrorKind::Syntax`] if it is not
/// UTF-8, else as [`parse_site`].
pub fn load_site(path: &Path) -> Result<Site, ConfigError> {
    parse_site(&read(path)?, path)
}

/// Parses and checks the text of a site file; `origin` is the file name used in errors.
pub fn parse_site(text: &str, origin: &Path) -> Result<Site, ConfigError> {
    parse(text, origin, validate::site)
}

/// Reads and checks a site file that goes into a station's image: every rule of
/// [`load_site`], and the recipient must not be the example site's placeholder
/// ([`EXAMPLE_RECIPIENT`]).
pub fn load_image_site(path: &Path) -> Result<Site, ConfigError> {
    parse(&read(path)?, path, validate::image_site)
}

/// Reads and checks an identity file (`identity.toml`, see [`Identity`]).
pub fn load_identity(path: &Path) -> Result<Identity, ConfigError> {
    parse_identity(&read(path)?, path)
}

/// Parses and checks the text of an identity; `origin` names it in errors.
pub fn parse_identity(text: &str, origin: &Path) -> Result<Identity, ConfigError> {
    parse(text, origin, validate::identity)
}

/// The site file `site` as the station sees it: enrolled when `identity_dir` holds an
/// [`IDENTITY_FILE`] (see [`Site::enrolled`]; its credentials are the folder's
/// [`CREDENTIALS_FILE`]), else as written. Returns the identity too.
pub fn load_station_site(
    site: &Path,
    identity_dir: &Path,
) -> Result<(Site, Option<Identity>), ConfigError> {
    let cfg = load_site(site)?;
    let file = identity_dir.join(IDENTITY_FILE);
    if !file.exists() {
        return Ok((cfg, None));
    }
    let id = load_identity(&file)?;
    Ok((
        cfg.enrolled(&id, &identity_dir.join(CREDENTIALS_FILE)),
        Some(id),
    ))
}

/// Feeds arbitrary bytes to both parsers and renders any error: for fuzzing. Never panics.
///
/// Bytes that are not UTF-8 are replaced (lossy), since files are read as UTF-8 text.
pub fn fuzz_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let origin = Path::new("fuzz.toml");
    if let Err(e) = parse_board(&text, origin) {
        let _ = e.to_string();
    }
    if let Err(e) = parse_site(&text, origin) {
        let _ = e.to_string();
    }
}

/// Feeds arbitrary bytes to the identity parser and renders any error: for fuzzing (the
/// identity partition of a stick is outside data). Never panics.
pub fn fuzz_identity(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = parse_identity(&text, Path::new("identity")) {
        let _ = e.to_string();
    }
}

/// Reads a file as UTF-8 text; bytes that are not UTF-8 are a syntax error at their position.
fn read(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| ConfigError::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        // Show the text up to the bad byte, which is valid by construction.
        let text = String::from_utf8_lossy(&bytes[..valid.min(bytes.len())]).into_owned();
        let problem = Problem::new(
            ErrorKind::Syntax,
            path::FieldPath::root(),
            "the file is not UTF-8 text",
        )
        .hint("TOML files are UTF-8: save the file as UTF-8");
        let span = text.len()..text.len();
        ConfigError::located(path, &text, Some(span), problem)
    })
}

/// Typed parse, then the rules; a rule's problem is placed at its field in the text.
fn parse<T: DeserializeOwned>(
    text: &str,
    origin: &Path,
    rules: fn(&T) -> Result<(), Problem>,
) -> Result<T, ConfigError> {
    let (value, doc) = decode::decode::<T>(text, origin)?;
    match rules(&value) {
        Ok(()) => Ok(value),
        Err(problem) => {
            let span = match problem.kind {
                ErrorKind::MissingField => find_span(&doc, &problem.field.parent(), Target::Value),
                _ => find_span(&doc, &problem.field, Target::Value),
            };
            Err(ConfigError::located(origin, text, span, problem))
        }
    }
}
