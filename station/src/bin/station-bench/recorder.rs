//! The recorder against bare `gst-launch-1.0`: the station recorder on the simulated board
//! (camera 640x480@30 x264 ultrafast, opus microphone, screen 1 fps, all sealed in-line), run in
//! a child process of its own, against `gst-launch-1.0` running the same three pipelines into
//! plain files: CPU time and peak resident memory of each, and the frames that never reached a
//! muxer.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bundle::event::Stream;
use bundle::keys::Identity;
use station::session::Session;

use crate::usage::{self, Usage};

const BASELINE: &str = "videotestsrc is-live=true pattern=smpte ! video/x-raw,width=640,height=480,framerate=30/1 \
 ! videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=1000 key-int-max=60 \
 ! h264parse ! matroskamux streamable=true ! filesink location=camera.mkv \
 audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! audio/x-raw,rate=48000,channels=1 ! audioconvert ! audioresample \
 ! queue ! opusenc bitrate=32000 ! matroskamux streamable=true ! filesink location=microphone.mka \
 videotestsrc is-live=true pattern=black ! video/x-raw,format=RGB,width=1024,height=768,framerate=1/1 ! videoconvert \
 ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=1000 key-int-max=2 ! h264parse \
 ! matroskamux streamable=true ! filesink location=screen.mkv";

/// Frames (video) or packets (audio) that reached each muxer.
pub type Frames = Vec<(Stream, u64)>;

/// The count of `stream` in `frames`.
pub fn count(frames: &Frames, stream: Stream) -> u64 {
    frames
        .iter()
        .find(|(s, _)| *s == stream)
        .map(|(_, n)| *n)
        .unwrap_or(0)
}

/// Video frames expected in `secs` and how many of them are missing, per video stream: a frame
/// at each end may fall outside the recording's span (two for the camera, one for the screen).
pub fn dropped(frames: &Frames, secs: u64) -> [(Stream, u64, u64); 2] {
    let cam = secs * 30;
    [
        (
            Stream::Camera,
            cam,
            cam.saturating_sub(count(frames, Stream::Camera) + 2),
        ),
        (
            Stream::Screen,
            secs,
            secs.saturating_sub(count(frames, Stream::Screen) + 1),
        ),
    ]
}

/// The simulated board's station with a site of its own in `dir` (folder uplink).
fn station_in(dir: &Path) -> anyhow::Result<Arc<station::station::Station>> {
    let id = Identity::generate();
    let site = dir.join("site.toml");
    std::fs::write(
        &site,
        format!(
            "[station]\nid = \"bench\"\nlocation = \"bench\"\n[institution]\nname = \"Bench\"\nrecipient = \"{}\"\n\
             [exam]\nallowlist = [\"exam.example.ca\"]\n[uplink]\nbackend = \"folder\"\nresidency = \"CA\"\nfolder = \"{}\"\n",
            id.recipient(),
            dir.join("central").display()
        ),
    )?;
    let board = Path::new(env!("CARGO_MANIFEST_DIR")).join("../board-config/boards/sim.toml");
    Ok(Arc::new(station::station::Station::load(
        &board,
        &site,
        &dir.join("data"),
    )?))
}

/// Records a simulated exam of `secs` in `dir` with the station's own recorder and seals it;
/// `sample` is called every `every` with the time recorded so far and the frame counts.
pub fn record(
    dir: &Path,
    secs: u64,
    every: Duration,
    mut sample: impl FnMut(Duration, &Frames) -> anyhow::Result<()>,
) -> anyhow::Result<Frames> {
    let station = station_in(dir)?;
    let mut devices = station::devices::open(&station.board)?;
    let s = Session::boot(station).self_test().ready();
    let s = s
        .check_in("bench")
        .map_err(|r| anyhow::anyhow!("{}", r.error))?
        .identity()?;
    let s = s
        .start_exam(u32::try_from(secs)?)
        .map_err(|r| anyhow::anyhow!("{}", r.error))?;
    let mut rec = station::record::Recorder::start(s.capture(), &mut devices)?;
    let start = Instant::now();
    let until = start + Duration::from_secs(secs);
    let mut next = start + every;
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
        rec.tick(&mut devices)?;
        if Instant::now() >= next {
            next += every;
            sample(start.elapsed(), &rec.frames())?;
        }
    }
    let frames = rec.stop()?;
    s.end(bundle::event::EndReason::TimeUp)?.seal()?;
    Ok(frames)
}

/// `station-bench record --secs N --dir D`: the recorder alone in this process (the bench runs
/// it as a child to measure it apart); prints the frame counts as `frames C M S`.
pub fn child(args: &[String]) -> anyhow::Result<()> {
    let secs = crate::arg(args, "--secs")?.unwrap_or(60);
    let dir: String = crate::arg(args, "--dir")?.ok_or_else(|| anyhow::anyhow!("--dir D"))?;
    let f = record(
        Path::new(&dir),
        secs,
        Duration::from_secs(secs + 1),
        |_, _| Ok(()),
    )?;
    println!(
        "frames {} {} {}",
        count(&f, Stream::Camera),
        count(&f, Stream::Microphone),
        count(&f, Stream::Screen)
    );
    Ok(())
}

