//! `station-bench soak --duration D [--report FILE]` (`cargo xtask soak`): a simulated exam of
//! D recorded with the real pipelines, this process sampled every minute (CPU, resident memory,
//! threads, open descriptors, frames). It fails when memory, threads or descriptors keep growing
//! after the warm-up, or when a frame is dropped; the report (Markdown) keeps every sample.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use bundle::event::Stream;

use crate::recorder::{self, Frames};
use crate::usage::{self, Live};

/// One sample of the process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    live: Live,
    /// CPU since the previous sample, % of one core.
    cpu_pct: f64,
    camera: u64,
    microphone: u64,
    screen: u64,
}

/// Resident-memory growth beyond which a steady recorder is said to leak: 64 KiB a minute is
/// about 11 MiB over a three-hour exam.
const SLOPE_LIMIT_KIB_PER_MIN: f64 = 64.0;
/// ... and only when the end is at least this far above the steady start (noise stays below).
const GROWTH_LIMIT_KIB: u64 = 4 * 1024;
/// Threads or descriptors at the end beyond the steady start (a segment being rotated holds a
/// file or two for a moment).
const COUNT_SLACK: u64 = 4;

/// Least-squares slope of `y` over `x`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (num, den) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// What the samples say: the report's summary lines and the failures.
fn judge(samples: &[Sample], frames: &Frames, secs: u64) -> (Vec<String>, Vec<String>) {
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    // Warm-up: the first tenth of the run (at least one sample) is left out of the trend.
    let skip = (samples.len() / 10)
        .max(1)
        .min(samples.len().saturating_sub(2));
    let steady = &samples[skip..];
    let (Some(first), Some(start), Some(end)) = (samples.first(), steady.first(), samples.last())
    else {
        bad.push("no samples".into());
        return (lines, bad);
    };
    let mins = |d: Duration| d.as_secs_f64() / 60.0;
    let trend = |part: &[Sample]| {
        slope(
            &part
                .iter()
                .map(|s| (mins(s.at), s.live.rss_kib as f64))
                .collect::<Vec<_>>(),
        )
    };
    // Growth without bound shows over the whole steady part and still in its last third; a
    // step (an allocator arena, a larger buffer taken once) rises, then stays flat.
    let rss_slope = trend(steady);
    let last_slope = trend(&steady[steady.len() * 2 / 3..]);
    let mib = |k: u64| k as f64 / 1024.0;
    lines.push(format!(
        "resident memory: {:.1} MiB at {:.1} min, {:.1} MiB after the warm-up ({:.1} min), {:.1} MiB at the end ({:.1} min), peak {:.1} MiB; slope after the warm-up {:+.1} KiB/min ({:+.1} MiB over 3 hours), over the last third {:+.1} KiB/min",
        mib(first.live.rss_kib), mins(first.at),
        mib(start.live.rss_kib), mins(start.at),
        mib(end.live.rss_kib), mins(end.at),
        mib(samples.iter().map(|s| s.live.rss_kib).max().unwrap_or(0)),
        rss_slope, rss_slope * 180.0 / 1024.0, last_slope
    ));
    if rss_slope > SLOPE_LIMIT_KIB_PER_MIN
        && last_slope > SLOPE_LIMIT_KIB_PER_MIN
        && end.live.rss_kib > start.live.rss_kib + GROWTH_LIMIT_KIB
    {
        bad.push(format!(
            "resident memory keeps growing: {rss_slope:+.1} KiB/min, {last_slope:+.1} in the last third (limit {SLOPE_LIMIT_KIB_PER_MIN})"
        ));
    }
    for (what, a, b) in [
        ("threads", start.live.threads, end.live.threads),
        ("open descriptors", start.live.fds, end.live.fds),
    ] {
        let peak = steady
            .iter()
            .map(|s| {
                if what == "threads" {
                    s.live.threads
                } else {
                    s.live.fds
                }
            })
            .max()
            .unwrap_or(b);
        lines.push(format!(
            "{what}: {} at {:.1} min, {a} after the warm-up, {b} at the end (peak {peak})",
            if what == "threads" {
                first.live.threads
            } else {
                first.live.fds
            },
            mins(first.at)
        ));
        if b > a + COUNT_SLACK {
            bad.push(format!("{what} grew from {a} to {b}"));
        }
    }
    let cpu: f64 = samples.iter().map(|s| s.cpu_pct).sum::<f64>() / samples.len() as f64;
    lines.push(format!("CPU: {cpu:.1}% of one core on average"));
    for (stream, expected, missing) in recorder::dropped(frames, secs) {
        lines.push(format!(
            "{}: {} frames recorded of {expected} expected ({missing} dropped)",
            stream.name(),
            recorder::count(frames, stream)
        ));
        if missing > 0 {
            bad.push(format!("{}: {missing} frames dropped", stream.name()));
        }
    }
    lines.push(format!(
        "microphone: {} packets ({:.1} a second)",
        recorder::count(frames, Stream::Microphone),
        recorder::count(frames, Stream::Microphone) as f64 / secs.max(1) as f64
    ));
    (lines, bad)
}

