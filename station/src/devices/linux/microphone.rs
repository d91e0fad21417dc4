//! The microphone through ALSA (crate alsa): find the card, mixer, level meter.

use alsa::mixer::{Mixer, SelemChannelId, SelemId};
use alsa::pcm::{Access, Format, HwParams, PCM};
use alsa::{Direction, ValueOr};

use crate::devices::{DeviceError, ErrorKind, Level, Microphone, Permit, Result, Source};

/// Group that grants access to /dev/snd/*.
const GROUP: &str = "audio";

/// Maps an ALSA error on `device` to a [`DeviceError`].
pub fn alsa_err(device: &str, e: alsa::Error) -> DeviceError {
    let io = std::io::Error::from_raw_os_error(e.errno());
    let mut err = DeviceError::from_io(device, &io, GROUP);
    err.detail = format!("{}: {}", e.func(), err.detail);
    err
}

/// A sound card found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// ALSA name of its control device, e.g. `hw:Loopback`.
    pub name: String,
    /// Long name from the driver.
    pub long_name: String,
}

/// Lists the sound cards.
pub fn enumerate() -> Vec<Card> {
    alsa::card::Iter::new()
        .filter_map(|c| c.ok())
        .filter_map(|c| {
            let ctl = alsa::Ctl::from_card(&c, false).ok()?;
            let info = ctl.card_info().ok()?;
            Some(Card {
                name: format!("hw:{}", info.get_id().ok()?),
                long_name: c.get_longname().unwrap_or_default(),
            })
        })
        .collect()
}

/// The control device (`hw:CARD`) of a PCM name such as `hw:Loopback,1,0`,
/// `plughw:CARD=Device,DEV=0` or `default:CARD=X`.
pub fn card_of(pcm: &str) -> Option<String> {
    let (_, args) = pcm.split_once(':')?;
    let first = args.split(',').next()?.trim();
    let card = first.strip_prefix("CARD=").unwrap_or(first);
    (!card.is_empty()).then(|| format!("hw:{card}"))
}

/// Opens a PCM with interleaved S16 samples, `channels` and `rate`.
pub fn open_pcm(name: &str, dir: Direction, channels: u32, rate: u32) -> Result<PCM> {
    let e = |e| alsa_err(name, e);
    let pcm = PCM::new(name, dir, false).map_err(e)?;
    {
        let hw = HwParams::any(&pcm).map_err(e)?;
        hw.set_access(Access::RWInterleaved).map_err(e)?;
        hw.set_format(Format::s16()).map_err(e)?;
        hw.set_channels(channels).map_err(e)?;
        hw.set_rate(rate, ValueOr::Nearest).map_err(e)?;
        hw.set_buffer_time_near(200_000, ValueOr::Nearest)
            .map_err(e)?;
        pcm.hw_params(&hw).map_err(e)?;
    }
    Ok(pcm)
}

/// An ALSA capture device.
pub struct LinuxMicrophone {
    device: String,
    card: String,
    mixer_control: Option<String>,
    channels: u32,
    rate: u32,
}

impl LinuxMicrophone {
    /// Checks that the board's capture device opens with its configured format.
    pub fn open(cfg: &board_config::Microphone) -> Result<LinuxMicrophone> {
        let card = card_of(&cfg.device).unwrap_or_else(|| "default".into());
        let mic = LinuxMicrophone {
            device: cfg.device.clone(),
            card,
            mixer_control: cfg.mixer_control.clone(),
            channels: cfg.channels,
            rate: cfg.rate,
        };
        mic.present_card()?;
        drop(open_pcm(
            &mic.device,
            Direction::Capture,
            mic.channels,
            mic.rate,
        )?);
        Ok(mic)
    }