/// `station-bench flow --secs N --dir D`: a whole simulated exam through the exam flow, as
/// stationd runs it (readiness card, check-in, PIN, notice, photo ID and face scan, the recorded
/// exam, the sealed screen), in this process.
pub fn flow_child(args: &[String]) -> anyhow::Result<()> {
    let secs: u64 = crate::arg(args, "--secs")?.unwrap_or(60);
    let dir: String = crate::arg(args, "--dir")?.ok_or_else(|| anyhow::anyhow!("--dir D"))?;
    let station = station_in(Path::new(&dir))?;
    let mut devices = station::devices::open(&station.board)?;
    let plan = station::simulate::Plan {
        student: "20260001".into(),
        duration: Duration::from_secs(secs),
        face_frames: 3,
        pin: None,
    };
    station::simulate::run(station, &mut devices, &plan)?;
    Ok(())
}

/// Runs `gst-launch-1.0` with the baseline pipelines for `secs`, then SIGINT (with `-e`, an EOS
/// that finishes the files as the station's are finished).
fn baseline(dir: &Path, secs: u64) -> anyhow::Result<(Usage, u64)> {
    std::fs::create_dir_all(dir)?;
    let child = Command::new("gst-launch-1.0")
        .args(["-q", "-e"])
        .args(BASELINE.split_whitespace())
        .current_dir(dir)
        .spawn()?;
    let rss = usage::watch(child.id());
    std::thread::sleep(Duration::from_secs(secs));
    // SAFETY: signalling our own child, not yet waited for.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let (code, u) = usage::wait(child)?;
    anyhow::ensure!(code == 0, "gst-launch-1.0 exited with {code}");
    Ok((u, usage::steady(&rss.join().unwrap_or_default())))
}

/// This program run as a child with `args`: its usage, steady resident memory and output.
fn myself(
    args: &[&str],
    dir: &Path,
    env: &[(&str, &Path)],
) -> anyhow::Result<(Usage, u64, String)> {
    std::fs::create_dir_all(dir)?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(args)
        .arg("--dir")
        .arg(dir)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let rss = usage::watch(child.id());
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        std::io::Read::read_to_string(&mut o, &mut out)?;
    }
    let (code, u) = usage::wait(child)?;
    anyhow::ensure!(code == 0, "station-bench {args:?} exited with {code}");
    Ok((u, usage::steady(&rss.join().unwrap_or_default()), out))
}

/// The station recorder for `secs` in a child process: its usage, steady resident memory and
/// frame counts.
fn station(dir: &Path, secs: u64) -> anyhow::Result<(Usage, u64, Frames)> {
    let (u, rss, out) = myself(&["record", "--secs", &secs.to_string()], dir, &[])?;
    let n: Vec<u64> = out
        .lines()
        .find_map(|l| l.strip_prefix("frames "))
        .ok_or_else(|| anyhow::anyhow!("the recorder child printed no frame counts: {out:?}"))?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(n.len() == 3, "frame counts {out:?}");
    let frames = vec![
        (Stream::Camera, n[0]),
        (Stream::Microphone, n[1]),
        (Stream::Screen, n[2]),
    ];
    Ok((u, rss, frames))
}

/// The image's font subset (what `stationd` draws with there; see `station::ui::face`).
const IMAGE_FONT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../images/common/overlay/usr/share/exam-station/fonts/DejaVuSans-Latin.ttf"
);

/// The recorder bench: CPU and peak resident memory as ratios against gst-launch-1.0, and the
/// frames dropped (must be 0).
pub fn bench(dir: &Path, secs: u64) -> anyhow::Result<()> {
    let (base, base_rss) = baseline(&dir.join("gst-launch"), secs)?;
    let (ours, ours_rss, frames) = station(&dir.join("station"), secs)?;
    let font = [("STATION_FONT", Path::new(IMAGE_FONT))];
    let (_, flow_rss, _) = myself(
        &["flow", "--secs", &secs.to_string()],
        &dir.join("flow"),
        &font,
    )?;
    crate::report(
        "recorder CPU",
        format!(
            "{:.1}% of one core",
            ours.cpu.as_secs_f64() * 100.0 / secs as f64
        ),
        base.cpu,
        ours.cpu,
    );
    let mib = |k: u64| k as f64 / 1024.0;
    println!(
        "recorder memory  {:.1} MiB resident recording       ratio vs baseline {:.3} (gst-launch-1.0 {:.1} MiB; each the median of its run's last half)",
        mib(ours_rss),
        ours_rss as f64 / base_rss.max(1) as f64,
        mib(base_rss),
    );
    println!(
        "station memory   {:.1} MiB resident recording       ratio vs baseline {:.3} (the whole exam flow in one process as stationd runs it: check-in, face scan, screens, then {secs} s recorded; the image's font)",
        mib(flow_rss),
        flow_rss as f64 / base_rss.max(1) as f64,
    );
    let [cam, screen] = dropped(&frames, secs);
    println!(
        "recorder frames  camera {} of {} expected ({} dropped), screen {} of {} ({} dropped), audio packets {}",
        count(&frames, Stream::Camera),
        cam.1,
        cam.2,
        count(&frames, Stream::Screen),
        screen.1,
        screen.2,
        count(&frames, Stream::Microphone)
    );
    anyhow::ensure!(
        cam.2 == 0 && screen.2 == 0,
        "the recorder dropped frames: camera {}, screen {}",
        cam.2,
        screen.2
    );
    Ok(())
}
