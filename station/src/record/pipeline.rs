//! One GStreamer pipeline per stream, assembled from element factories:
//!
//! ```text
//! camera:     v4l2src | videotestsrc | multifilesrc (a scene) -> caps -> [jpegdec] -> videoconvert -> queue -> encoder -> [parser] -> matroskamux -> appsink
//! microphone: alsasrc | audiotestsrc -> caps -> audioconvert -> audioresample -> queue -> opusenc -> matroskamux -> appsink
//! screen:     appsrc (frames grabbed from the display) -> videoconvert -> queue -> encoder -> [parser] -> matroskamux -> appsink
//! ```
//!
//! Every pipeline runs on the system clock with the exam's base time, so buffer times are
//! "time since the exam started" in all streams and across restarts of a lost source. The
//! appsink hands muxed bytes to a [`SegmentWriter`]: nothing is written in clear.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use board_config::{Encoders, VideoEncoder};
use bundle::event::Stream;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::segment::SegmentWriter;
use crate::devices::Source;

/// A running pipeline of one stream.
pub struct StreamPipeline {
    /// Which stream.
    pub stream: Stream,
    pipeline: gst::Pipeline,
    writer: Arc<Mutex<SegmentWriter>>,
    appsrc: Option<gst_app::AppSrc>,
    failure: Arc<Mutex<Option<String>>>,
}

/// What a stream records at which size and rate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The stream.
    pub stream: Stream,
    /// Where its data comes from.
    pub source: Source,
    /// For pushed video: frame size and rate.
    pub pushed: Option<(u32, u32, u32)>,
}

fn make(factory: &str) -> Result<gst::Element, String> {
    gst::ElementFactory::make(factory).build().map_err(|_| {
        format!("GStreamer element `{factory}` is missing (install its plugin package)")
    })
}

/// The Debian package that ships a GStreamer element, for error messages.
fn package_of(factory: &str) -> &'static str {
    match factory {
        "x264enc" => "gstreamer1.0-plugins-ugly",
        "openh264enc" | "h264parse" => "gstreamer1.0-plugins-bad",
        "vp8enc" | "matroskamux" | "v4l2src" => "gstreamer1.0-plugins-good",
        "alsasrc" => "gstreamer1.0-alsa",
        _ => "gstreamer1.0-plugins-base",
    }
}

/// The GStreamer elements the board's recording needs that this system lacks, each with the
/// package that ships it (e.g. "x264enc (gstreamer1.0-plugins-ugly)"). Empty: all present.
pub fn missing_elements(enc: &Encoders) -> Vec<String> {
    let video: Vec<&str> = match enc.video {
        VideoEncoder::X264 => vec!["x264enc"],
        VideoEncoder::Openh264 => vec!["openh264enc", "h264parse"],
        VideoEncoder::Vp8 => vec!["vp8enc"],
        VideoEncoder::Hardware => vec![enc.hardware_element.as_deref().unwrap_or(""), "h264parse"],
    };
    if gst::init().is_err() {
        return vec!["GStreamer itself (gst_init failed)".into()];
    }
    video
        .into_iter()
        .chain([
            "videoconvert",
            "audioconvert",
            "audioresample",
            "opusenc",
            "matroskamux",
            "appsrc",
            "appsink",
        ])
        .filter(|f| gst::ElementFactory::find(f).is_none())
        .map(|f| format!("{f:?} ({})", package_of(f)))
        .collect()
}

fn set(e: &gst::Element, prop: &str, value: &str) {
    if e.find_property(prop).is_some() {
        e.set_property_from_str(prop, value);
    }
}

fn caps_filter(caps: &str) -> Result<gst::Element, String> {
    let caps: gst::Caps = caps.parse().map_err(|_| format!("bad caps {caps}"))?;
    gst::ElementFactory::make("capsfilter")
        .property("caps", &caps)
        .build()
        .map_err(|e| e.to_string())
}

