//! Reading an opened media file with GStreamer: each buffer an appsink gets, with its time on
//! the exam's clock (the opened files are on it already).

use std::path::Path;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::Error;

/// `p` quoted for a `gst::parse::launch` description.
pub fn quote(p: &Path) -> String {
    format!(
        "\"{}\"",
        p.display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    )
}

/// `filesrc location=file ! chain ! appsink`, playing: the pipeline and its sink.
fn playing(file: &Path, chain: &str) -> Result<(gst::Pipeline, gst_app::AppSink), Error> {
    gst::init().map_err(|e| Error::media(file, e.to_string()))?;
    let desc = format!(
        "filesrc location={} ! {chain} ! appsink name=out sync=false",
        quote(file)
    );
    let pipeline = gst::parse::launch(&desc)
        .map_err(|e| Error::media(file, format!("cannot build pipeline: {e}")))?
        .downcast::<gst::Pipeline>()
        .map_err(|_| Error::media(file, "not a pipeline"))?;
    let sink = pipeline
        .by_name("out")
        .and_then(|s| s.downcast::<gst_app::AppSink>().ok())
        .ok_or_else(|| Error::media(file, "no appsink"))?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| Error::media(file, e.to_string()))?;
    Ok((pipeline, sink))
}

/// Plays `file` through `chain` (a description after `filesrc`, ending in caps that fix the
/// buffers' layout) and calls `each` with every buffer's time (seconds) and bytes, as fast as
/// it decodes.
pub fn each_buffer(
    file: &Path,
    chain: &str,
    mut each: impl FnMut(f64, &[u8]),
) -> Result<(), Error> {
    let (pipeline, sink) = playing(file, chain)?;
    while let Ok(sample) = sink.pull_sample() {
        let Some(buffer) = sample.buffer() else {
            continue;
        };
        let Some(pts) = buffer.pts() else { continue };
        let Ok(map) = buffer.map_readable() else {
            continue;
        };
        each(pts.nseconds() as f64 / 1e9, map.as_slice());
    }
    let error = pipeline.bus().and_then(|bus| {
        bus.iter().find_map(|m| match m.view() {
            gst::MessageView::Error(e) => Some(e.error().to_string()),
            _ => None,
        })
    });
    let _ = pipeline.set_state(gst::State::Null);
    match error {
        Some(e) => Err(Error::media(file, e)),
        None => Ok(()),
    }
}

/// The time (seconds) of every buffer of the first stream of a Matroska `file`, undecoded.
pub fn buffer_times(file: &Path) -> Result<Vec<f64>, Error> {
    let mut times = Vec::new();
    each_buffer(file, "matroskademux", |t, _| times.push(t))?;
    Ok(times)
}

/// Runs a pipeline description to its end; the error message otherwise.
pub fn run_to_end(desc: &str) -> Result<(), String> {
    gst::init().map_err(|e| e.to_string())?;
    let pipeline = gst::parse::launch(desc).map_err(|e| format!("cannot build pipeline: {e}"))?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| e.to_string())?;
    let bus = pipeline.bus().ok_or("no bus")?;
    let mut result = Err("timed out".to_string());
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(3600)) {
        match msg.view() {
            gst::MessageView::Eos(_) => {
                result = Ok(());
                break;
            }
            gst::MessageView::Error(e) => {
                result = Err(e.error().to_string());
                break;
            }
            _ => {}
        }
    }
    let _ = pipeline.set_state(gst::State::Null);
    result
}

/// The media type of the first stream in a Matroska `file` (`video/x-h264`, `video/x-vp8`,
/// `audio/x-opus`).
pub fn codec(file: &Path) -> Result<String, Error> {
    let (pipeline, sink) = playing(file, "matroskademux")?;
    let name = sink.pull_sample().ok().and_then(|s| {
        s.caps()
            .and_then(|c| c.structure(0))
            .map(|st| st.name().to_string())
    });
    let _ = pipeline.set_state(gst::State::Null);
    name.ok_or_else(|| Error::media(file, "no stream in it"))
}
