//! Remuxing recorded runs into one seekable file with its real duration in the header
//! (a streamed Matroska header carries none), on the exam's clock: a buffer's time in the file
//! is its time since the exam started, so a camera lost for ten seconds leaves a ten-second
//! gap, and a resumed part's media start where that part started. Camera, microphone and
//! screen files then line up with each other and with the timeline.

use std::path::{Path, PathBuf};

use gstreamer as gst;
use gstreamer::prelude::*;
use review::media::quote;

/// How far [`run`] takes a pipeline.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    /// Playing, to end of stream.
    End,
    /// Paused, until every sink has its first buffer (a demuxer has read up to its first frame).
    Preroll,
}

/// Runs `desc` as far as `until` says: `Ok` when it got there, the error message otherwise.
fn run(desc: &str, until: Until) -> Result<(), String> {
    run_with(desc, until, |_| Ok(()))
}

/// [`run`], with `setup` given the pipeline before it starts.
fn run_with(
    desc: &str,
    until: Until,
    setup: impl FnOnce(&gst::Bin) -> Result<(), String>,
) -> Result<(), String> {
    let pipeline = gst::parse::launch(desc).map_err(|e| format!("cannot build pipeline: {e}"))?;
    if let Some(bin) = pipeline.downcast_ref::<gst::Bin>() {
        setup(bin)?;
    }
    let state = match until {
        Until::End => gst::State::Playing,
        Until::Preroll => gst::State::Paused,
    };
    pipeline
        .set_state(state)
        .map_err(|e| format!("remux: {e}"))?;
    let bus = pipeline.bus().ok_or("no bus")?;
    let mut result = Err("remux timed out".to_string());
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(600)) {
        match msg.view() {
            gst::MessageView::Eos(_) if until == Until::End => {
                result = Ok(());
                break;
            }
            gst::MessageView::AsyncDone(_) if until == Until::Preroll => {
                result = Ok(());
                break;
            }
            gst::MessageView::Error(e) => {
                result = Err(format!("{} ({})", e.error(), e.debug().unwrap_or_default()));
                break;
            }
            _ => {}
        }
    }
    let _ = pipeline.set_state(gst::State::Null);
    result
}

/// Whether a run holds a stream: a run cut right after it began (a device back just before
/// the exam ended) can end before its first frame, with a header and no track.
/// Any other error keeps the run, so that remuxing reports it. Only the run's head is read.
fn has_stream(path: &Path) -> bool {
    match run(
        &format!(
            "filesrc location={} ! matroskademux ! fakesink",
            quote(path)
        ),
        Until::Preroll,
    ) {
        // matroskademux: "got eos but no streams (yet)" or, header only, "No pads created".
        Err(e) => !(e.contains("no streams") || e.contains("No pads created")),
        Ok(()) => true,
    }
}

/// One recorded run and where its part of the exam starts on the exam's clock.
#[derive(Debug, Clone)]
pub struct Run {
    /// The run (streamable Matroska).
    pub path: PathBuf,
    /// Nanoseconds from the exam's start to its part's start (0 in the first part): the
    /// run's own times are since its part started.
    pub offset_ns: u64,
}

/// Joins `runs` (in order) into `dest` (Matroska, seekable, with duration and cues), each
/// buffer at its time on the exam's clock. Runs without a stream (nothing recorded in them)
/// are left out.
pub fn remux(runs: &[Run], dest: &Path) -> Result<(), String> {
    gst::init().map_err(|e| e.to_string())?;
    let runs: Vec<&Run> = runs.iter().filter(|r| has_stream(&r.path)).collect();
    if runs.is_empty() {
        return Err("no data recorded".into());
    }
    let pad = if dest.extension().is_some_and(|e| e == "mka") {
        "audio_%u"
    } else {
        "video_%u"
    };
    // concat would lay the runs end to end (adjust-base): gaps would close and the streams
    // drift apart. Each run's segment gets its part's offset instead.
    let mut desc = format!(
        "matroskamux name=m ! filesink location={} concat adjust-base=false name=c ! queue ! m.{pad}",
        quote(dest)
    );
    for (i, r) in runs.iter().enumerate() {
        desc.push_str(&format!(
            " filesrc location={} ! matroskademux ! queue name=run{i} ! c.",
            quote(&r.path)
        ));
    }
    let offsets: Vec<u64> = runs.iter().map(|r| r.offset_ns).collect();
    run_with(&desc, Until::End, |pipeline| {
        for (i, &offset) in offsets.iter().enumerate() {
            let pad = pipeline
                .by_name(&format!("run{i}"))
                .and_then(|q| q.static_pad("sink"))
                .ok_or("no run queue")?;
            pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
                on_exam_clock(info, offset);
                gst::PadProbeReturn::Ok
            });
        }
        Ok(())
    })
}