/// GStreamer caps for a V4L2 fourcc.
fn v4l2_caps(format: &str, w: u32, h: u32, fps: u32) -> (String, bool) {
    let size = format!("width={w},height={h},framerate={fps}/1");
    match format {
        "MJPG" | "JPEG" => (format!("image/jpeg,{size}"), true),
        "YUYV" => (format!("video/x-raw,format=YUY2,{size}"), false),
        "RGB3" => (format!("video/x-raw,format=RGB,{size}"), false),
        other => (format!("video/x-raw,format={other},{size}"), false),
    }
}

fn video_encoder(enc: &Encoders, fps: u32) -> Result<Vec<gst::Element>, String> {
    // 4:2:0 keeps the H.264 profile one that every player decodes.
    let i420 = caps_filter("video/x-raw,format=I420")?;
    let kbps = enc.video_bitrate_kbps.to_string();
    let bps = (enc.video_bitrate_kbps * 1000).to_string();
    let gop = (fps.max(1) * 2).to_string();
    let encoder = match enc.video {
        VideoEncoder::X264 => {
            let e = make("x264enc")?;
            set(&e, "tune", "zerolatency");
            set(&e, "speed-preset", "ultrafast");
            set(&e, "bitrate", &kbps);
            set(&e, "key-int-max", &gop);
            // x264enc already emits AU-aligned AVC, which matroskamux takes: no parser
            // (h264parse would pull gstreamer1.0-plugins-bad into the image).
            vec![e]
        }
        VideoEncoder::Openh264 => {
            let e = make("openh264enc")?;
            set(&e, "rate-control", "bitrate");
            set(&e, "bitrate", &bps);
            set(&e, "gop-size", &gop);
            vec![e, make("h264parse")?]
        }
        VideoEncoder::Vp8 => {
            let e = make("vp8enc")?;
            set(&e, "deadline", "1");
            set(&e, "target-bitrate", &bps);
            set(&e, "keyframe-max-dist", &gop);
            vec![e]
        }
        VideoEncoder::Hardware => {
            let name = enc
                .hardware_element
                .as_deref()
                .ok_or("encoders.hardware_element is not set")?;
            vec![make(name)?, make("h264parse")?]
        }
    };
    Ok(std::iter::once(i420).chain(encoder).collect())
}

