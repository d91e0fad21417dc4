//! `examctl`: the institution's tool: keys, opening sealed bundles, fetching bundles from central
//! storage, retention rules, identity profiles and a student's access to what is held. Storage commands use the institution's credentials (`--credentials`),
//! never a station's.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Institution-side tool for exam bundles.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Make the institution's age identity; prints its public recipient for station.toml.
    Keygen {
        /// Where to write the secret identity (mode 0600; must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify and decrypt a sealed bundle: media files, identity stills, timeline.json.
    Open {
        /// The bundle folder.
        bundle: PathBuf,
        /// The institution's identity file.
        #[arg(long)]
        identity: PathBuf,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// The institution's registry of stations (their pinned keys): a bundle signed by
        /// another key than its station's is refused.
        #[arg(long)]
        registry: Option<PathBuf>,
        #[command(flatten)]
        profile: uplink::profile::command::KeepArgs,
    },
    /// Download a bundle from central storage and verify it.
    Fetch {
        /// The site file whose `[uplink]` names the store.
        #[arg(long)]
        site: PathBuf,
        /// The institution's credentials file (TOML access_key / secret_key).
        #[arg(long)]
        credentials: Option<PathBuf>,
        /// The exam id.
        #[arg(long)]
        exam: String,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// The institution's registry of stations (their pinned keys): a bundle signed by
        /// another key than its station's is refused.
        #[arg(long)]
        registry: Option<PathBuf>,
        /// The station's key prefix (an enrolled station's, e.g. stations/hall-b-07), in
        /// place of the site file's.
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Give a flashed stick its station identity: id, a new signing key (registered), the key
    /// prefix and the station's own upload credentials, on the stick's identity partition.
    Enroll {
        /// The stick (whole disk, e.g. /dev/sdb) or image file.
        stick: PathBuf,
        /// The station id, e.g. hall-b-07.
        #[arg(long)]
        id: String,
        /// Where it stands, e.g. "Hall B, seat 7".
        #[arg(long)]
        location: String,
        /// Its key prefix in the bucket (default stations/ID).
        #[arg(long)]
        prefix: Option<String>,
        /// The station's own upload credentials (access_key, secret_key: write only).
        #[arg(long)]
        credentials: PathBuf,
        /// The institution's registry of stations (created if missing).
        #[arg(long)]
        registry: PathBuf,
        /// Replace an identity already on the stick.
        #[arg(long)]
        force: bool,
    },
    /// Fleet health from the stations' signed health reports (status, stale, pending,
    /// versions, show, page, prom); exit 0 all well, 1 attention needed, 3 unreadable.
    Fleet(uplink::fleet::command::Args),
    /// Create the central bucket named by the site's `[uplink]` (an existing one of ours is fine).
    CreateBucket {
        /// The site file whose `[uplink]` names the bucket.
        #[arg(long)]
        site: PathBuf,
        /// The institution's credentials file.
        #[arg(long)]
        credentials: Option<PathBuf>,
        /// Create it with object lock (versioned; `retention apply` then sets a COMPLIANCE
        /// default retention, and its rules expire noncurrent versions and delete markers).
        #[arg(long)]
        object_lock: bool,
    },
    /// Everything held about one student (identity profile, exams with their dates, stations,
    /// review hints, stills and timelines; recordings with --media) into one folder with an
    /// index page and SHA256SUMS.
    SubjectAccess(uplink::profile::command::AccessArgs),
    /// Remove a student's identity profile; lists what else is held and when it expires.
    Erase(uplink::profile::command::EraseArgs),
    /// Lifecycle rules and object lock on the central bucket.
    Retention {
        #[command(subcommand)]
        cmd: RetentionCmd,
    },
    /// Automated review hints for opened exams (`examctl open`'s folders): faces, a dark
    /// camera, sound, journal events, with coverage and evidence, into each one's flags.json.
    Analyse {
        /// Opened exam folders, or folders holding them.
        #[arg(required = true)]
        exams: Vec<PathBuf>,
        /// Detector threads (default: every core).
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Build the reviewer's page for opened exams (analysing those not yet analysed): a
    /// folder that opens from disk in a browser; reviewers' notes are kept in review.json.
    Review {
        /// Opened exam folders, or folders holding them.
        #[arg(required = true)]
        exams: Vec<PathBuf>,
        /// The page's folder.
        #[arg(long)]
        out: PathBuf,
        /// Also serve it on 127.0.0.1 (notes saved straight into review.json) until stopped.
        #[arg(long)]
        serve: bool,
        /// Port for --serve (default: any free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Detector threads (default: every core).
        #[arg(long)]
        workers: Option<usize>,
    },
}

#[derive(Subcommand)]
enum RetentionCmd {
    /// Install the rules: recordings/ 180 days, profiles/ 365 days, incomplete uploads 7 days.
    Apply {
        /// The site file whose `[uplink]` names the bucket.
        #[arg(long)]
        site: PathBuf,
        /// The institution's credentials file.
        #[arg(long)]
        credentials: Option<PathBuf>,
    },
    /// Read the rules back; non-zero if any is missing or wrong.
    Check {
        /// The site file whose `[uplink]` names the bucket.
        #[arg(long)]
        site: PathBuf,
        /// The institution's credentials file.
        #[arg(long)]
        credentials: Option<PathBuf>,
    },
}

fn s3_store(
    site: &std::path::Path,
    credentials: Option<&PathBuf>,
) -> anyhow::Result<(board_config::Site, uplink::store::s3::S3Store)> {
    let site = board_config::load_site(site)?;
    let path = credentials
        .cloned()
        .or_else(|| site.uplink.credentials_file.as_ref().map(PathBuf::from))
        .ok_or_else(|| {
            anyhow::anyhow!("--credentials FILE is needed (the institution's S3 keys)")
        })?;
    let creds = uplink::creds::Credentials::load(&path)?;
    let store = uplink::store::s3::S3Store::connect(&site.uplink, &creds, &Default::default())?;
    Ok((site, store))
}

/// The registry `--registry` names, loaded; without one, a warning that station keys go
/// unchecked.
fn registry_of(path: Option<PathBuf>) -> anyhow::Result<Option<uplink::registry::Registry>> {
    if path.is_none() {
        eprintln!("examctl: warning: station keys not checked against a registry (--registry)");
    }
    path.map(|p| uplink::registry::Registry::load(&p))
        .transpose()
        .map_err(anyhow::Error::msg)
}

/// Notes the machines `manifests` were signed on beside the registry; warns (stderr) of a
/// station key seen on two machines.
fn warn_copies(
    registry: &uplink::registry::Registry,
    manifests: &[bundle::manifest::Manifest],
) -> anyhow::Result<()> {
    for w in uplink::registry::note_machines(registry, manifests).map_err(anyhow::Error::msg)? {
        eprintln!("examctl: warning: {w}");
    }
    Ok(())
}

fn lock_line(l: &uplink::retention::Lock) -> String {
    match l {
        uplink::retention::Lock::Enabled(Some((m, d))) => {
            format!("object lock: enabled, default {m} {d} days")
        }
        uplink::retention::Lock::Enabled(None) => {
            "object lock: enabled, no default retention".into()
        }
        uplink::retention::Lock::Unavailable(why) => format!(
            "object lock: skipped ({why}; it can only be enabled when the bucket is created)"
        ),
    }
}

/// `examctl fleet`: the bucket named by `--site` (if given) and the report folders.
fn fleet(a: &uplink::fleet::command::Args) -> anyhow::Result<u8> {
    let registry = registry_of(a.registry.clone())?;
    // Any backend the site names: S3 with the institution's credentials, or a folder.
    let opened = a
        .site
        .as_ref()
        .map(|path| -> anyhow::Result<_> {
            let site = board_config::load_site(path)?;
            let store = uplink::store::open(&site, a.credentials.as_deref(), &Default::default())?;
            Ok((site, store))
        })
        .transpose()?;
    let roots = opened
        .as_ref()
        .map(|(site, _)| vec![site.uplink.prefix.clone()])
        .unwrap_or_default();
    let store = opened.as_ref().map(|(_, s)| s.as_ref());
    if store.is_none() && a.reports.is_empty() {
        anyhow::bail!("nothing to read: give --site (the bucket) and/or --reports FOLDER");
    }
    Ok(uplink::fleet::command::run(
        a,
        store,
        roots,
        registry.as_ref(),
    ))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Cmd::Fleet(a) = &cli.cmd {
        return match fleet(a) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("examctl: error: {e:#}");
                ExitCode::from(uplink::fleet::command::UNKNOWN)
            }
        };
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("examctl: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::Keygen { out } => {
            let id = bundle::keys::Identity::generate();
            let recipient = id.recipient().to_string();
            let text = format!(
                "# exam station institution identity\n# public key: {recipient}\n{}\n",
                id.to_secret_string()
            );
            bundle::fsutil::write_private(&out, text.as_bytes())?;
            println!("{recipient}");
        }
        Cmd::Open {
            bundle: dir,
            identity,
            out,
            registry,
            profile,
        } => {
            if let Some(r) = registry_of(registry)? {
                let manifests =
                    uplink::registry::check_bundles(&r, &dir).map_err(anyhow::Error::msg)?;
                println!("station key pinned in {}", r.path().display());
                warn_copies(&r, &manifests)?;
            }
            let id = bundle::keys::Identity::load(&identity)?;
            let opened = uplink::open::open(&dir, &id, &out)?;
            print!("{}", uplink::open::summary(&opened));
            println!("timeline: {}", out.join("timeline.json").display());
            println!(
                "{}",
                uplink::profile::command::after_open(&profile, &id, &out)?
            );
        }
        Cmd::SubjectAccess(a) => {
            uplink::profile::command::subject_access(&a)?;
        }
        Cmd::Erase(a) => {
            uplink::profile::command::erase(&a)?;
        }
        Cmd::Fetch {
            site,
            credentials,
            exam,
            out,
            registry,
            prefix,
        } => {
            let mut site_cfg = board_config::load_site(&site)?;
            if let Some(p) = prefix {
                site_cfg.uplink.prefix = p;
            }
            let store =
                uplink::store::open(&site_cfg, credentials.as_deref(), &Default::default())?;
            let registry = registry_of(registry)?;
            let parts = uplink::fetch::fetch(
                store.as_ref(),
                &site_cfg.uplink.prefix,
                &exam,
                &out,
                registry.as_ref(),
            )?;
            if let Some(r) = &registry {
                warn_copies(r, &parts)?;
            }
            for m in &parts {
                println!(
                    "fetched and verified exam {} ({} files)",
                    m.exam,
                    m.files.len() + 1
                );
            }
            println!(
                "into {}{}",
                out.display(),
                if parts.len() > 1 {
                    format!(" (one folder per part: {} parts)", parts.len())
                } else {
                    String::new()
                }
            );
        }
        Cmd::Enroll {
            stick,
            id,
            location,
            prefix,
            credentials,
            registry,
            force,
        } => {
            let done = uplink::enroll::enroll(&uplink::enroll::Request {
                stick: &stick,
                id: &id,
                location: &location,
                prefix: prefix.as_deref(),
                credentials: &credentials,
                registry: &registry,
                force,
            })
            .map_err(anyhow::Error::msg)?;
            println!(
                "enrolled {}: station {} ({}), uploads under {} as {}; key {} added to {}",
                stick.display(),
                done.identity.station.id,
                done.identity.station.location,
                done.identity.uplink.prefix,
                done.identity.uplink.access_key,
                done.public_key,
                registry.display()
            );
        }
        Cmd::CreateBucket {
            site,
            credentials,
            object_lock,
        } => {
            let (_, store) = s3_store(&site, credentials.as_ref())?;
            store.create_bucket_with(object_lock)?;
            println!("bucket {} ready", store.bucket_name());
        }
        Cmd::Retention {
            cmd: RetentionCmd::Apply { site, credentials },
        } => {
            let (site, store) = s3_store(&site, credentials.as_ref())?;
            let (rules, lock) = uplink::retention::apply(&store, &site.uplink.prefix)?;
            for r in rules {
                println!(
                    "lifecycle rule {:?}: prefix {:?} expire {:?} days, noncurrent versions {:?} days, expired delete markers {}, abort incomplete {:?} days",
                    r.id, r.prefix, r.expire_days, r.noncurrent_days, r.delete_markers, r.abort_days
                );
            }
            println!("{}", lock_line(&lock));
        }
        Cmd::Analyse { exams, workers } => {
            for dir in review::exams_in(&exams)? {
                let a = review::analyse(&dir, review::workers_or_cores(workers))?;
                println!("{}", review::summary(&dir, &a.flags));
            }
        }
        // Has exit codes of its own: run from main.
        Cmd::Fleet(_) => {}
        Cmd::Review {
            exams,
            out,
            serve,
            port,
            workers,
        } => {
            let dirs = review::exams_in(&exams)?;
            let built = review::page::build(&dirs, &out, review::workers_or_cores(workers))?;
            for s in &built.summaries {
                println!("{s}");
            }
            println!(
                "review page for {} exam(s): {}",
                built.exams.len(),
                built.index.display()
            );
            if serve {
                let server = review::serve::Server::bind(&out, port)?;
                println!("serving on {} (127.0.0.1 only; Ctrl+C stops)", server.url());
                server.run();
            }
        }
        Cmd::Retention {
            cmd: RetentionCmd::Check { site, credentials },
        } => {
            let (site, store) = s3_store(&site, credentials.as_ref())?;
            let (problems, lock) = uplink::retention::check(&store, &site.uplink.prefix)?;
            println!("{}", lock_line(&lock));
            if !problems.is_empty() {
                anyhow::bail!("bucket {}: {}", store.bucket_name(), problems.join("; "));
            }
            println!("retention rules present on bucket {}", store.bucket_name());
        }
    }
    Ok(())
}