/// Rewrites a segment event so that its running time is the buffer's time plus `offset`:
/// the demuxer starts its segment at the run's first time, which would put every run at 0.
fn on_exam_clock(info: &mut gst::PadProbeInfo, offset: u64) {
    let Some(gst::PadProbeData::Event(ev)) = &mut info.data else {
        return;
    };
    let gst::EventView::Segment(s) = ev.view() else {
        return;
    };
    let Ok(mut seg) = s.segment().clone().downcast::<gst::ClockTime>() else {
        return;
    };
    let start = seg.start().map(|t| t.nseconds()).unwrap_or(0);
    seg.set_base(gst::ClockTime::from_nseconds(start + offset));
    *ev = gst::event::Segment::new(&seg);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records `buffers` (of 1024 samples at 44.1 kHz: 23 ms) starting `from_ms` in.
    fn record_at(dest: &Path, buffers: u32, from_ms: u64) {
        run(
            &format!(
                "audiotestsrc num-buffers={buffers} timestamp-offset={} ! opusenc ! matroskamux streamable=true ! filesink location={}",
                from_ms * 1_000_000,
                quote(dest)
            ),
            Until::End,
        )
        .unwrap();
    }

    fn record(dest: &Path, buffers: u32) {
        record_at(dest, buffers, 0);
    }

    fn runs(paths: &[&PathBuf]) -> Vec<Run> {
        paths
            .iter()
            .map(|p| Run {
                path: p.to_path_buf(),
                offset_ns: 0,
            })
            .collect()
    }

    /// (first, last) buffer times in `file`, in seconds.
    fn span(file: &Path) -> (f64, f64) {
        let times = review::media::buffer_times(file).unwrap();
        (times[0], times[times.len() - 1])
    }

    #[test]
    fn runs_keep_their_place_on_the_exam_clock() {
        gst::init().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        // Part 1: 0..2.3 s, the source lost, back at 10 s; part 2 (started 30 s into the
        // exam) from its own 0.
        record_at(&p("a.mka"), 100, 0);
        record_at(&p("b.mka"), 100, 10_000);
        record_at(&p("c.mka"), 100, 0);
        let mut all = runs(&[&p("a.mka"), &p("b.mka"), &p("c.mka")]);
        all[2].offset_ns = 30_000_000_000;
        let dest = p("out.mka");
        remux(&all, &dest).unwrap();
        let (first, last) = span(&dest);
        assert!(first < 0.1, "starts at {first:.2} s");
        assert!((last - 32.3).abs() < 0.2, "ends at {last:.2} s");
        // The gap stays a gap: part 1 alone ends 10 s + 2.3 s in.
        remux(&all[..2], &dest).unwrap();
        let (_, last) = span(&dest);
        assert!((last - 12.3).abs() < 0.2, "ends at {last:.2} s");
    }

    #[test]
    fn a_run_cut_before_its_first_frame_is_left_out() {
        gst::init().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (full, empty) = (dir.path().join("a.mka"), dir.path().join("b.mka"));
        record(&full, 50);
        record(&empty, 0);
        assert!(has_stream(&full));
        assert!(!has_stream(&empty), "a header without a track");
        let dest = dir.path().join("out.mka");
        remux(&runs(&[&full, &empty]), &dest).unwrap();
        assert!(has_stream(&dest));
        assert_eq!(
            remux(&runs(&[&empty]), &dest).unwrap_err(),
            "no data recorded"
        );
        // A damaged run that has a track is kept (remuxing reports what is wrong with it).
        let broken = dir.path().join("c.mka");
        let mut bytes = std::fs::read(&full).unwrap();
        bytes.truncate(bytes.len() / 2);
        bytes.extend_from_slice(&[0xff; 4096]);
        std::fs::write(&broken, bytes).unwrap();
        assert!(has_stream(&broken));
    }
}
