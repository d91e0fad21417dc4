//! The voice-activity detector's labelled sound: a quiet room (noise at about -60 dBFS) with
//! speech from espeak-ng (Debian's speech synthesiser) spoken into it after the first minute,
//! a room with a fan humming from the start (not a hint: it is the room), and a hum that
//! starts mid-exam (a hint: sustained sound). Each second is labelled by what was put in it.

use std::path::Path;
use std::process::Command;

use review::audio::{self, FRAME, RATE};

use super::Rate;

/// Sentences spoken (any text would do; these are an exam room's).
const SPEECH: &[&str] = &[
    "What did you get for question four",
    "I think the answer is twelve",
    "Can you read the second part to me",
    "The integral of x squared is x cubed over three",
    "Hurry up, we have ten minutes left",
    "Look at the formula on page two",
];

fn room(secs: usize, seed: &mut u32) -> Vec<f64> {
    (0..secs * RATE)
        .map(|_| {
            *seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (f64::from((*seed >> 16) & 0x7fff) / 32768.0 - 0.5) * 60.0
        })
        .collect()
}

fn hum(into: &mut [f64], from: usize, to: usize, amp: f64) {
    for (i, s) in into.iter_mut().enumerate().take(to).skip(from) {
        *s += amp * (i as f64 * 120.0 * std::f64::consts::TAU / RATE as f64).sin();
    }
}

/// Speaks `text` with espeak-ng into 16 kHz samples.
fn speak(text: &str, dir: &Path) -> Vec<f64> {
    let wav = dir.join("speech.wav");
    let ok = Command::new("espeak-ng")
        .arg("-w")
        .arg(&wav)
        .arg(text)
        .status()
        .expect("espeak-ng runs (cargo xtask bench installs it)")
        .success();
    assert!(ok, "espeak-ng {text:?}");
    let mut out = Vec::new();
    review::media::each_buffer(
        &wav,
        &format!("wavparse ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate={RATE},channels=1,layout=interleaved"),
        |_, b| out.extend(b.chunks_exact(2).map(|c| f64::from(i16::from_le_bytes([c[0], c[1]])) * 0.5)),
    )
    .unwrap();
    out
}

/// Which seconds the detector calls sound (`audio::decide` over 20 ms frame levels).
fn active(samples: &[f64]) -> Vec<bool> {
    let frames: Vec<(f64, f64)> = samples
        .chunks_exact(FRAME)
        .enumerate()
        .map(|(i, f)| {
            let pcm: Vec<i16> = f
                .iter()
                .map(|&v| v.clamp(-32768.0, 32767.0) as i16)
                .collect();
            (i as f64 * FRAME as f64 / RATE as f64, audio::db(&pcm))
        })
        .collect();
    audio::decide(&frames)
        .seconds
        .iter()
        .map(|s| s.active >= audio::ACTIVE_SHARE)
        .collect()
}

/// Rates of the voice-activity detector, second by second: (sound said where there was none,
/// sound missed, speech seconds, hum seconds).
pub fn rates(work: &Path) -> (Rate, Rate, usize, usize) {
    let mut seed = 7;
    let (mut fp, mut missed) = (Rate::default(), Rate::default());
    let mut score = |samples: &[f64], label: &[bool]| {
        for (said, truth) in active(samples).iter().zip(label) {
            if *truth {
                missed.add(!said);
            } else {
                fp.add(*said);
            }
        }
    };
    // A quiet room, then speech: one sentence every 8 s after the first minute.
    let mut talk = room(120, &mut seed);
    let mut label = vec![false; 120];
    let mut speech_secs = 0;
    for (i, text) in SPEECH.iter().enumerate() {
        let at = (62 + i * 9) * RATE;
        let voice = speak(text, work);
        for (j, v) in voice.iter().enumerate() {
            if let Some(s) = talk.get_mut(at + j) {
                *s += v;
            }
        }
        // A second is speech when the voice is loud in a fair part of it.
        for sec in at / RATE..(at + voice.len()) / RATE + 1 {
            let part = &voice[(sec * RATE).saturating_sub(at).min(voice.len())
                ..((sec + 1) * RATE).saturating_sub(at).min(voice.len())];
            let loud = part.iter().filter(|v| v.abs() > 1000.0).count();
            if sec < 120 && loud > RATE / 10 {
                label[sec] = true;
                speech_secs += 1;
            }
        }
    }
    score(&talk, &label);
    // A fan humming from the start: the room, never a hint.
    let mut fan = room(120, &mut seed);
    hum(&mut fan, 0, 120 * RATE, 800.0);
    score(&fan, &[false; 120]);
    // A hum that starts at 70 s for 20 s: sustained sound.
    let mut late = room(120, &mut seed);
    hum(&mut late, 70 * RATE, 90 * RATE, 800.0);
    let label: Vec<bool> = (0..120).map(|s| (70..90).contains(&s)).collect();
    score(&late, &label);
    (fp, missed, speech_secs, 20)
}
