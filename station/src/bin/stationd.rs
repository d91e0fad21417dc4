//! `stationd`: the station daemon. Seals interrupted exams, runs the self-test, then runs the
//! exam flow for the station's whole life: the readiness card, check-in, the proctor's PIN, the
//! notice, identity, the recorded exam and its sealed bundle, exam after exam, driven only from
//! the station's own display and keyboards. Runs without network (systemd PrivateNetwork=yes):
//! it has no network code at all.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use station::cli::{init_logging, Paths};
use station::flow::{self, pin, DeviceKeys, Flow, Screen};

/// The exam station daemon.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    paths: Paths,
}

/// Sends a state line to systemd's notify socket, if there is one.
fn notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    if let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() {
        let _ = sock.send_to(state.as_bytes(), path);
    }
}

/// How often the watchdog hears from the flow (the unit's WatchdogSec is 30 s).
const WATCHDOG_EVERY: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let run = || -> anyhow::Result<()> {
        let station = cli.paths.load()?;
        for dir in station::recover::recover(&station)? {
            tracing::info!("sealed interrupted exam {}", dir.display());
        }
        station::health::write_logged(&station, "boot");
        let mut devices = station::devices::open(&station.board)?;
        let session = station::session::Session::boot(station).self_test();
        let checks = station::selftest::run(
            &mut devices,
            &session.station().board.encoders,
            &session.capture(),
        );
        for c in &checks {
            tracing::info!(
                device = c.device,
                passed = c.passed,
                "selftest: {}",
                c.detail
            );
        }
        let mut session = session.ready();
        let st = session.station().clone();
        station::health::ledger::save_selftest(
            &st.data_dir,
            checks.iter().map(station::selftest::Check::record),
        );
        station::health::write_logged(&st, "selftest");
        let mut health = station::health::Refresher::new(st.clone());
        let (w, h) = match devices.display.set_mode() {
            Ok(size) => size,
            Err(e) => {
                tracing::error!("display: {e}");
                (1024, 768)
            }
        };
        // Without a PIN hash no PIN is ever right (the readiness card says why).
        let hash = st
            .site
            .proctor
            .as_ref()
            .map(|p| p.pin_hash.as_str())
            .unwrap_or("");
        let screen = Screen {
            w,
            h,
            theme: station::ui::Theme::default(),
        };
        let mut flow = Flow::new(&st, st.site.exams.clone(), pin::Gate::new(hash), screen);
        let mut last = Instant::now();
        flow.on_heartbeat(move || {
            if last.elapsed() >= WATCHDOG_EVERY {
                notify("WATCHDOG=1");
                last = Instant::now();
            }
            // An upload attempt uplinkd recorded goes into a new signed report.
            health.poll();
        });
        tracing::info!("state: Ready");
        notify("READY=1\nSTATUS=Ready");
        let mut keys = DeviceKeys::new();
        loop {
            flow.set_readiness(flow::readiness(&st, &checks));
            let (ready, ended) = flow.run_once(session, &mut devices, &mut keys)?;
            tracing::info!("exam flow: {ended:?}");
            session = ready;
        }
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stationd: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
