//! `cargo xtask fuzz [--seconds N | --runs N] [TARGET...]`: runs the cargo-fuzz targets of
//! `fuzz/` on the stable toolchain (`-s none`: libFuzzer's coverage without a sanitizer, which
//! would need nightly flags), each for `N` seconds (default 60) or `N` executions.
//!
//! Each target starts from its corpus kept in the repository (`fuzz/corpus/TARGET`, read only)
//! plus what earlier runs found on this machine (`target/fuzz/corpus/TARGET`, where new inputs
//! go). A crash is saved under `target/fuzz/artifacts/TARGET/` and fails the task with the
//! command that reproduces it. The report gives executions, executions per second, corpus size
//! and coverage per target, from libFuzzer's final statistics.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::run::{cargo, root};

/// cargo-fuzz, pinned: the version measured to work with `-s none` on stable Rust.
const CARGO_FUZZ: &str = "0.13.2";

/// How long or how much each target runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    Seconds(u64),
    Runs(u64),
}

/// What one target did.
struct Outcome {
    target: String,
    execs: u64,
    secs: f64,
    corpus: usize,
    coverage: String,
    crash: Option<String>,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let (budget, mut targets) = parse(args)?;
    crate::deps::ensure(&[crate::deps::BUILD])?;
    ensure_cargo_fuzz()?;
    let all = list()?;
    if targets.is_empty() {
        targets = all.clone();
    }
    if let Some(t) = targets.iter().find(|t| !all.contains(t)) {
        return Err(format!(
            "no fuzz target `{t}`; the targets are: {}",
            all.join(", ")
        ));
    }
    let t0 = Instant::now();
    eprintln!("xtask fuzz: building {} target(s)", targets.len());
    crate::run::status(fuzz_cmd("build").args(["-s", "none", "--release"]))?;
    let mut outcomes = Vec::new();
    for t in &targets {
        eprintln!("xtask fuzz: {t} ({budget:?})");
        outcomes.push(one(t, budget)?);
    }
    println!(
        "{:<16} {:>12} {:>10} {:>8}  coverage",
        "target", "executions", "exec/s", "corpus"
    );
    for o in &outcomes {
        println!(
            "{:<16} {:>12} {:>10.0} {:>8}  {}",
            o.target,
            o.execs,
            o.execs as f64 / o.secs.max(0.001),
            o.corpus,
            o.coverage
        );
    }
    eprintln!("xtask fuzz: done in {:.0} s", t0.elapsed().as_secs_f64());
    let crashes: Vec<&String> = outcomes.iter().filter_map(|o| o.crash.as_ref()).collect();
    if crashes.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} target(s) crashed:\n{}",
            crashes.len(),
            crashes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        ))
    }
}

/// `[--seconds N | --runs N] [TARGET...]`.
fn parse(args: &[String]) -> Result<(Budget, Vec<String>), String> {
    let mut budget = Budget::Seconds(60);
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = |flag: &str| -> Result<u64, String> {
            it.next()
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag} needs a positive whole number"))
        };
        match a.as_str() {
            "--seconds" => budget = Budget::Seconds(number("--seconds")?),
            "--runs" => budget = Budget::Runs(number("--runs")?),
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "unknown option {flag}; usage: cargo xtask fuzz [--seconds N | --runs N] [TARGET...]"
                ))
            }
            t => targets.push(t.to_string()),
        }
    }
    Ok((budget, targets))
}

/// `cargo fuzz SUB` in `fuzz/`'s parent (cargo-fuzz finds `fuzz/` there).
fn fuzz_cmd(sub: &str) -> Command {
    let mut c = cargo();
    c.args(["fuzz", sub]);
    c
}

/// Installs cargo-fuzz when `cargo fuzz` is missing or another version.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let have = cargo()
        .args(["fuzz", "--version"])
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(CARGO_FUZZ))
        .unwrap_or(false);
    if have {
        return Ok(());
    }
    eprintln!("xtask fuzz: installing cargo-fuzz {CARGO_FUZZ}");
    crate::run::status(cargo().args(["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ]))
}

/// The targets `cargo fuzz list` knows.
fn list() -> Result<Vec<String>, String> {
    let out = crate::run::output(&mut fuzz_cmd("list"))?;
    Ok(out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// The fuzzer `cargo fuzz build` made for `target` (`fuzz/target/HOST/release/TARGET`).
fn binary(target: &str) -> Result<std::path::PathBuf, String> {
    let info = crate::run::output(Command::new("rustc").arg("-vV"))?;
    let host = info
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .ok_or("rustc -vV names no host")?;
    let bin = root()
        .join("fuzz/target")
        .join(host)
        .join("release")
        .join(target);
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!("{}: not built", bin.display()))
    }
}

/// Files in `dir` (0 if it does not exist).
fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// Runs one target within `budget`.
fn one(target: &str, budget: Budget) -> Result<Outcome, String> {
    let work = root().join("target/fuzz");
    let corpus = work.join("corpus").join(target);
    let artifacts = work.join("artifacts").join(target);
    let seeds = root().join("fuzz/corpus").join(target);
    for d in [&corpus, &artifacts] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let limit = match budget {
        Budget::Seconds(s) => format!("-max_total_time={s}"),
        Budget::Runs(n) => format!("-runs={n}"),
    };
    // The binary `cargo fuzz build` made, run directly: `cargo fuzz run` would build again
    // from whatever the working tree holds by then.
    let mut cmd = Command::new(binary(target)?);
    cmd.arg(&corpus)
        .arg(&seeds)
        .arg(limit)
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .args(["-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048"])
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped());
    let t0 = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| format!("cargo fuzz run {target}: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let log = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::write(work.join(format!("{target}.log")), log.as_bytes());
    let stat = |name: &str| -> Option<u64> {
        log.lines()
            .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
            .and_then(|v| v.trim().parse().ok())
    };
    let coverage = log
        .lines()
        .rev()
        .find(|l| l.contains(" cov: "))
        .and_then(|l| l.split(" cov: ").nth(1))
        .map(|c| format!("cov {}", c.split_whitespace().next().unwrap_or("?")))
        .unwrap_or_default();
    let crash = (!out.status.success()).then(|| {
        let saved = log
            .lines()
            .find_map(|l| l.split("Test unit written to ").nth(1))
            .map(str::trim)
            .unwrap_or("(no test unit written)");
        let tail: Vec<&str> = log.lines().rev().take(25).collect();
        format!(
            "{target}: {} after {:.0} s; input {saved}\n  replay: cargo fuzz run -s none --release {target} {saved}\n{}",
            out.status,
            secs,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    });
    Ok(Outcome {
        target: target.into(),
        execs: stat("number_of_executed_units").unwrap_or(0),
        secs,
        corpus: count(&corpus) + count(&seeds),
        coverage,
        crash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn budgets_and_targets() {
        assert_eq!(parse(&[]).unwrap(), (Budget::Seconds(60), vec![]));
        assert_eq!(
            parse(&args(&["--seconds", "5", "journal"])).unwrap(),
            (Budget::Seconds(5), args(&["journal"]))
        );
        assert_eq!(
            parse(&args(&["--runs", "10000000"])).unwrap().0,
            Budget::Runs(10_000_000)
        );
        for bad in [
            &["--seconds"][..],
            &["--seconds", "0"],
            &["--runs", "x"],
            &["--fast"],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
