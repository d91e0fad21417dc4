//! Recording the exam: camera, microphone and screen, each in its own GStreamer pipeline, so a
//! failing camera does not stop audio or screen.
//!
//! A [`Recorder`] can only be started with a [`Capture`] grant of the `ExamRunning` state and
//! holds it until [`stop`](Recorder::stop): the exam cannot end while anything records. A lost
//! source is journaled, retried every second, and resumes into a new segment file.

pub mod pipeline;
pub mod segment;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bundle::event::{text, Device, Event, Stream};
use gstreamer as gst;
use gstreamer::prelude::*;

use crate::devices::{Devices, Source};
use crate::exam::{ExamError, ExamHandle};
use crate::session::Capture;
use pipeline::{Spec, StreamPipeline};
use segment::{SegmentWriter, Timing};

/// File extension of a stream's segments.
pub fn extension(stream: Stream) -> &'static str {
    match stream {
        Stream::Microphone => "mka",
        _ => "mkv",
    }
}

/// How often free space is checked while recording.
const SPACE_CHECK: Duration = Duration::from_secs(5);

fn device_of(stream: Stream) -> Device {
    match stream {
        Stream::Camera => Device::Camera,
        Stream::Microphone => Device::Microphone,
        Stream::Screen => Device::Display,
    }
}

struct Slot {
    spec: Spec,
    running: Option<StreamPipeline>,
    next_index: u32,
    lost: Option<Instant>,
    frames: Arc<AtomicU64>,
}

/// Records all streams of a running exam.
pub struct Recorder<'s> {
    grant: Capture<'s>,
    exam: ExamHandle,
    encoders: board_config::Encoders,
    timing: Timing,
    base: gst::ClockTime,
    slots: Vec<Slot>,
    screen_every: Duration,
    /// When the next screen frame is due: deadlines a period apart, so the rate holds over
    /// hours (waiting a period from each grab lost one frame in 200 to the tick's lateness).
    next_screen: Instant,
    last_space_check: Instant,
    storage_low: bool,
    /// Whether the last screen grabbed was blank white (see [`blank_white`]).
    screen_blank: bool,
}

impl<'s> Recorder<'s> {
    /// Starts every stream. Fails only when nothing at all can record.
    pub fn start(grant: Capture<'s>, devices: &mut Devices) -> Result<Self, ExamError> {
        gst::init().map_err(|e| ExamError::Recorder(format!("GStreamer: {e}")))?;
        let exam = grant
            .exam()
            .ok_or_else(|| ExamError::Recorder("recording needs a running exam".into()))?;
        let station = exam.station().clone();
        let board = &station.board;
        let fps = board.display.screen_fps.max(1);
        let screen = devices.display.grab(&grant)?;
        let specs = [
            Spec {
                stream: Stream::Camera,
                source: devices.camera.source(),
                pushed: Some((
                    board.camera.width,
                    board.camera.height,
                    board.camera.framerate,
                )),
            },
            Spec {
                stream: Stream::Microphone,
                source: devices.microphone.source(),
                pushed: None,
            },
            Spec {
                stream: Stream::Screen,
                source: Source::Pushed,
                pushed: Some((screen.width, screen.height, fps)),
            },
        ];
        let sync = Duration::from_secs(station.site.exam.sync_seconds.max(1) as u64);
        let timing = Timing {
            flush: sync.min(Duration::from_secs(1)),
            sync,
            rotate: Duration::from_secs(station.site.exam.segment_seconds as u64),
        };
        let clock = gst::SystemClock::obtain();
        let mut r = Recorder {
            exam: exam.handle(),
            grant,
            encoders: board.encoders.clone(),
            timing,
            base: clock.time(),
            slots: specs
                .into_iter()
                .map(|spec| Slot {
                    spec,
                    running: None,
                    next_index: 0,
                    lost: None,
                    frames: Arc::default(),
                })
                .collect(),
            screen_every: Duration::from_millis(1000 / fps as u64),
            next_screen: Instant::now(),
            last_space_check: Instant::now(),
            storage_low: false,
            screen_blank: false,
        };
        let mut started = 0;
        for i in 0..r.slots.len() {
            match r.launch(i) {
                Ok(()) => started += 1,
                Err(e) => r.lose(i, &e)?,
            }
        }
        if started == 0 {
            return Err(ExamError::Recorder("no stream could start".into()));
        }
        Ok(r)
    }

    fn launch(&mut self, i: usize) -> Result<(), String> {
        let slot = &mut self.slots[i];
        let stream = slot.spec.stream;
        let writer = Arc::new(Mutex::new(SegmentWriter::new(
            self.exam.clone(),
            stream,
            extension(stream),
            self.timing,
            slot.next_index,
        )));
        let p = StreamPipeline::start(
            &slot.spec,
            &self.encoders,
            self.base,
            writer,
            slot.frames.clone(),
        )?;
        slot.running = Some(p);
        Ok(())
    }

    fn lose(&mut self, i: usize, reason: &str) -> Result<(), ExamError> {
        let slot = &mut self.slots[i];
        tracing::warn!(stream = slot.spec.stream.name(), "source lost: {reason}");
        if let Some(p) = slot.running.take() {
            p.abort();
            slot.next_index = p.close_writer()?;
        }
        slot.lost = Some(Instant::now());
        self.exam.record_sync(Event::DeviceLost {
            device: device_of(slot.spec.stream),
            reason: text(reason),
        })
    }

