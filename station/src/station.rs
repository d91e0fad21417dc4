//! The station's fixed context: board, site, data folder, keys.

use std::path::{Path, PathBuf};

use board_config::{Board, Site};
use bundle::keys::{Recipient, StationKey};

/// Default board file.
pub const DEFAULT_BOARD: &str = "/etc/station/board.toml";
/// Default site file.
pub const DEFAULT_SITE: &str = "/etc/station/station.toml";
/// Default data folder (the data partition).
pub const DEFAULT_DATA_DIR: &str = "/var/lib/station";
/// Default runtime folder (marker and proxy report socket of a running exam).
pub const DEFAULT_RUNTIME_DIR: &str = bundle::spool::DEFAULT_RUNTIME_DIR;

/// Everything a session needs that does not change during it.
pub struct Station {
    /// The board's hardware description.
    pub board: Board,
    /// The site config.
    pub site: Site,
    /// Data folder: `station.key`, `spool/<exam>/`.
    pub data_dir: PathBuf,
    /// The runtime folder shared with the image's exam-network units and the forward proxy:
    /// `STATION_RUNTIME_DIR`, else `/run/station` (made by tmpfiles.d, owned by `station`).
    pub runtime_dir: PathBuf,
    /// The institution's public key.
    pub recipient: Recipient,
    /// The station's signing key.
    pub key: StationKey,
    /// The image it runs (os-release `IMAGE_VERSION`), empty off an image.
    pub image: String,
    /// The machine it runs on (hash of the SMBIOS system UUID, from the identity folder's
    /// `machine` file), empty when unknown.
    pub machine: String,
    /// Whether the station runs with an enrolled identity (the stick's), not the site file's
    /// `[station]` and a key made on first start.
    pub enrolled: bool,
    /// Uids whose reports of hosts visited the running exam hears: the forward proxy's user
    /// (`exam-proxy`); none where that user does not exist.
    pub reporters: Vec<u32>,
}

/// The forward proxy's user.
pub const PROXY_USER: &str = "exam-proxy";

/// The uid of user `name` from /etc/passwd, if it exists.
pub fn user_uid(name: &str) -> Option<u32> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next() == Some(name))
            .then(|| f.nth(1).and_then(|u| u.parse().ok()))
            .flatten()
    })
}

/// Errors while loading the station context.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A config file is invalid (the message names file, line and field).
    #[error("{0}")]
    Config(#[from] board_config::ConfigError),
    /// Keys or the data folder.
    #[error("{0}")]
    Bundle(#[from] bundle::Error),
    /// The recipient in the site file is not usable.
    #[error("{file}: institution.recipient: {why}")]
    Recipient {
        /// The site file.
        file: PathBuf,
        /// Why.
        why: String,
    },
}

impl Station {
    /// Loads board and site files and the station key: the enrolled identity's when
    /// [`bundle::spool::identity_dir`] holds one, else the data folder's (made on first start).
    pub fn load(board: &Path, site: &Path, data_dir: &Path) -> Result<Self, LoadError> {
        let board_cfg = board_config::load_board(board)?;
        let identity = bundle::spool::identity_dir();
        let (site_cfg, enrolled) = board_config::load_station_site(site, &identity)?;
        let recipient = Recipient::parse(&site_cfg.institution.recipient).map_err(|e| {
            LoadError::Recipient {
                file: site.to_owned(),
                why: e.to_string(),
            }
        })?;
        std::fs::create_dir_all(data_dir.join("spool"))
            .map_err(|e| bundle::Error::io(data_dir, e))?;
        let key = match &enrolled {
            Some(id) => StationKey::from_seed_hex(&id.signing.seed)?,
            None => StationKey::load_or_create(&data_dir.join("station.key"))?,
        };
        Ok(Station {
            board: board_cfg,
            site: site_cfg,
            data_dir: data_dir.to_owned(),
            runtime_dir: bundle::spool::runtime_dir(),
            recipient,
            key,
            enrolled: enrolled.is_some(),
            image: crate::platform::image_version(Path::new(crate::platform::OS_RELEASE)),
            machine: std::fs::read_to_string(identity.join(crate::platform::MACHINE_FILE))
                .map(|m| m.trim().to_string())
                .unwrap_or_default(),
            reporters: user_uid(PROXY_USER).into_iter().collect(),
        })
    }

    /// The spool: one folder per exam.
    pub fn spool(&self) -> PathBuf {
        bundle::spool::dir(&self.data_dir)
    }
}
