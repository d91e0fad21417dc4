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

/// Joins `runs` (streamable Matroska files, in order) into `dest` (Matroska, seekable, with
/// duration and cues).
pub fn remux(runs: &[PathBuf], dest: &Path) -> Result<(), String> {
    gst::init().map_err(|e| e.to_string())?;
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
    let pipeline =
        gst::parse::launch(&desc).map_err(|e| format!("cannot build remux pipeline: {e}"))?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| format!("remux: {e}"))?;
    let bus = pipeline.bus().ok_or("no bus")?;
    let mut result = Err("remux timed out".to_string());
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(600)) {
        match msg.view() {
            gst::MessageView::Eos(_) => {
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