/// The elements from the source to the encoder's output (the muxer is added by the caller).
fn source_chain(spec: &Spec, enc: &Encoders) -> Result<Vec<gst::Element>, String> {
    let mut v = Vec::new();
    match (&spec.source, spec.stream) {
        (
            Source::V4l2 {
                device,
                format,
                width,
                height,
                framerate,
            },
            _,
        ) => {
            let src = make("v4l2src")?;
            set(&src, "device", device);
            let (caps, jpeg) = v4l2_caps(format, *width, *height, *framerate);
            v.push(src);
            v.push(caps_filter(&caps)?);
            if jpeg {
                v.push(make("jpegdec")?);
            }
            v.extend([make("videoconvert")?, make("queue")?]);
            v.extend(video_encoder(enc, *framerate)?);
            Ok(v)
        }
        (
            Source::Alsa {
                device,
                channels,
                rate,
            },
            _,
        ) => {
            let src = make("alsasrc")?;
            set(&src, "device", device);
            v.push(src);
            v.push(caps_filter(&format!(
                "audio/x-raw,rate={rate},channels={channels}"
            ))?);
            audio_tail(v, enc)
        }
        (Source::Test { .. }, Stream::Microphone) => {
            let src = make("audiotestsrc")?;
            set(&src, "is-live", "true");
            set(&src, "wave", "sine");
            set(&src, "freq", "440");
            set(&src, "volume", "0.2");
            v.push(src);
            v.push(caps_filter("audio/x-raw,rate=48000,channels=1")?);
            audio_tail(v, enc)
        }
        (Source::Test { pattern }, _) => {
            let (w, h, fps) = spec.pushed.unwrap_or((640, 480, 30));
            let src = make("videotestsrc")?;
            set(&src, "is-live", "true");
            set(&src, "pattern", pattern);
            v.push(src);
            v.push(caps_filter(&format!(
                "video/x-raw,width={w},height={h},framerate={fps}/1"
            ))?);
            v.extend([make("videoconvert")?, make("queue")?]);
            v.extend(video_encoder(enc, fps)?);
            Ok(v)
        }
        (Source::Scene { pattern, .. }, _) => {
            let (w, h, fps) = spec.pushed.unwrap_or((640, 480, 30));
            let src = make("multifilesrc")?;
            set(&src, "location", pattern);
            set(&src, "loop", "true");
            let caps: gst::Caps = "image/jpeg,framerate=1/1"
                .parse()
                .map_err(|_| "bad scene caps".to_string())?;
            src.set_property("caps", &caps);
            // The pictures are not live: `identity sync` lets them through at the clock's pace.
            let pace = make("identity")?;
            set(&pace, "sync", "true");
            v.extend([
                src,
                make("jpegdec")?,
                make("videoconvert")?,
                make("videoscale")?,
            ]);
            v.push(make("videorate")?);
            v.push(caps_filter(&format!(
                "video/x-raw,width={w},height={h},framerate={fps}/1"
            ))?);
            v.extend([pace, make("queue")?]);
            v.extend(video_encoder(enc, fps)?);
            Ok(v)
        }
        (Source::Pushed, _) => {
            let (w, h, fps) = spec.pushed.ok_or("pushed stream without a frame size")?;
            let caps: gst::Caps =
                format!("video/x-raw,format=RGB,width={w},height={h},framerate={fps}/1")
                    .parse()
                    .map_err(|_| "bad screen caps".to_string())?;
            let src = gst_app::AppSrc::builder()
                .caps(&caps)
                .is_live(true)
                .do_timestamp(true)
                .format(gst::Format::Time)
                .build();
            v.push(src.upcast());
            v.extend([make("videoconvert")?, make("queue")?]);
            v.extend(video_encoder(enc, fps)?);
            Ok(v)
        }
    }
}

fn audio_tail(mut v: Vec<gst::Element>, enc: &Encoders) -> Result<Vec<gst::Element>, String> {
    let opus = make("opusenc")?;
    set(
        &opus,
        "bitrate",
        &(enc.audio_bitrate_kbps * 1000).to_string(),
    );
    v.extend([
        make("audioconvert")?,
        make("audioresample")?,
        make("queue")?,
        opus,
    ]);
    Ok(v)
}

impl StreamPipeline {
    /// Builds and starts the pipeline of `spec`, feeding `writer`; `frames` counts the encoded
    /// frames (or audio packets) that reach the muxer.
    pub fn start(
        spec: &Spec,
        enc: &Encoders,
        base_time: gst::ClockTime,
        writer: Arc<Mutex<SegmentWriter>>,
        frames: Arc<AtomicU64>,
    ) -> Result<Self, String> {
        let mut chain = source_chain(spec, enc)?;
        // Count what reaches the muxer: encoded frames (video) or packets (audio).
        if let Some(pad) = chain.last().and_then(|e| e.static_pad("src")) {
            pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                frames.fetch_add(1, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            });
        }
        let mux = make("matroskamux")?;
        set(&mux, "streamable", "true");
        chain.push(mux);
        let sink = gst_app::AppSink::builder().sync(false).build();
        chain.push(sink.clone().upcast());
        let pipeline = gst::Pipeline::with_name(spec.stream.name());
        pipeline.add_many(&chain).map_err(|e| e.to_string())?;
        gst::Element::link_many(&chain)
            .map_err(|e| format!("{}: cannot link pipeline: {e}", spec.stream.name()))?;
        let failure = Arc::new(Mutex::new(None));
        let (w, f) = (writer.clone(), failure.clone());
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |s| {
                    let sample = s.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    let buf = sample.buffer().ok_or(gst::FlowError::Error)?;
                    let map = buf.map_readable().map_err(|_| gst::FlowError::Error)?;
                    let flags = buf.flags();
                    let boundary =
                        !flags.intersects(gst::BufferFlags::DELTA_UNIT | gst::BufferFlags::HEADER);
                    let pts_ms = buf.pts().map(|t| t.mseconds()).unwrap_or(0);
                    let r = w
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(&map, boundary, pts_ms);
                    r.map_err(|e| {
                        *f.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                        gst::FlowError::Error
                    })?;
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        let appsrc = chain
            .first()
            .and_then(|e| e.clone().downcast::<gst_app::AppSrc>().ok());
        pipeline.use_clock(Some(&gst::SystemClock::obtain()));
        pipeline.set_start_time(gst::ClockTime::NONE);
        pipeline.set_base_time(base_time);
        pipeline.set_state(gst::State::Playing).map_err(|_| {
            format!(
                "{}: pipeline refused to start{}",
                spec.stream.name(),
                first_error(&pipeline)
            )
        })?;
        Ok(StreamPipeline {
            stream: spec.stream,
            pipeline,
            writer,
            appsrc,
            failure,
        })
    }

