//! `stationctl`: the station's command line for proctors and IT.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use station::cli::{init_logging, Paths};

/// Status, self-test, simulated exams, recovery and verification on an exam station.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    paths: Paths,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// What the board's devices resolve to on this machine, and what is missing.
    Devices {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Exercise each device and report pass/fail.
    Selftest {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Exams.
    #[command(subcommand)]
    Exam(ExamCmd),
    /// Seal exams cut short by a crash as interrupted (what stationd does at start).
    Recover,
    /// Write the station's signed health report now (DATA_DIR/health/) and print it.
    Health {
        /// Print the Prometheus text instead of the JSON.
        #[arg(long)]
        prom: bool,
        /// Print the one-line summary (the readiness card's QR code) instead of the JSON.
        #[arg(long, conflicts_with = "prom")]
        summary: bool,
    },
    /// Journals.
    #[command(subcommand)]
    Journal(JournalCmd),
    /// Bundles.
    #[command(subcommand)]
    Bundle(BundleCmd),
    /// The exam shell's kiosk browser.
    #[command(subcommand)]
    Kiosk(KioskCmd),
    /// Virtual terminal switching (exam-vt-lock.service runs these as root).
    #[command(subcommand)]
    Vt(VtCmd),
    /// Disks other than the boot medium (exam-station-usb-lock.service and a udev rule run
    /// this as root).
    #[command(subcommand)]
    Storage(StorageCmd),
    /// The proctor PIN.
    #[command(subcommand)]
    Pin(PinCmd),
    /// Site files.
    #[command(subcommand)]
    Site(SiteCmd),
    /// The identity `examctl enroll` wrote on the stick.
    #[command(subcommand)]
    Identity(IdentityCmd),
}

#[derive(Subcommand)]
enum IdentityCmd {
    /// Install the stick's identity for stationd and uplinkd (station-identity.service runs
    /// this as root at boot).
    Install {
        /// The identity partition, or a whole disk or image file with one.
        #[arg(long, default_value = station::enrolment::IDENTITY_PARTITION)]
        from: PathBuf,
        /// Where to install it (default: STATION_IDENTITY_DIR, else /run/station/identity).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The sysfs the machine id is read from.
        #[arg(long, default_value = "/sys", hide = true)]
        sys: PathBuf,
    },
    /// Show the stick's identity (secrets left out).
    Show {
        /// The identity partition, or a whole disk or image file with one.
        #[arg(long, default_value = station::enrolment::IDENTITY_PARTITION)]
        from: PathBuf,
    },
}

#[derive(Subcommand)]
enum SiteCmd {
    /// Check a site file as the station loads it: errors name the line and field.
    Check {
        /// The site file.
        file: PathBuf,
        /// Also the rules of a site that goes into an image: the institution's own recipient,
        /// not the example site's placeholder.
        #[arg(long)]
        image: bool,
    },
}

#[derive(Subcommand)]
enum StorageCmd {
    /// Cut off every disk that backs no mounted file system (all but the boot medium): a USB
    /// mass-storage interface is deauthorized, any other disk unbound from its driver.
    Lock {
        /// The sysfs root.
        #[arg(long, default_value = "/sys")]
        sys: PathBuf,
    },
}

#[derive(Subcommand)]
enum PinCmd {
    /// Read a PIN (4 to 12 digits) on standard input and print its argon2id hash for the site
    /// file's `[proctor] pin_hash`. The PIN itself is written nowhere.
    Hash,
}

#[derive(Subcommand)]
enum VtCmd {
    /// Make the kernel refuse every VT switch, by key or by request (VT_LOCKSWITCH).
    Lock {
        /// The console device.
        #[arg(long, default_value = station::lockdown::vt::CONSOLE)]
        console: PathBuf,
    },
    /// Allow VT switching again (VT_UNLOCKSWITCH).
    Unlock {
        /// The console device.
        #[arg(long, default_value = station::lockdown::vt::CONSOLE)]
        console: PathBuf,
    },
}

#[derive(Subcommand)]
enum KioskCmd {
    /// Write the browser's managed policy (`OUT/policy/exam-station.json`) and start page
    /// (`OUT/kiosk.env`) from the site file; exam-kiosk.service runs this as root at start.
    Prepare {
        /// Output folder, e.g. /run/exam-kiosk.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ExamCmd {
    /// Run a whole unattended exam on the configured board; prints the sealed bundle's path.
    Simulate {
        /// Exam length, e.g. `20s`, `5m`.
        #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
        duration: Duration,
        /// Student number typed at check-in (it must match the site's `student_pattern`; kept
        /// only inside the encrypted journal).
        #[arg(long, default_value = "20261234")]
        student: String,
        /// The proctor PIN typed, when the site file has `[proctor]` (else the simulation uses
        /// a PIN of its own).
        #[arg(long, env = "STATION_PROCTOR_PIN")]
        pin: Option<String>,
    },
}

#[derive(Subcommand)]
enum JournalCmd {
    /// Check a journal file without its key: exit 0 intact, 1 torn tail only, 2 corrupt.
    Verify { file: PathBuf },
}

#[derive(Subcommand)]
enum BundleCmd {
    /// Check a sealed bundle's signature, sizes and hashes; non-zero naming the first bad file.
    Verify { dir: PathBuf },
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("stationctl: error: {e:#}");
            ExitCode::from(3)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.cmd {
        Cmd::Devices { json } => {
            let board = board_config::load_board(&cli.paths.board)?;
            let mut devices = station::devices::open(&board)?;
            let list = station::devices::status(&mut devices);
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                println!("board {} ({})", board.board.name, cli.paths.board.display());
                for s in &list {
                    let mark = if s.ok { "ok     " } else { "MISSING" };
                    println!("{mark} {:<10} {}: {}", s.family, s.device, s.detail);
                }
            }
            Ok(if list.iter().all(|s| s.ok) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Selftest { json } => {
            let station = cli.paths.load()?;
            let mut devices = station::devices::open(&station.board)?;
            let session = station::session::Session::boot(station).self_test();
            let checks = station::selftest::run(
                &mut devices,
                &session.station().board.encoders,
                &session.capture(),
            );
            let st = session.station();
            station::health::ledger::save_selftest(
                &st.data_dir,
                checks.iter().map(station::selftest::Check::record),
            );
            station::health::write_logged(st, "selftest");
            if json {
                println!("{}", serde_json::to_string_pretty(&checks)?);
            } else {
                for c in &checks {
                    println!(
                        "{} {:<10} {}",
                        if c.passed { "PASS" } else { "FAIL" },
                        c.device,
                        c.detail
                    );
                }
            }
            Ok(if checks.iter().all(|c| c.passed) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Site(SiteCmd::Check { file, image }) => {
            let site = if image {
                board_config::load_image_site(&file)?
            } else {
                board_config::load_site(&file)?
            };
            println!(
                "{}: station {}, {} exam(s), proctor PIN {}",
                file.display(),
                site.station.id,
                site.exams.len(),
                if site.proctor.is_some() {
                    "set"
                } else {
                    "not set"
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Identity(IdentityCmd::Install { from, out, sys }) => {
            let out = out.unwrap_or_else(bundle::spool::identity_dir);
            let sealed = station::tpm::sealed_copy(&cli.paths.data_dir);
            let tpm = station::tpm::SystemdCreds { sys: sys.clone() };
            let done = station::enrolment::install(&station::enrolment::Install {
                from: &from,
                out: &out,
                sys: &sys,
                sealed: &sealed,
                tpm: &tpm,
            })
            .inspect_err(|e| station::enrolment::record_error(&out, e))?;
            match done {
                Some((id, sealing)) => println!(
                    "station {} ({}) enrolled: identity installed in {}, uploads under {}; {}",
                    id.station.id,
                    id.station.location,
                    out.display(),
                    id.uplink.prefix,
                    match sealing {
                        station::enrolment::Sealing::SealedNow => format!(
                            "sealed to this machine's TPM into {} and wiped from the stick",
                            sealed.display()
                        ),
                        station::enrolment::Sealing::Unsealed =>
                            "unsealed with this machine's TPM".to_string(),
                        station::enrolment::Sealing::Clear =>
                            "no TPM: the identity stays in clear on the stick".to_string(),
                    }
                ),
                None => println!(
                    "{}: blank, this stick is not enrolled: the station is the site file's [station]",
                    from.display()
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Identity(IdentityCmd::Show { from }) => {
            match station::enrolment::read(&from)? {
                Some(id) => println!(
                    "station {} ({}): uploads under {} as {}; station key {}",
                    id.station.id,
                    id.station.location,
                    id.uplink.prefix,
                    id.uplink.access_key,
                    bundle::keys::StationKey::from_seed_hex(&id.signing.seed)?.public_hex()
                ),
                None => println!("{}: blank, not enrolled", from.display()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Pin(PinCmd::Hash) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            println!("{}", station::flow::pin::hash(line.trim())?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Exam(ExamCmd::Simulate {
            duration,
            student,
            pin,
        }) => {
            let station = cli.paths.load()?;
            station::recover::recover(&station)?;
            let mut devices = station::devices::open(&station.board)?;
            let plan = station::simulate::Plan {
                student,
                duration,
                face_frames: 3,
                pin,
            };
            let dir = station::simulate::run(station, &mut devices, &plan)?;
            println!("{}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Health { prom, summary } => {
            let station = cli.paths.load()?;
            let r = station::health::write(&station, "manual")?;
            if prom {
                print!("{}", bundle::health::to_prometheus(&r));
            } else if summary {
                println!("{}", r.summary());
            } else {
                print!("{}", String::from_utf8_lossy(&r.to_json()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Recover => {
            let station = cli.paths.load()?;
            for dir in station::recover::recover(&station)? {
                println!("sealed as interrupted: {}", dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Journal(JournalCmd::Verify { file }) => {
            let v = bundle::journal::verify(&file)?;
            match &v {
                bundle::journal::Verdict::Intact { records } => {
                    println!("intact: {records} records")
                }
                bundle::journal::Verdict::TornTail { good_records } => {
                    println!("torn tail: {good_records} good records, then an incomplete one")
                }
                bundle::journal::Verdict::Corrupt { index, reason } => {
                    println!("corrupt: record {index}: {reason}")
                }
            }
            Ok(ExitCode::from(v.exit_code() as u8))
        }
        Cmd::Kiosk(KioskCmd::Prepare { out }) => {
            let site = board_config::load_site(&cli.paths.site)?;
            let written = station::kiosk::policy::prepare(&site.exam, &out)
                .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
            println!("{}\n{}", written.policy.display(), written.env.display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Storage(StorageCmd::Lock { sys }) => {
            let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
            let cuts = station::lockdown::storage::lock(&sys, &mountinfo)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut failed = false;
            for cut in cuts {
                match cut {
                    Ok(c) => println!("{}: {}", c.disk, c.how),
                    Err(e) => {
                        eprintln!("stationctl storage lock: {e}");
                        failed = true;
                    }
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Vt(cmd) => {
            let (console, locked) = match cmd {
                VtCmd::Lock { console } => (console, true),
                VtCmd::Unlock { console } => (console, false),
            };
            let active = station::lockdown::vt::set_locked(&console, locked)?;
            let state = if locked { "locked" } else { "unlocked" };
            println!(
                "VT switching {state} on {} (active: tty{active})",
                console.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bundle(BundleCmd::Verify { dir }) => match bundle::manifest::verify_bundle(&dir) {
            Ok(m) => {
                println!(
                    "ok: exam {} from {}: {} files, signature valid",
                    m.exam,
                    m.station,
                    m.files.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                println!("bad: {e}");
                Ok(ExitCode::from(2))
            }
        },
    }
}
