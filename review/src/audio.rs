//! The microphone stream: a voice-activity detector without transcription. The audio is read
//! at 16 kHz in 20 ms frames; a frame is active when it is well above the room's quiet level
//! (the baseline: the first minute's 10th percentile); each second is "sound" when enough of its
//! frames are. Whether the sound rose and fell like speech or held steady is said in words,
//! nothing is kept of what was said.

use std::path::Path;

use crate::Error;

/// Sample rate the audio is read at.
pub const RATE: usize = 16_000;
/// Samples in a frame (20 ms).
pub const FRAME: usize = RATE / 50;
/// dB above the quiet level for a frame to be active.
pub const ABOVE_FLOOR_DB: f64 = 12.0;
/// A frame quieter than this (dBFS) is never active.
pub const MIN_DB: f64 = -55.0;
/// Share of active frames that makes a second "sound".
pub const ACTIVE_SHARE: f64 = 0.3;
/// Seconds of the baseline.
pub const BASELINE_S: f64 = 60.0;

/// One second of audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Second {
    /// Exam time of its start.
    pub t: f64,
    /// Share of its frames that were active.
    pub active: f64,
    /// Spread of the level over its active frames (dB): speech rises and falls, a hum holds.
    pub swing_db: f64,
}

/// The audio's seconds and the quiet level (dBFS) they were measured against.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Each second that had audio, in order.
    pub seconds: Vec<Second>,
    /// The baseline quiet level.
    pub floor_db: f64,
}

/// The level of a frame of samples, dBFS.
pub fn db(frame: &[i16]) -> f64 {
    let e: f64 = frame
        .iter()
        .map(|&s| f64::from(s) * f64::from(s))
        .sum::<f64>();
    let rms = (e / frame.len().max(1) as f64).sqrt() / 32768.0;
    20.0 * rms.max(1e-6).log10()
}

/// Decides over frame levels `(t, dB)` (20 ms apart when nothing is missing).
pub fn decide(frames: &[(f64, f64)]) -> Audio {
    let first = frames.first().map_or(0.0, |f| f.0);
    let mut base: Vec<f64> = frames
        .iter()
        .filter(|f| f.0 < first + BASELINE_S)
        .map(|f| f.1)
        .collect();
    base.sort_by(f64::total_cmp);
    let floor_db = base.get(base.len() / 10).copied().unwrap_or(-90.0);
    let threshold = (floor_db + ABOVE_FLOOR_DB).max(MIN_DB);
    let mut seconds: Vec<Second> = Vec::new();
    let mut i = 0;
    while i < frames.len() {
        let t = frames[i].0.floor();
        let j = frames[i..]
            .iter()
            .position(|f| f.0.floor() != t)
            .map_or(frames.len(), |n| i + n);
        let levels: Vec<f64> = frames[i..j]
            .iter()
            .map(|f| f.1)
            .filter(|&d| d >= threshold)
            .collect();
        let active = levels.len() as f64 / (j - i) as f64;
        let mean = levels.iter().sum::<f64>() / levels.len().max(1) as f64;
        let var =
            levels.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / levels.len().max(1) as f64;
        seconds.push(Second {
            t,
            active,
            swing_db: var.sqrt(),
        });
        i = j;
    }
    Audio { seconds, floor_db }
}

/// Reads `file` (an opened `microphone.mka`) and decides each second.
pub fn analyse(file: &Path) -> Result<Audio, Error> {
    let chain = format!(
        "matroskademux ! decodebin ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate={RATE},channels=1,layout=interleaved"
    );
    let mut frames: Vec<(f64, f64)> = Vec::new();
    let mut pending: Vec<i16> = Vec::new();
    let mut pending_t = 0.0;
    crate::media::each_buffer(file, &chain, |t, bytes| {
        let samples: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        // A buffer that does not follow on (a gap in the recording) starts the frames afresh.
        let expected = pending_t + pending.len() as f64 / RATE as f64;
        if pending.is_empty() || (t - expected).abs() > 0.05 {
            pending.clear();
            pending_t = t;
        }
        pending.extend(samples);
        let mut at = 0;
        while pending.len() - at >= FRAME {
            frames.push((
                pending_t + at as f64 / RATE as f64,
                db(&pending[at..at + FRAME]),
            ));
            at += FRAME;
        }
        pending.drain(..at);
        pending_t += at as f64 / RATE as f64;
    })?;
    Ok(decide(&frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(level: impl Fn(f64) -> f64, secs: usize) -> Vec<(f64, f64)> {
        (0..secs * 50)
            .map(|i| {
                let t = i as f64 / 50.0;
                (t, level(t))
            })
            .collect()
    }

    #[test]
    fn a_steady_sound_from_the_start_is_the_room() {
        let a = decide(&frames(|_| -30.0, 90));
        assert_eq!(a.floor_db, -30.0);
        assert!(a.seconds.iter().all(|s| s.active == 0.0));
    }

    #[test]
    fn talking_over_a_quiet_room_is_active_and_swings() {
        // Quiet room, then from 70 s syllables: 100 ms loud, 100 ms softer.
        let a = decide(&frames(
            |t| {
                if t < 70.0 {
                    -70.0
                } else if ((t * 5.0) as u64).is_multiple_of(2) {
                    -20.0
                } else {
                    -35.0
                }
            },
            80,
        ));
        assert_eq!(a.seconds.len(), 80);
        assert!(a.seconds[..70].iter().all(|s| s.active == 0.0));
        let s = a.seconds[75];
        assert_eq!(s.active, 1.0);
        assert!(s.swing_db > 5.0, "{s:?}");
    }
}
