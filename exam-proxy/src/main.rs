//! `exam-proxy`: the exam shell's forward proxy as a service (exam-proxy.service). Reads the
//! allowlist from the site file, listens on loopback, and reports every host visited or
//! refused to the running exam.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use board_config::Network;
use clap::Parser;
use exam_proxy::allow::Allowlist;
use exam_proxy::proxy::Proxy;
use exam_proxy::report::Reporter;

/// The exam shell's forward proxy: only the site's allowlisted hosts.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The site file (its `exam.allowlist`).
    #[arg(long, default_value = "/etc/station/station.toml")]
    site: PathBuf,
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:3128")]
    listen: SocketAddr,
    /// The running exam's report socket.
    #[arg(long, default_value = "/run/station/proxy.sock")]
    report: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let site = match board_config::load_site(&cli.site) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("exam-proxy: {e}");
            return ExitCode::from(2);
        }
    };
    // Validated with the site: every entry parses.
    let private: Vec<Network> = site
        .exam
        .private_networks
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect();
    let reporter = Arc::new(Reporter::new(cli.report));
    let sink: exam_proxy::proxy::Sink = Arc::new(move |event| reporter.send(&event));
    let proxy = match Proxy::bind(cli.listen, Allowlist::new(&site.exam.allowlist), sink) {
        Ok(p) => p
            .with_ports(&site.exam.ports)
            .with_private_networks(&private),
        Err(e) => {
            eprintln!("exam-proxy: listen on {}: {e}", cli.listen);
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "exam-proxy: on {}, allowing {} on ports {:?}, internal networks {:?}",
        cli.listen,
        site.exam.allowlist.join(", "),
        site.exam.ports,
        site.exam.private_networks
    );
    let _ = proxy.spawn().join();
    ExitCode::FAILURE
}
