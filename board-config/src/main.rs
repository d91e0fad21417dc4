//! `board-config check FILE...`: validates board and site files and explains every error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Validate exam-station board files (boards/*.toml) and site files (station.toml).
#[derive(Parser)]
#[command(name = "board-config", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check files: a file with a top-level [station] table is a site file, any other a board file.
    Check {
        /// Files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Whether `path` looks like a site file (has a top-level `[station]` table).
fn is_site(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.parse::<toml_edit::ImDocument<String>>().ok())
        .is_some_and(|doc| doc.get("station").is_some_and(|item| item.is_table_like()))
}

/// Checks one file, printing `ok: ...` on stdout or the error on stderr.
fn check(path: &Path) -> bool {
    let result = if is_site(path) {
        board_config::load_site(path).map(|site| format!("site, station {}", site.station.id))
    } else {
        board_config::load_board(path).map(|b| {
            format!(
                "board {}, {}, {}",
                b.board.name, b.board.backend, b.board.arch
            )
        })
    };
    match result {
        Ok(summary) => {
            println!("ok: {} ({summary})", path.display());
            true
        }
        Err(err) => {
            eprintln!("{err}");
            false
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files } => {
            // Check every file, not only up to the first failure.
            let failures = files.iter().filter(|f| !check(f)).count();
            if failures == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
