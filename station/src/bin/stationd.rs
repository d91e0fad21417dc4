//! `stationd`: the station daemon. Seals interrupted exams, runs the self-test, then waits in
//! Ready. Runs without network (systemd PrivateNetwork=yes): it has no network code at all.

use std::process::ExitCode;

use clap::Parser;
use station::cli::{init_logging, Paths};

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

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let run = || -> anyhow::Result<()> {
        let station = cli.paths.load()?;
        for dir in station::recover::recover(&station)? {
            tracing::info!("sealed interrupted exam {}", dir.display());
        }
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
        let _ready = session.ready();
        tracing::info!("state: Ready");
        notify("READY=1\nSTATUS=Ready");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(5));
            notify("WATCHDOG=1");
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