    /// Pushes one grabbed RGB frame (screen stream).
    pub fn push_frame(&self, rgb: Vec<u8>) -> Result<(), String> {
        let src = self.appsrc.as_ref().ok_or("not a pushed stream")?;
        src.push_buffer(gst::Buffer::from_mut_slice(rgb))
            .map(|_| ())
            .map_err(|e| format!("screen: {e:?}"))
    }

    /// An error the pipeline reported since the last call, if any.
    pub fn poll_error(&self) -> Option<String> {
        if let Some(e) = self
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            return Some(format!("writing segments failed: {e}"));
        }
        let bus = self.pipeline.bus()?;
        if let Some(msg) = bus.pop_filtered(&[gst::MessageType::Error, gst::MessageType::Eos]) {
            match msg.view() {
                gst::MessageView::Error(e) => {
                    let who = e.src().map(|s| s.name().to_string()).unwrap_or_default();
                    return Some(format!(
                        "{who}: {} ({})",
                        e.error(),
                        e.debug().unwrap_or_default()
                    ));
                }
                _ => return Some("stream ended unexpectedly".into()),
            }
        }
        None
    }

    /// Runs the writer's flush/sync timer.
    pub fn tick(&self) -> Result<(), crate::exam::ExamError> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner()).tick()
    }

    /// Ends the stream: EOS, waits until the muxer has written everything (at most `wait`),
    /// stops the pipeline and closes the segment file.
    pub fn stop(self, wait: std::time::Duration) -> Result<(), crate::exam::ExamError> {
        match &self.appsrc {
            Some(src) => {
                let _ = src.end_of_stream();
            }
            None => {
                self.pipeline.send_event(gst::event::Eos::new());
            }
        }
        if let Some(bus) = self.pipeline.bus() {
            let _ = bus.timed_pop_filtered(
                gst::ClockTime::from_mseconds(wait.as_millis() as u64),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            );
        }
        self.abort();
        self.close_writer().map(|_| ())
    }

    /// Closes the current segment file; returns the index the next run's first file gets.
    pub fn close_writer(&self) -> Result<u32, crate::exam::ExamError> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        w.close()?;
        Ok(w.next_index())
    }

    /// Stops the pipeline at once (source lost); pending bytes stay with the writer.
    pub fn abort(&self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

fn first_error(p: &gst::Pipeline) -> String {
    p.bus()
        .and_then(|b| b.pop_filtered(&[gst::MessageType::Error]))
        .and_then(|m| match m.view() {
            gst::MessageView::Error(e) => Some(format!(
                ": {} ({})",
                e.error(),
                e.debug().unwrap_or_default()
            )),
            _ => None,
        })
        .unwrap_or_default()
}
