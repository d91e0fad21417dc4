//! `examctl`: the institution's tool: keys, opening sealed bundles.

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
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
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
        } => {
            let id = bundle::keys::Identity::load(&identity)?;
            let opened = uplink::open::open(&dir, &id, &out)?;
            print!("{}", uplink::open::summary(&opened));
            println!("timeline: {}", out.join("timeline.json").display());
        }
    }
    Ok(())
}