/// The report: summary, verdict and every sample.
fn report(d: &str, samples: &[Sample], lines: &[String], bad: &[String]) -> String {
    let mut r = format!(
        "# Soak: a simulated exam of {d}\n\n`cargo xtask soak --duration {d}`: the station's recorder on the simulated board \
         (camera 640x480@30 x264, opus microphone, screen 1 fps; segments rotated every minute; all sealed in-line), \
         release build, this process sampled every minute.\n\n"
    );
    for l in lines {
        let _ = writeln!(r, "- {l}");
    }
    let _ = writeln!(
        r,
        "\n**{}**\n",
        if bad.is_empty() {
            "Passed: no growth after the warm-up, no frame dropped.".to_string()
        } else {
            format!("FAILED: {}", bad.join("; "))
        }
    );
    r.push_str("| min | resident MiB | CPU % | threads | fds | camera frames | screen frames | audio packets |\n");
    r.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for s in samples {
        let _ = writeln!(
            r,
            "| {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {} |",
            s.at.as_secs_f64() / 60.0,
            s.live.rss_kib as f64 / 1024.0,
            s.cpu_pct,
            s.live.threads,
            s.live.fds,
            s.camera,
            s.screen,
            s.microphone
        );
    }
    r
}

/// Runs the soak.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let d: String = crate::arg(args, "--duration")?.unwrap_or_else(|| "1h".into());
    let secs = humantime::parse_duration(&d)
        .map_err(|e| anyhow::anyhow!("--duration {d:?}: {e}"))?
        .as_secs();
    anyhow::ensure!(secs >= 60, "--duration {d:?}: at least a minute");
    let out: PathBuf = crate::arg::<String>(args, "--report")?
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("target/soak/soak-{d}.md")));
    // Every minute; a run under ten minutes (a trial) is sampled ten times.
    let every = Duration::from_secs((secs / 10).clamp(6, 60));
    let dir = crate::work_dir()?;
    let mut samples = Vec::new();
    let mut last = (Duration::ZERO, usage::own_cpu());
    println!("soak: {d} ({secs} s), a sample every {} s", every.as_secs());
    let frames = recorder::record(dir.path(), secs, every, |at, f| {
        let cpu = usage::own_cpu();
        let s = Sample {
            at,
            live: usage::live()?,
            cpu_pct: (cpu - last.1).as_secs_f64() * 100.0 / (at - last.0).as_secs_f64(),
            camera: recorder::count(f, Stream::Camera),
            microphone: recorder::count(f, Stream::Microphone),
            screen: recorder::count(f, Stream::Screen),
        };
        last = (at, cpu);
        println!(
            "soak {:6.1} min  rss {:7.1} MiB  cpu {:5.1}%  threads {:3}  fds {:3}  camera {}",
            at.as_secs_f64() / 60.0,
            s.live.rss_kib as f64 / 1024.0,
            s.cpu_pct,
            s.live.threads,
            s.live.fds,
            s.camera
        );
        samples.push(s);
        Ok(())
    })?;
    let (lines, bad) = judge(&samples, &frames, secs);
    let text = report(&d, &samples, &lines, &bad);
    if let Some(p) = out.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::write(&out, &text)?;
    for l in &lines {
        println!("soak: {l}");
    }
    println!("soak: report in {}", out.display());
    anyhow::ensure!(bad.is_empty(), "soak failed: {}", bad.join("; "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: u64, rss_mib: u64, fds: u64) -> Sample {
        Sample {
            at: Duration::from_secs(min * 60),
            live: Live {
                rss_kib: rss_mib * 1024,
                threads: 30,
                fds,
            },
            cpu_pct: 20.0,
            camera: min * 1800,
            microphone: min * 3000,
            screen: min * 60,
        }
    }

    fn frames(secs: u64) -> Frames {
        vec![
            (Stream::Camera, secs * 30),
            (Stream::Microphone, secs * 50),
            (Stream::Screen, secs),
        ]
    }

    #[test]
    fn steady_passes_a_leak_fails() {
        let flat: Vec<Sample> = (1..=60).map(|m| at(m, 60 + m % 2, 20)).collect();
        let (_, bad) = judge(&flat, &frames(3600), 3600);
        assert!(bad.is_empty(), "{bad:?}");
        let leak: Vec<Sample> = (1..=60).map(|m| at(m, 60 + m / 6, 20)).collect();
        let (_, bad) = judge(&leak, &frames(3600), 3600);
        assert!(bad.iter().any(|b| b.contains("memory")), "{bad:?}");
        // A step of 5 MiB half-way, flat after: an allocator taking more once, not a leak.
        let step: Vec<Sample> = (1..=60)
            .map(|m| at(m, if m < 30 { 50 } else { 55 }, 20))
            .collect();
        let (_, bad) = judge(&step, &frames(3600), 3600);
        assert!(bad.is_empty(), "{bad:?}");
        let fds: Vec<Sample> = (1..=60).map(|m| at(m, 60, 20 + m / 5)).collect();
        let (_, bad) = judge(&fds, &frames(3600), 3600);
        assert!(bad.iter().any(|b| b.contains("descriptors")), "{bad:?}");
        let mut short = frames(3600);
        short[0].1 -= 10;
        let (_, bad) = judge(&flat, &short, 3600);
        assert!(bad.iter().any(|b| b.contains("camera")), "{bad:?}");
    }
}
