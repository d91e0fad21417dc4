//! `uplinkd`: sends the station's sealed bundles to the institution's storage in Canada.
//!
//! Reads sealed bundles only (folders of `DATA_DIR/spool/` holding `manifest.json`), never a
//! device. Every step goes to `DATA_DIR/uplink/log` (JSON lines) and to tracing on stderr.
//! With `--once`, exits 0 when every pending bundle was verified centrally and deleted locally,
//! non-zero with the reasons otherwise. Prints `<exam>\t<central location>` per bundle on stdout.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// Upload sealed exam bundles to central storage (resumable, verified, Canada only).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The site file (station.toml); its `[uplink]` section says where bundles go.
    #[arg(long)]
    site: PathBuf,
    /// The station's data folder (holds `spool/`).
    #[arg(long)]
    data_dir: PathBuf,
    /// One pass over the spool, then exit (0 only if every bundle was verified and deleted).
    #[arg(long)]
    once: bool,
    /// Override the site's start_jitter_seconds.
    #[arg(long)]
    start_jitter: Option<u32>,
    /// Timeout of any network stall, seconds.
    #[arg(long, default_value_t = 60)]
    io_timeout: u64,
    /// Cap of the retry backoff, seconds.
    #[arg(long, default_value_t = 60)]
    backoff_cap: u64,
    /// Longest pause between passes, seconds (a newly sealed bundle wakes uplinkd at once).
    #[arg(long, default_value_t = 15)]
    poll_seconds: u64,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    // Enrolled: the stick's identity names the station, its prefix and its credentials.
    let site = match board_config::load_station_site(&cli.site, &bundle::spool::identity_dir()) {
        Ok((s, _)) => s,
        Err(e) => {
            eprintln!("uplinkd: {e}");
            return ExitCode::from(2);
        }
    };
    let mut opts = uplink::daemon::Options::new(cli.data_dir, cli.once);
    opts.start_jitter = cli.start_jitter;
    opts.tuning.io_timeout = Duration::from_secs(cli.io_timeout.max(1));
    opts.retry.cap = Duration::from_secs(cli.backoff_cap.max(1));
    opts.poll = Duration::from_secs(cli.poll_seconds.max(1));
    let mut print = |u: &uplink::upload::Uploaded| println!("{}\t{}", u.exam, u.location);
    match uplink::daemon::run(&site, &opts, &mut print) {
        Ok(pass) if pass.failed.is_empty() => {
            eprintln!(
                "uplinkd: {} bundle(s) uploaded, verified and deleted locally",
                pass.done.len()
            );
            ExitCode::SUCCESS
        }
        Ok(pass) => {
            for (exam, e) in &pass.failed {
                eprintln!("uplinkd: bundle {exam} not uploaded: {e}");
            }
            eprintln!(
                "uplinkd: {} bundle(s) done, {} failed (kept in the spool)",
                pass.done.len(),
                pass.failed.len()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("uplinkd: {e}");
            ExitCode::FAILURE
        }
    }
}
