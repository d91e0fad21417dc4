//! Muxed bytes of one stream into sealed segment files.
//!
//! Bytes from the muxer are buffered and sealed as one frame at least every second, and the file
//! is fdatasync'd at least every `sync` interval, so a power cut loses at most about two seconds.
//! A new segment file starts at the first cluster that begins with a keyframe once the segment
//! is `rotate` old. Segment files of one run concatenate back into the muxer's stream.

use std::time::{Duration, Instant};

use bundle::event::{text, Event, Stream};
use bundle::seal;

use crate::exam::{ExamError, ExamHandle};

/// Timing of a segment writer.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Seal pending bytes as a frame at least this often.
    pub flush: Duration,
    /// fdatasync at least this often.
    pub sync: Duration,
    /// Start a new segment file after this long (at a keyframe).
    pub rotate: Duration,
}

/// Writes one stream's segments.
pub struct SegmentWriter {
    exam: ExamHandle,
    stream: Stream,
    ext: &'static str,
    timing: Timing,
    next_index: u32,
    current: Option<Open>,
    pending: Vec<u8>,
    last_flush: Instant,
    last_sync: Instant,
}

struct Open {
    w: seal::Writer,
    index: u32,
    opened: Instant,
}

/// File name of segment `index` of `stream`.
pub fn file_name(stream: Stream, index: u32, ext: &str) -> String {
    format!("{}-{index:05}.{ext}.sealed", stream.name())
}

impl SegmentWriter {
    /// A writer for `stream` whose files end in `.{ext}.sealed`; numbering continues after
    /// `first_index` (a resumed source starts a new run in a new file).
    pub(crate) fn new(
        exam: ExamHandle,
        stream: Stream,
        ext: &'static str,
        timing: Timing,
        first_index: u32,
    ) -> Self {
        let now = Instant::now();
        SegmentWriter {
            exam,
            stream,
            ext,
            timing,
            next_index: first_index,
            current: None,
            pending: Vec::with_capacity(1 << 20),
            last_flush: now,
            last_sync: now,
        }
    }

    /// The index the next segment file will get.
    pub fn next_index(&self) -> u32 {
        self.next_index
    }

    /// Takes a piece of the muxed stream. `boundary` marks a cluster starting with a keyframe
    /// (a point where a new file may begin); `pts_ms` is its stream time.
    pub fn push(&mut self, bytes: &[u8], boundary: bool, pts_ms: u64) -> Result<(), ExamError> {
        let rotate = match &self.current {
            None => true,
            Some(o) => boundary && o.opened.elapsed() >= self.timing.rotate,
        };
        if rotate {
            self.open_next(pts_ms)?;
        }
        self.pending.extend_from_slice(bytes);
        self.tick()
    }

    /// Flushes and syncs when due (called on every push and by the recorder's timer).
    pub fn tick(&mut self) -> Result<(), ExamError> {
        if self.last_flush.elapsed() >= self.timing.flush || self.pending.len() >= 4 << 20 {
            self.flush()?;
        }
        if self.last_sync.elapsed() >= self.timing.sync {
            if let Some(o) = &mut self.current {
                o.w.sync()?;
            }
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExamError> {
        self.last_flush = Instant::now();
        if let (Some(o), false) = (&mut self.current, self.pending.is_empty()) {
            o.w.append(&self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }

    fn open_next(&mut self, pts_ms: u64) -> Result<(), ExamError> {
        self.close()?;
        let index = self.next_index;
        let file = file_name(self.stream, index, self.ext);
        let w = self.exam.create_sealed(&file)?;
        self.exam.record_sync(Event::SegmentOpened {
            stream: self.stream,
            index,
            file: text(&file),
            pts_ms,
        })?;
        self.current = Some(Open {
            w,
            index,
            opened: Instant::now(),
        });
        self.next_index += 1;
        Ok(())
    }

    /// Seals what is pending and closes the current file with an end frame.
    pub fn close(&mut self) -> Result<(), ExamError> {
        self.flush()?;
        if let Some(o) = self.current.take() {
            let bytes = o.w.bytes();
            o.w.finish()?;
            self.exam.record(Event::SegmentClosed {
                stream: self.stream,
                index: o.index,
                bytes,
            })?;
        }
        Ok(())
    }
}
