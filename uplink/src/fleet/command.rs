//! `examctl fleet`'s arguments and what each command prints, with exit codes a monitoring
//! check can use: 0 all well, 1 attention needed (or, for `stale` and `pending`, something
//! listed), 3 the reports could not be read (a monitoring system's "unknown").

use std::path::PathBuf;
use std::time::Duration;

use super::judge::{self, Rules};
use super::{collect, Sources};
use crate::registry::Registry;
use crate::store::CentralStore;

/// Exit code: attention needed.
pub const ATTENTION: u8 = 1;
/// Exit code: the reports could not be read.
pub const UNKNOWN: u8 = 3;

/// `examctl fleet ...`
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to show.
    #[command(subcommand)]
    pub what: What,
    /// The site file whose `[uplink]` names the bucket (leave out to read --reports only).
    #[arg(long, global = true)]
    pub site: Option<PathBuf>,
    /// The institution's credentials file (read access to the bucket).
    #[arg(long, global = true)]
    pub credentials: Option<PathBuf>,
    /// The registry of stations: each report's key must be its station's, and registered
    /// stations that never reported are named.
    #[arg(long, global = true)]
    pub registry: Option<PathBuf>,
    /// A folder of report files (e.g. `health/report.json` copied off sticks); repeatable.
    #[arg(long = "reports", global = true)]
    pub reports: Vec<PathBuf>,
    /// An exam sealed this long ago and not in the bucket is "sealed but not arrived".
    #[arg(long, global = true, default_value = "6h", value_parser = humantime::parse_duration)]
    pub late_after: Duration,
    /// A station whose last report is older than this needs attention.
    #[arg(long, global = true, default_value = "48h", value_parser = humantime::parse_duration)]
    pub stale_after: Duration,
    /// A station with less free space on its data partition (MiB) needs attention.
    #[arg(long, global = true, default_value_t = 1024)]
    pub min_free_mib: u64,
}

/// The fleet commands.
#[derive(clap::Subcommand, Debug)]
pub enum What {
    /// One line per station: last seen, image, self-test, pending, last exam, health.
    Status,
    /// Stations whose last report is older than --older-than (default: --stale-after).
    Stale {
        /// How old.
        #[arg(long, value_parser = humantime::parse_duration)]
        older_than: Option<Duration>,
    },
    /// Every exam sealed and not verified yet, with its age; the ones not arrived after
    /// --late-after are marked (reconciliation).
    Pending,
    /// Stations per image version.
    Versions,
    /// Everything one station's report says, with each exam's chain of custody.
    Show {
        /// The station id.
        station: String,
    },
    /// The static fleet page, `OUT/index.html`.
    Page {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// `.prom` files for node_exporter's textfile collector, one per station plus `fleet.prom`.
    Prom {
        /// Output folder (the collector's --collector.textfile.directory).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs `args` against `store` (listing `health/` under each of `roots`) and the report
/// folders; prints to stdout and returns the exit code.
pub fn run(
    args: &Args,
    store: Option<&dyn CentralStore>,
    roots: Vec<String>,
    registry: Option<&Registry>,
) -> u8 {
    let mut rules = Rules::new();
    rules.late_after = args.late_after;
    rules.stale_after = args.stale_after;
    rules.min_free_bytes = args.min_free_mib << 20;
    let src = Sources {
        store,
        roots,
        registry,
        folders: args.reports.clone(),
    };
    let collected = match collect(&src) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("examctl fleet: reports not read: {e}");
            return UNKNOWN;
        }
    };
    let fleet = judge::judge(collected, &rules, store);
    let flag = |b: bool| if b { ATTENTION } else { 0 };
    match &args.what {
        What::Status => {
            print!("{}", super::text::status(&fleet));
            flag(fleet.attention())
        }
        What::Stale { older_than } => {
            if let Some(d) = older_than {
                rules.stale_after = *d;
            }
            let (text, n) = super::text::stale(&fleet, &rules);
            print!("{text}");
            flag(n > 0)
        }
        What::Pending => {
            let (text, _) = super::text::pending(&fleet, &rules);
            print!("{text}");
            let missing = fleet
                .stations
                .iter()
                .flat_map(|s| &s.waiting)
                .any(|w| w.missing(&rules));
            flag(missing)
        }
        What::Versions => {
            print!("{}", super::text::versions(&fleet));
            0
        }
        What::Show { station } => {
            match fleet
                .stations
                .iter()
                .find(|s| s.seen.report.station == *station)
            {
                Some(s) => {
                    print!("{}", super::text::show(s));
                    flag(!s.reasons.is_empty())
                }
                None => {
                    eprintln!(
                        "examctl fleet show: no report from station {station:?} ({} station(s) reported{})",
                        fleet.stations.len(),
                        if fleet.silent.contains(station) { "; it is registered but never reported" } else { "" }
                    );
                    UNKNOWN
                }
            }
        }
        What::Page { out } => wrote(
            "page",
            super::page::write(&fleet, &rules, out).map(|p| p.display().to_string()),
            flag(fleet.attention()),
        ),
        What::Prom { out } => wrote(
            "prom",
            super::prom::write(&fleet, &rules, out)
                .map(|n| format!("{n} file(s) in {}", out.display())),
            flag(fleet.attention()),
        ),
    }
}

/// What a command that writes files prints and returns: where they went and `code`, or the
/// error and [`UNKNOWN`].
fn wrote(what: &str, r: Result<String, crate::UplinkError>, code: u8) -> u8 {
    match r {
        Ok(said) => {
            println!("{said}");
            code
        }
        Err(e) => {
            eprintln!("examctl fleet {what}: {e}");
            UNKNOWN
        }
    }
}
