//! Options shared by `stationd` and `stationctl`, and logging set-up.

use std::path::PathBuf;
use std::sync::Arc;

use crate::station::{Station, DEFAULT_BOARD, DEFAULT_DATA_DIR, DEFAULT_SITE};

/// Where the station's configuration and data are.
#[derive(Debug, Clone, clap::Args)]
pub struct Paths {
    /// Board file (hardware of this station model).
    #[arg(long, global = true, default_value = DEFAULT_BOARD, env = "STATION_BOARD")]
    pub board: PathBuf,
    /// Site file (institution, uplink, exam shell).
    #[arg(long, global = true, default_value = DEFAULT_SITE, env = "STATION_SITE")]
    pub site: PathBuf,
    /// Data folder (spool, keys).
    #[arg(long, global = true, default_value = DEFAULT_DATA_DIR, env = "STATION_DATA_DIR")]
    pub data_dir: PathBuf,
}

impl Paths {
    /// Loads the station context.
    pub fn load(&self) -> anyhow::Result<Arc<Station>> {
        Ok(Arc::new(Station::load(
            &self.board,
            &self.site,
            &self.data_dir,
        )?))
    }
}

/// Logs to stderr; `RUST_LOG` picks the level (default `info`).
pub fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
