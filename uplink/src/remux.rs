//! Remuxing recorded runs into one seekable file with its real duration in the header
//! (a streamed Matroska header carries none).

use std::path::{Path, PathBuf};

use gstreamer as gst;
use gstreamer::prelude::*;

fn quote(p: &Path) -> String {
    format!(
        "\"{}\"",
        p.display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    )
}

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
    let pipeline = gst::parse::launch(desc).map_err(|e| format!("cannot build pipeline: {e}"))?;
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

/// Joins `runs` (streamable Matroska files, in order) into `dest` (Matroska, seekable, with
/// duration and cues). Runs without a stream (nothing recorded in them) are left out.
pub fn remux(runs: &[PathBuf], dest: &Path) -> Result<(), String> {
    gst::init().map_err(|e| e.to_string())?;
    let runs: Vec<&PathBuf> = runs.iter().filter(|r| has_stream(r)).collect();
    if runs.is_empty() {
        return Err("no data recorded".into());
    }
    let pad = if dest.extension().is_some_and(|e| e == "mka") {
        "audio_%u"
    } else {
        "video_%u"
    };
    let mut desc = format!(
        "matroskamux name=m ! filesink location={} concat name=c ! queue ! m.{pad}",
        quote(dest)
    );
    for r in runs {
        desc.push_str(&format!(
            " filesrc location={} ! matroskademux ! queue ! c.",
            quote(r)
        ));
    }
    run(&desc, Until::End)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(dest: &Path, buffers: u32) {
        run(
            &format!(
                "audiotestsrc num-buffers={buffers} ! opusenc ! matroskamux streamable=true ! filesink location={}",
                quote(dest)
            ),
            Until::End,
        )
        .unwrap();
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
        remux(&[full.clone(), empty.clone()], &dest).unwrap();
        assert!(has_stream(&dest));
        assert_eq!(remux(&[empty], &dest).unwrap_err(), "no data recorded");
        // A damaged run that has a track is kept (remuxing reports what is wrong with it).
        let broken = dir.path().join("c.mka");
        let mut bytes = std::fs::read(&full).unwrap();
        bytes.truncate(bytes.len() / 2);
        bytes.extend_from_slice(&[0xff; 4096]);
        std::fs::write(&broken, bytes).unwrap();
        assert!(has_stream(&broken));
    }
}
