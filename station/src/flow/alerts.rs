//! What the station's GPIO tells the hall, as pure logic: the proctor call button (the screen
//! names the station that called, for [`CALL_SHOWN`]) and the tamper switch (the screen says
//! the case is open while it reads open). Used on the recording badge ([`super::control`]) and
//! on the check-in screens.

use std::time::{Duration, Instant};

use board_config::Language;
use bundle::event::Event;

use super::text::{fill, text, Msg};
use crate::devices::Signal;

/// How long the screen says a proctor was called after the call button.
pub const CALL_SHOWN: Duration = Duration::from_secs(120);

/// The call and the case, as the screen shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alerts {
    /// Until when a call shows, and which station called.
    called: Option<(Instant, String)>,
    /// The tamper switch reads open.
    case_open: bool,
}

impl Alerts {
    /// The call button of `station` was pressed at `now`.
    pub fn called(&mut self, station: &str, now: Instant) {
        self.called = Some((now + CALL_SHOWN, station.to_owned()));
    }

    /// A signal from station `station`'s GPIO at `now`: a call shows from now on; the event
    /// that journals it.
    pub fn signal(&mut self, s: Signal, station: &str, now: Instant) -> Event {
        match s {
            Signal::CallButton => {
                self.called(station, now);
                Event::CallButton
            }
            Signal::Tamper => Event::Tamper,
        }
    }

    /// The tamper switch reads `open`.
    pub fn case(&mut self, open: bool) {
        self.case_open = open;
    }

    /// Time passes: a call shown long enough goes.
    pub fn tick(&mut self, now: Instant) {
        if self.called.as_ref().is_some_and(|(until, _)| now >= *until) {
            self.called = None;
        }
    }

    /// Whether anything is to be shown.
    pub fn any(&self) -> bool {
        self.called.is_some() || self.case_open
    }

    /// The lines to show, in `lang`.
    pub fn lines(&self, lang: Language) -> Vec<String> {
        let mut out = Vec::new();
        if let Some((_, station)) = &self.called {
            out.push(fill(lang, Msg::ProctorCalled, &[("station", station)]));
        }
        if self.case_open {
            out.push(text(lang, Msg::CaseOpen).to_owned());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_shows_the_station_for_a_while_and_the_case_while_open() {
        let t0 = Instant::now();
        let mut a = Alerts::default();
        assert!(!a.any());
        a.called("hall-b-07", t0);
        a.case(true);
        assert_eq!(
            a.lines(Language::English),
            ["PROCTOR CALLED TO hall-b-07", "CASE OPEN: JOURNALED"]
        );
        a.tick(t0 + CALL_SHOWN - Duration::from_secs(1));
        assert_eq!(a.lines(Language::French).len(), 2);
        a.tick(t0 + CALL_SHOWN);
        a.case(false);
        assert!(!a.any());
        assert!(a.lines(Language::English).is_empty());
    }
}
