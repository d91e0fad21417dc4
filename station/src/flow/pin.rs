//! The proctor's PIN: hashed with argon2id for the site file, checked at the station with a
//! rate limit, so that guessing at the keyboard is slow and every wrong try is journaled.
//!
//! Only the hash is ever stored (`[proctor] pin_hash`). Three wrong PINs in a row cost nothing
//! but a message; from the fourth on, each wrong PIN makes the station wait before it takes
//! another: 30 s, then twice as long each time, at most 15 minutes. A right PIN resets the count.

use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::text::Msg;

/// Wrong PINs in a row that cost no wait.
pub const FREE_TRIES: u16 = 3;
/// The first wait, after [`FREE_TRIES`] wrong PINs.
pub const FIRST_WAIT: Duration = Duration::from_secs(30);
/// The longest wait.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Shortest and longest PIN, in digits.
pub const DIGITS: std::ops::RangeInclusive<usize> = 4..=12;

/// Why a PIN cannot be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// Not 4 to 12 digits.
    #[error("a proctor PIN is 4 to 12 digits")]
    Form,
    /// The hash function failed (it does not, with valid parameters).
    #[error("argon2: {0}")]
    Hash(String),
}

/// Hashes `pin` (4 to 12 digits) as an argon2id PHC string with a random salt and argon2's
/// recommended parameters (m=19456 KiB, t=2, p=1), for the site file's `pin_hash`.
pub fn hash(pin: &str) -> Result<String, PinError> {
    if !well_formed(pin) {
        return Err(PinError::Form);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PinError::Hash(e.to_string()))
}

/// Whether `pin` is 4 to 12 ASCII digits.
pub fn well_formed(pin: &str) -> bool {
    DIGITS.contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// The outcome of one PIN entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The right PIN.
    Accepted,
    /// A wrong PIN: `attempts` wrong in a row now; the next is taken only after `wait`.
    Rejected {
        /// Wrong PINs in a row, this one included.
        attempts: u16,
        /// How long the station now waits before it takes another PIN (zero: at once).
        wait: Duration,
    },
    /// Not checked: the station still waits this long after earlier wrong PINs.
    Waiting(Duration),
}

impl Verdict {
    /// What the screen says of a PIN not accepted: the message and its argument (wrong, with
    /// how many in a row; or how many seconds to wait). `None` for [`Verdict::Accepted`].
    pub fn refusal(self) -> Option<(Msg, [(&'static str, String); 1])> {
        match self {
            Verdict::Accepted => None,
            Verdict::Rejected { attempts, wait } if wait.is_zero() => {
                Some((Msg::PinWrong, [("attempts", attempts.to_string())]))
            }
            Verdict::Rejected { wait, .. } => {
                Some((Msg::PinWait, [("secs", wait.as_secs().to_string())]))
            }
            Verdict::Waiting(left) => Some((
                Msg::PinWait,
                [("secs", left.as_secs_f64().ceil().to_string())],
            )),
        }
    }
}

/// Checks PINs against the site's hash with the rate limit. One gate lives as long as the
/// station process, so the count is not reset by going back to the start.
pub struct Gate {
    hash: String,
    wrong: u16,
    until: Option<Instant>,
}

impl Gate {
    /// A gate for `pin_hash` (an argon2id PHC string, checked by the site validation).
    pub fn new(pin_hash: &str) -> Gate {
        Gate {
            hash: pin_hash.to_owned(),
            wrong: 0,
            until: None,
        }
    }

    /// How long the station still waits at `now` before it takes a PIN.
    pub fn waiting(&self, now: Instant) -> Option<Duration> {
        self.until
            .and_then(|u| u.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    /// Checks `pin` at `now`.
    pub fn check(&mut self, pin: &str, now: Instant) -> Verdict {
        if let Some(left) = self.waiting(now) {
            return Verdict::Waiting(left);
        }
        let right = well_formed(pin)
            && PasswordHash::new(&self.hash)
                .map(|h| {
                    Argon2::default()
                        .verify_password(pin.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false);
        if right {
            self.wrong = 0;
            self.until = None;
            return Verdict::Accepted;
        }
        self.wrong = self.wrong.saturating_add(1);
        let wait = wait_after(self.wrong);
        self.until = (!wait.is_zero()).then(|| now + wait);
        Verdict::Rejected {
            attempts: self.wrong,
            wait,
        }
    }
}

/// The wait after `wrong` wrong PINs in a row.
pub fn wait_after(wrong: u16) -> Duration {
    if wrong <= FREE_TRIES {
        return Duration::ZERO;
    }
    let doublings = u32::from(wrong - FREE_TRIES - 1).min(16);
    FIRST_WAIT.saturating_mul(1 << doublings).min(MAX_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_check() {
        let h = hash("2468").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_ne!(h, hash("2468").unwrap(), "salted");
        let mut g = Gate::new(&h);
        let t = Instant::now();
        assert_eq!(g.check("2468", t), Verdict::Accepted);
        assert!(matches!(hash("24a8"), Err(PinError::Form)));
        assert!(matches!(hash("123"), Err(PinError::Form)));
    }

    #[test]
    fn wrong_pins_wait_longer_and_longer() {
        let mut g = Gate::new(&hash("2468").unwrap());
        let mut t = Instant::now();
        for n in 1..=3 {
            assert_eq!(
                g.check("1111", t),
                Verdict::Rejected {
                    attempts: n,
                    wait: Duration::ZERO
                }
            );
        }
        assert_eq!(
            g.check("1111", t),
            Verdict::Rejected {
                attempts: 4,
                wait: FIRST_WAIT
            }
        );
        // While waiting even the right PIN is not checked.
        t += Duration::from_secs(10);
        assert_eq!(
            g.check("2468", t),
            Verdict::Waiting(Duration::from_secs(20))
        );
        t += Duration::from_secs(20);
        assert_eq!(
            g.check("", t),
            Verdict::Rejected {
                attempts: 5,
                wait: Duration::from_secs(60)
            }
        );
        t += Duration::from_secs(60);
        assert_eq!(g.check("2468", t), Verdict::Accepted);
        assert_eq!(g.waiting(t), None);
        assert!(matches!(
            g.check("1", t),
            Verdict::Rejected { attempts: 1, .. }
        ));
    }

    #[test]
    fn waits_are_capped() {
        assert_eq!(wait_after(3), Duration::ZERO);
        assert_eq!(wait_after(6), Duration::from_secs(120));
        assert_eq!(wait_after(9), Duration::from_secs(900));
        assert_eq!(wait_after(u16::MAX), MAX_WAIT);
    }
}