    /// Call every ~100 ms: pushes screen frames, runs flush timers, notices lost sources and
    /// retries them once a second.
    pub fn tick(&mut self, devices: &mut Devices) -> Result<(), ExamError> {
        for i in 0..self.slots.len() {
            let stream = self.slots[i].spec.stream;
            let health = match stream {
                Stream::Camera => devices.camera.present(),
                Stream::Microphone => devices.microphone.present(),
                Stream::Screen => Ok(()),
            };
            if let Some(p) = &self.slots[i].running {
                let problem = health
                    .as_ref()
                    .err()
                    .map(|e| e.to_string())
                    .or_else(|| p.poll_error());
                match problem {
                    Some(why) => self.lose(i, &why)?,
                    None => p.tick()?,
                }
            } else if self.slots[i]
                .lost
                .is_some_and(|t| t.elapsed() >= Duration::from_secs(1))
            {
                self.slots[i].lost = Some(Instant::now());
                if health.is_ok() && self.launch(i).is_ok() {
                    self.slots[i].lost = None;
                    self.exam.record_sync(Event::DeviceRestored {
                        device: device_of(stream),
                    })?;
                }
            }
        }
        let now = Instant::now();
        if now >= self.next_screen {
            self.next_screen += self.screen_every;
            // Far behind (a stall): start the deadlines again from now rather than catch up.
            if now >= self.next_screen + self.screen_every {
                self.next_screen = now + self.screen_every;
            }
            self.push_screen(devices)?;
        }
        if self.last_space_check.elapsed() >= SPACE_CHECK {
            self.last_space_check = Instant::now();
            self.check_space()?;
        }
        Ok(())
    }

    /// Journals `StorageLow` once when free space falls below the site's reserve (and again
    /// after it recovered). Nothing is ever deleted to make room: unsent data is evidence.
    fn check_space(&mut self) -> Result<(), ExamError> {
        let station = self.grant.exam().map(|e| e.station().clone());
        let Some(station) = station else {
            return Ok(());
        };
        let free = crate::storage::free_bytes(&station.spool()).unwrap_or(u64::MAX);
        let low = free < station.site.storage.min_free_mib << 20;
        if low && !self.storage_low {
            self.exam.record_sync(Event::StorageLow {
                free_mib: free >> 20,
            })?;
        }
        self.storage_low = low;
        Ok(())
    }

    /// Frames (video) or packets (audio) that reached each muxer so far, across restarts.
    pub fn frames(&self) -> Vec<(Stream, u64)> {
        self.slots
            .iter()
            .map(|s| (s.spec.stream, s.frames.load(Ordering::Relaxed)))
            .collect()
    }

    fn push_screen(&mut self, devices: &mut Devices) -> Result<(), ExamError> {
        let Some(i) = self
            .slots
            .iter()
            .position(|s| s.spec.stream == Stream::Screen)
        else {
            return Ok(());
        };
        let Some(p) = &self.slots[i].running else {
            return Ok(());
        };
        let frame = match devices.display.grab(&self.grant) {
            Ok(f) => f,
            Err(e) => return self.lose(i, &e.to_string()),
        };
        self.screen_blank = blank_white(&frame);
        if let Err(e) = p.push_frame(frame.rgb) {
            return self.lose(i, &e);
        }
        Ok(())
    }

    /// Whether the last screen grabbed for the recording was blank white: what a browser shows
    /// when its page died (a crashed renderer or network service).
    pub fn screen_blank(&self) -> bool {
        self.screen_blank
    }

    /// Ends every stream (EOS, muxers drained, segment files closed) and gives the grant back.
    /// Returns the final frame counts (see [`frames`](Self::frames)).
    pub fn stop(mut self) -> Result<Vec<(Stream, u64)>, ExamError> {
        for slot in &mut self.slots {
            if let Some(p) = slot.running.take() {
                p.stop(Duration::from_secs(5))?;
            }
        }
        Ok(self.frames())
    }
}

/// Whether `frame` is white all over (every sampled pixel at 250 or more in each channel): no
/// page shows nothing at all, not even a title.
pub fn blank_white(frame: &crate::devices::Frame) -> bool {
    !frame.rgb.is_empty()
        && frame
            .rgb
            .chunks_exact(3)
            .step_by(7)
            .all(|p| p.iter().all(|&c| c >= 250))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::Frame;

    #[test]
    fn only_a_page_white_all_over_is_blank() {
        let white = Frame {
            width: 64,
            height: 48,
            rgb: vec![255; 64 * 48 * 3],
        };
        assert!(blank_white(&white));
        let mut titled = white.clone();
        titled.rgb[3 * (64 * 20 + 30)..][..3 * 7].fill(20);
        assert!(!blank_white(&titled), "a few dark pixels: a page with text");
        let grey = Frame {
            rgb: vec![200; 64 * 48 * 3],
            ..white.clone()
        };
        assert!(!blank_white(&grey));
        assert!(!blank_white(&Frame {
            width: 0,
            height: 0,
            rgb: Vec::new()
        }));
    }
}
