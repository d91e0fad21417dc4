//! Microphone tests on snd-aloop: the level meter hears a tone played into the loopback and
//! silence when nothing plays; a missing card is named.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use station::devices::linux::microphone::{open_pcm, LinuxMicrophone};
use station::devices::{ErrorKind, Level, Microphone};

use crate::ctx::{ensure, Ctx};
use crate::Test;

/// The microphone tests.
pub const TESTS: &[(&str, Test)] = &[
    ("mic_level_hears_tone_in_loopback", tone),
    ("mic_level_silence_without_playback", silence),
    ("mic_missing_card_is_named", missing),
    ("mic_mixer_unmutes_capture", mixer),
];

/// The playback side of the board's loopback capture device (`hw:Loopback,1,N` ->
/// `hw:Loopback,0,N`).
fn playback_of(capture: &str) -> Option<String> {
    let rest = capture.strip_prefix("hw:Loopback,1")?;
    Some(format!("hw:Loopback,0{rest}"))
}

/// Plays a 1 kHz tone at half scale until `stop`.
fn play(device: String, channels: u32, rate: u32, stop: Arc<AtomicBool>) -> Result<(), String> {
    let pcm =
        open_pcm(&device, alsa::Direction::Playback, channels, rate).map_err(|e| e.to_string())?;
    let io = pcm.io_i16().map_err(|e| e.to_string())?;
    let period = (rate / 50) as usize;
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let buf: Vec<i16> = (0..period)
            .flat_map(|i| {
                let t = (n + i) as f32 / rate as f32;
                let s = ((t * 1000.0 * std::f32::consts::TAU).sin() * 16384.0) as i16;
                std::iter::repeat_n(s, channels as usize)
            })
            .collect();
        n += period;
        if let Err(e) = io.writei(&buf) {
            pcm.try_recover(e, true).map_err(|e| e.to_string())?;
        }
    }
    let _ = pcm.drop();
    Ok(())
}

/// Waits until the loopback's playback substream runs (under TCG it starts late).
fn wait_running(device: &str) -> Result<(), String> {
    let sub = device.rsplit(',').next().unwrap_or("0");
    let status = format!("/proc/asound/Loopback/pcm0p/sub{sub}/status");
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        if std::fs::read_to_string(&status).is_ok_and(|s| s.contains("RUNNING")) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{status} never showed RUNNING"))
}

fn mic(ctx: &Ctx) -> Result<LinuxMicrophone, String> {
    LinuxMicrophone::open(&ctx.board.microphone).map_err(|e| e.to_string())
}

fn show(l: &Level) -> String {
    format!(
        "rms {:.1} dBFS, peak {:.1} dBFS, {} clipped",
        l.rms_db, l.peak_db, l.clipped
    )
}

fn tone(ctx: &Ctx) -> Result<String, String> {
    let m = &ctx.board.microphone;
    let playback = playback_of(&m.device)
        .ok_or_else(|| format!("{} is not the capture side of snd-aloop", m.device))?;
    let mut mic = mic(ctx)?;
    let stop = Arc::new(AtomicBool::new(false));
    let player = {
        let (dev, stop, ch, rate) = (playback.clone(), stop.clone(), m.channels, m.rate);
        std::thread::spawn(move || play(dev, ch, rate, stop))
    };
    let r = wait_running(&playback)
        .and_then(|_| mic.level(&ctx.grant(), 1000).map_err(|e| e.to_string()));
    stop.store(true, Ordering::Relaxed);
    let played = player
        .join()
        .map_err(|_| "player thread panicked".to_string())?;
    played?;
    let l = r?;
    // A half-scale sine: peak -6 dBFS, RMS -9 dBFS.
    ensure(
        l.rms_db > -15.0 && l.peak_db > -9.0 && l.clipped == 0,
        || format!("tone not heard as expected: {}", show(&l)),
    )?;
    Ok(format!("{playback} -> {}: {}", m.device, show(&l)))
}

fn silence(ctx: &Ctx) -> Result<String, String> {
    let mut mic = mic(ctx)?;
    let l = mic.level(&ctx.grant(), 1000).map_err(|e| e.to_string())?;
    ensure(l.rms_db < -60.0, || {
        format!("expected silence: {}", show(&l))
    })?;
    Ok(show(&l))
}

fn missing(ctx: &Ctx) -> Result<String, String> {
    let mut cfg = ctx.board.microphone.clone();
    cfg.device = "hw:NoSuchCard,0".into();
    let e = LinuxMicrophone::open(&cfg)
        .err()
        .ok_or("hw:NoSuchCard opened")?;
    ensure(
        e.kind == ErrorKind::NotFound && e.detail.contains("NoSuchCard"),
        || format!("got {e}"),
    )?;
    Ok(e.to_string())
}

/// Reads the capture switch of `control` on `card` with a fresh mixer handle.
fn capture_switch(card: &str, control: &str) -> Result<i32, String> {
    let mixer = alsa::mixer::Mixer::new(card, false).map_err(|e| format!("{card}: {e}"))?;
    let selem = mixer
        .find_selem(&alsa::mixer::SelemId::new(control, 0))
        .ok_or_else(|| format!("{card} has no `{control}`"))?;
    selem
        .get_capture_switch(alsa::mixer::SelemChannelId::mono())
        .map_err(|e| e.to_string())
}

fn mixer(ctx: &Ctx) -> Result<String, String> {
    // snd-dummy's "Mic" has a capture switch (and a playback volume): mute it behind the
    // station's back, then the station's mixer call must unmute it.
    let (card, control) = ("hw:Dummy", "Mic");
    {
        let m = alsa::mixer::Mixer::new(card, false).map_err(|e| format!("{card}: {e}"))?;
        let selem = m
            .find_selem(&alsa::mixer::SelemId::new(control, 0))
            .ok_or_else(|| format!("{card} has no `{control}`"))?;
        selem.set_capture_switch_all(0).map_err(|e| e.to_string())?;
    }
    ensure(capture_switch(card, control)? == 0, || {
        "could not mute the switch".into()
    })?;
    let mut cfg = ctx.board.microphone.clone();
    cfg.device = "hw:Dummy,0".into();
    cfg.mixer_control = Some(control.into());
    let mut mic = LinuxMicrophone::open(&cfg).map_err(|e| e.to_string())?;
    let vol = mic.set_capture_volume(75).map_err(|e| e.to_string())?;
    ensure(capture_switch(card, control)? == 1, || {
        "capture still muted".into()
    })?;
    if let Some(v) = vol {
        ensure(v.abs_diff(75) <= 2, || {
            format!("capture volume read back {v}%, wanted 75%")
        })?;
    }
    cfg.mixer_control = Some("NoSuchControl".into());
    let mut bad = LinuxMicrophone::open(&cfg).map_err(|e| e.to_string())?;
    let e = bad
        .set_capture_volume(50)
        .err()
        .ok_or("a missing control was accepted")?;
    ensure(
        e.kind == ErrorKind::NotFound && e.detail.contains("NoSuchControl"),
        || format!("got {e}"),
    )?;
    Ok(format!(
        "{card} `{control}` capture unmuted (volume {vol:?}); {e}"
    ))
}