    fn present_card(&self) -> Result<()> {
        // Checked in /proc first: asking alsa-lib about a missing card prints noise on stderr.
        let id = self.card.trim_start_matches("hw:");
        let proc_path = match id.parse::<u32>() {
            Ok(n) => format!("/proc/asound/card{n}"),
            Err(_) => format!("/proc/asound/{id}"),
        };
        if self.card != "default" && !std::path::Path::new(&proc_path).exists() {
            return Err(DeviceError::new(
                &self.device,
                ErrorKind::NotFound,
                format!(
                    "no sound card `{id}` (cards here: {}; is its driver loaded?)",
                    card_list()
                ),
            ));
        }
        alsa::Ctl::new(&self.card, false)
            .map(drop)
            .map_err(|e| alsa_err(&self.card, e))
    }
}

fn card_list() -> String {
    let cards: Vec<String> = enumerate().into_iter().map(|c| c.name).collect();
    if cards.is_empty() {
        "none".into()
    } else {
        cards.join(", ")
    }
}

impl Microphone for LinuxMicrophone {
    fn name(&self) -> String {
        self.device.clone()
    }

    fn present(&mut self) -> Result<()> {
        self.present_card().map_err(|mut e| {
            if e.kind == ErrorKind::NotFound {
                e.kind = ErrorKind::Removed;
            }
            e
        })
    }

    fn level(&mut self, _grant: &dyn Permit, ms: u32) -> Result<Level> {
        let pcm = open_pcm(&self.device, Direction::Capture, self.channels, self.rate)?;
        let io = pcm.io_i16().map_err(|e| alsa_err(&self.device, e))?;
        let total = (self.rate as usize * ms as usize / 1000).max(1) * self.channels as usize;
        let mut samples = vec![0i16; total];
        let mut got = 0;
        let chunk = (self.rate as usize / 50).max(1) * self.channels as usize;
        while got < total {
            let end = (got + chunk).min(total);
            match io.readi(&mut samples[got..end]) {
                Ok(frames) => got += frames * self.channels as usize,
                Err(e) => pcm
                    .try_recover(e, true)
                    .map_err(|e| alsa_err(&self.device, e))?,
            }
        }
        Ok(crate::devices::level::measure(&samples))
    }

    fn set_capture_volume(&mut self, percent: u8) -> Result<Option<u8>> {
        let control = self.mixer_control.clone().ok_or_else(|| {
            DeviceError::new(
                &self.card,
                ErrorKind::Unsupported,
                "the board names no mixer control for the microphone",
            )
        })?;
        let e = |e| alsa_err(&self.card, e);
        let mixer = Mixer::new(&self.card, false).map_err(e)?;
        let id = SelemId::new(&control, 0);
        let selem = mixer.find_selem(&id).ok_or_else(|| {
            DeviceError::new(
                &self.card,
                ErrorKind::NotFound,
                format!("no mixer control `{control}`"),
            )
        })?;
        if !selem.has_capture_volume() && !selem.has_capture_switch() {
            return Err(DeviceError::new(
                &self.card,
                ErrorKind::Unsupported,
                format!("mixer control `{control}` has no capture volume or switch"),
            ));
        }
        if selem.has_capture_switch() {
            selem.set_capture_switch_all(1).map_err(e)?;
        }
        if !selem.has_capture_volume() {
            return Ok(None);
        }
        let (min, max) = selem.get_capture_volume_range();
        let want = min + (max - min) * i64::from(percent.min(100)) / 100;
        selem.set_capture_volume_all(want).map_err(e)?;
        let got = selem
            .get_capture_volume(SelemChannelId::mono())
            .map_err(e)?;
        Ok(Some(
            (((got - min) * 100 + (max - min) / 2) / (max - min).max(1)) as u8,
        ))
    }

    fn source(&self) -> Source {
        Source::Alsa {
            device: self.device.clone(),
            channels: self.channels,
            rate: self.rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::card_of;

    #[test]
    fn card_of_pcm_names() {
        assert_eq!(card_of("hw:Loopback,1,0").as_deref(), Some("hw:Loopback"));
        assert_eq!(
            card_of("plughw:CARD=Device,DEV=0").as_deref(),
            Some("hw:Device")
        );
        assert_eq!(card_of("hw:1").as_deref(), Some("hw:1"));
        assert_eq!(card_of("default"), None);
    }
}
