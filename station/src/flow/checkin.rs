//! The check-in steps at the station's own screen, as pure logic: keys in, outcomes and a
//! [`View`] out. No device, no session: the exam flow above ([`super::Flow`]) journals the
//! outcomes and moves the session.
//!
//! ```text
//! Welcome --Enter--> Student --Enter (matches the site's pattern)--> Exam --Enter--> CheckedIn
//!    Proctor --PIN, Enter--> Approved -> Notice --Enter--> Acknowledged
//! Welcome --F5 (an interrupted exam is offered)--> Resume --PIN, Enter--> Resume
//! Welcome --F3 (a health report was written)--> Health --any key--> Welcome
//! Esc goes back a step; from Proctor or Notice it cancels the check-in. F2 switches language.
//! ```
//!
//! Bad input never leaves the student stuck: every refusal says why on the screen and the same
//! step stays open, with Esc as the way back.

use std::time::Instant;

use board_config::{ExamEntry, Language};

use super::keys::Key;
use super::pin::{self, Gate, Verdict};
use super::text::{fill, text, Msg};
use crate::ui::View;

/// The longest input a field takes (a student number, an exam code, a PIN).
const FIELD_MAX: usize = 32;

/// Where the check-in is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The readiness card: READY or DO NOT USE.
    Welcome,
    /// Typing the student number.
    Student,
    /// Choosing the exam.
    Exam,
    /// The proctor confirms with the PIN.
    Proctor,
    /// The privacy notice.
    Notice,
    /// The proctor resumes an interrupted exam with the PIN.
    Resume,
    /// The health report's summary as a QR code (F3 at the readiness card); any key: back.
    Health,
}

/// What a key did that the exam flow must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing beyond the screen.
    Nothing,
    /// The student gave a valid number and an open exam (its index in the roster).
    CheckedIn {
        /// The student number.
        student: String,
        /// The exam's index in the roster.
        exam: usize,
    },
    /// A wrong PIN (journal it).
    PinRejected {
        /// Wrong PINs in a row.
        attempts: u16,
        /// Seconds before the next PIN is taken.
        wait_secs: u32,
    },
    /// The proctor's PIN was right.
    Approved,
    /// The student read the privacy notice: on to the identity stills.
    Acknowledged,
    /// The check-in was abandoned after `CheckedIn`: the exam folder is to be sealed as such.
    Cancelled,
    /// The proctor's PIN resumes the interrupted exam offered.
    Resume,
}

/// An interrupted exam the readiness card offers to resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The exam's code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Whole minutes of recording left (rounded up).
    pub minutes_left: u32,
}

/// What the readiness card shows: lines about the station, and why it must not be used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Station, location, image, devices, free space, pending uploads.
    pub lines: Vec<String>,
    /// Why no exam may start here, if so.
    pub blocked: Option<String>,
    /// The health report's one-line summary, shown as a QR code for a proctor's phone.
    pub qr: Option<String>,
}

/// A message with its values, said in the screens' language when drawn (so F2 translates an
/// error already on screen).
#[derive(Debug, Clone)]
struct Said(Msg, Vec<(&'static str, String)>);

impl Said {
    fn new(msg: Msg, args: &[(&'static str, &str)]) -> Said {
        Said(
            msg,
            args.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        )
    }

    fn say(&self, lang: Language) -> String {
        let args: Vec<(&str, &str)> = self.1.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fill(lang, self.0, &args)
    }
}

/// The check-in form of one station.
pub struct Form {
    station: String,
    lang: Language,
    default_lang: Language,
    step: Step,
    typed: String,
    selected: usize,
    error: Option<Said>,
    student: String,
    exam: Option<usize>,
    pattern: regex::Regex,
    example: String,
    roster: Vec<ExamEntry>,
    readiness: Readiness,
    offer: Option<Offer>,
}

impl Form {
    /// A form for station `station` with the site's check-in rules and its exams.
    pub fn new(station: &str, checkin: &board_config::CheckIn, roster: Vec<ExamEntry>) -> Form {
        let pattern = board_config::student_regex(&checkin.student_pattern)
            // The site validation refused patterns that do not compile; never match then.
            .unwrap_or_else(|| regex::Regex::new("[^\\s\\S]").expect("a valid expression"));
        Form {
            station: station.to_owned(),
            lang: checkin.language,
            default_lang: checkin.language,
            step: Step::Welcome,
            typed: String::new(),
            selected: 0,
            error: None,
            student: String::new(),
            exam: None,
            pattern,
            example: checkin.student_example.clone(),
            roster,
            readiness: Readiness::default(),
            offer: None,
        }
    }

    /// Where the check-in is.
    pub fn step(&self) -> Step {
        self.step
    }

    /// The language the screens speak now.
    pub fn language(&self) -> Language {
        self.lang
    }

    /// The exam chosen, once checked in.
    pub fn exam(&self) -> Option<&ExamEntry> {
        self.exam.and_then(|i| self.roster.get(i))
    }

    /// The site's exam with `code`, open or not.
    pub fn exam_by_code(&self, code: &str) -> Option<&ExamEntry> {
        self.roster.iter().find(|e| e.code == code)
    }

    /// What the readiness card shows.
    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    /// Sets what the readiness card shows.
    pub fn set_readiness(&mut self, readiness: Readiness) {
        self.readiness = readiness;
    }

    /// Sets the interrupted exam the readiness card offers to resume (none: no offer).
    pub fn set_offer(&mut self, offer: Option<Offer>) {
        self.offer = offer;
    }

    /// Back to the readiness card for the next student, in the site's language.
    pub fn restart(&mut self) {
        self.step = Step::Welcome;
        self.lang = self.default_lang;
        self.student.clear();
        self.exam = None;
        self.clear();
    }

    fn clear(&mut self) {
        self.typed.clear();
        self.error = None;
        self.selected = 0;
    }

    fn go(&mut self, step: Step) {
        self.step = step;
        self.clear();
    }

    /// The exams that may start at `wall_ms` (ms since the epoch), as roster indices.
    fn open(&self, wall_ms: i64) -> Vec<usize> {
        (0..self.roster.len())
            .filter(|i| self.roster[*i].open_at(wall_ms))
            .collect()
    }

    /// One key at `now` (monotonic, for the PIN's wait) and `wall_ms` (for the exams' windows).
    pub fn on_key(&mut self, key: Key, gate: &mut Gate, now: Instant, wall_ms: i64) -> Outcome {
        if key == Key::Function(2) {
            self.lang = self.lang.next();
            return Outcome::Nothing;
        }
        match (self.step, key) {
            (Step::Welcome, Key::Enter) => {
                match &self.readiness.blocked {
                    Some(reason) => {
                        self.error = Some(Said::new(Msg::CannotStart, &[("reason", reason)]))
                    }
                    None => self.go(Step::Student),
                }
                Outcome::Nothing
            }
            (Step::Welcome, Key::Function(5)) if self.offer.is_some() => {
                self.go(Step::Resume);
                Outcome::Nothing
            }
            (Step::Welcome, Key::Function(3)) if self.readiness.qr.is_some() => {
                self.go(Step::Health);
                Outcome::Nothing
            }
            (Step::Health, _) => {
                self.go(Step::Welcome);
                Outcome::Nothing
            }
            (Step::Welcome, _) => Outcome::Nothing,
            (Step::Resume, Key::Escape) => {
                self.go(Step::Welcome);
                Outcome::Nothing
            }
            (Step::Student, Key::Escape) => {
                self.go(Step::Welcome);
                Outcome::Nothing
            }
            (Step::Student, Key::Enter) => {
                let value = self.typed.trim().to_owned();
                if self.pattern.is_match(&value) {
                    self.student = value;
                    self.go(Step::Exam);
                } else {
                    self.error = Some(Said::new(
                        Msg::NotAStudent,
                        &[
                            ("value", &format!("\"{value}\"")),
                            ("example", &self.example),
                        ],
                    ));
                    self.typed.clear();
                }
                Outcome::Nothing
            }
            (Step::Exam, Key::Escape) => {
                self.go(Step::Student);
                Outcome::Nothing
            }
            (Step::Exam, Key::Up | Key::Down) => {
                let n = self.open(wall_ms).len().max(1);
                self.selected = match key {
                    Key::Up => (self.selected + n - 1) % n,
                    _ => (self.selected + 1) % n,
                };
                self.typed.clear();
                Outcome::Nothing
            }
            (Step::Exam, Key::Enter) => self.choose_exam(wall_ms),
            (Step::Proctor, Key::Escape) | (Step::Notice, Key::Escape) => {
                self.restart();
                Outcome::Cancelled
            }
            (Step::Proctor | Step::Resume, Key::Enter) => {
                let typed = std::mem::take(&mut self.typed);
                let verdict = gate.check(&typed, now);
                if let Some((msg, [(k, v)])) = verdict.refusal() {
                    self.error = Some(Said::new(msg, &[(k, &v)]));
                }
                match verdict {
                    Verdict::Accepted if self.step == Step::Resume => Outcome::Resume,
                    Verdict::Accepted => {
                        self.go(Step::Notice);
                        Outcome::Approved
                    }
                    Verdict::Rejected { attempts, wait } => Outcome::PinRejected {
                        attempts,
                        wait_secs: wait.as_secs().min(u32::MAX.into()) as u32,
                    },
                    Verdict::Waiting(_) => Outcome::Nothing,
                }
            }
            (Step::Notice, Key::Enter) => Outcome::Acknowledged,
            (_, Key::Backspace) => {
                self.typed.pop();
                Outcome::Nothing
            }
            (Step::Student | Step::Exam | Step::Proctor | Step::Resume, Key::Char(c)) => {
                let takes = match self.step {
                    Step::Proctor | Step::Resume => {
                        c.is_ascii_digit() && self.typed.len() < *pin::DIGITS.end()
                    }
                    _ => !c.is_control() && self.typed.chars().count() < FIELD_MAX,
                };
                if takes {
                    self.typed.push(if self.step == Step::Exam {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    });
                }
                Outcome::Nothing
            }
            _ => Outcome::Nothing,
        }
    }

    fn choose_exam(&mut self, wall_ms: i64) -> Outcome {
        let open = self.open(wall_ms);
        if open.is_empty() {
            self.error = Some(Said::new(Msg::NoExamOpen, &[]));
            return Outcome::Nothing;
        }
        let code = self.typed.trim().to_owned();
        let chosen = if code.is_empty() {
            open.get(self.selected).copied()
        } else {
            open.iter().copied().find(|i| self.roster[*i].code == code)
        };
        let Some(exam) = chosen else {
            self.error = Some(Said::new(Msg::NoSuchExam, &[("code", &code)]));
            self.typed.clear();
            return Outcome::Nothing;
        };
        self.exam = Some(exam);
        self.go(Step::Proctor);
        Outcome::CheckedIn {
            student: self.student.clone(),
            exam,
        }
    }

    fn offered(&self, o: &Offer) -> String {
        fill(
            self.lang,
            Msg::ResumeOffer,
            &[
                ("code", &o.code),
                ("title", &o.title),
                ("minutes", &o.minutes_left.to_string()),
            ],
        )
    }

    /// What the screen shows now (`now` and `wall_ms` as for [`Form::on_key`]). The notice
    /// step's view is only its help line: the notice itself is drawn by `ui::privacy_notice`.
    pub fn view(&self, gate: &Gate, now: Instant, wall_ms: i64) -> View {
        let l = self.lang;
        let mut v = View {
            title: text(l, Msg::CheckIn).to_owned(),
            error: self.error.as_ref().map(|e| e.say(l)),
            ..View::default()
        };
        let switch = text(l, Msg::SwitchLanguage);
        match self.step {
            Step::Welcome => {
                v.title = fill(l, Msg::StationTitle, &[("id", &self.station)]);
                v.verdict = Some(match &self.readiness.blocked {
                    None => (text(l, Msg::Ready).to_owned(), true),
                    Some(r) => (fill(l, Msg::DoNotUse, &[("reason", r)]), false),
                });
                v.lines = self.readiness.lines.clone();
                v.help = format!("{}   {switch}", text(l, Msg::PressEnter));
                // The proctor sees the interrupted exam first, above the station's details.
                if let Some(o) = &self.offer {
                    v.lines.insert(0, self.offered(o));
                    v.lines.insert(1, text(l, Msg::ResumeKey).to_owned());
                    v.help = format!("{}   {}", v.help, text(l, Msg::ResumeKey));
                }
            }
            Step::Health => {
                v.title = text(l, Msg::HealthTitle).to_owned();
                v.lines = vec![text(l, Msg::HealthScan).to_owned()];
                v.lines.extend(self.readiness.qr.clone());
                v.help = format!("{}   {switch}", text(l, Msg::HealthHelp));
            }
            Step::Resume => {
                v.title = text(l, Msg::ResumeTitle).to_owned();
                v.lines = self.offer.iter().map(|o| self.offered(o)).collect();
                v.field = Some((
                    text(l, Msg::PinLabel).to_owned(),
                    "*".repeat(self.typed.len()),
                ));
                v.help = format!("{}   {switch}", text(l, Msg::ResumeHelp));
            }
            Step::Student => {
                v.field = Some((text(l, Msg::StudentLabel).to_owned(), self.typed.clone()));
                v.help = format!("{}   {switch}", text(l, Msg::StudentHelp));
            }
            Step::Exam => {
                v.lines = vec![fill(l, Msg::StudentIs, &[("student", &self.student)])];
                v.field = Some((text(l, Msg::ExamLabel).to_owned(), self.typed.clone()));
                let open = self.open(wall_ms);
                v.choices = open
                    .iter()
                    .map(|i| {
                        let e = &self.roster[*i];
                        format!("{}  {}  ({} min)", e.code, e.title, e.duration_minutes)
                    })
                    .collect();
                v.selected = (self.typed.is_empty() && !open.is_empty())
                    .then(|| self.selected.min(open.len() - 1));
                if open.is_empty() && v.error.is_none() {
                    v.error = Some(text(l, Msg::NoExamOpen).to_owned());
                }
                v.help = format!("{}   {switch}", text(l, Msg::ExamHelp));
            }
            Step::Proctor => {
                v.title = text(l, Msg::ProctorTitle).to_owned();
                v.lines = vec![fill(l, Msg::StudentIs, &[("student", &self.student)])];
                if let Some(e) = self.exam() {
                    v.lines.push(fill(
                        l,
                        Msg::ExamIs,
                        &[
                            ("code", &e.code),
                            ("title", &e.title),
                            ("minutes", &e.duration_minutes.to_string()),
                        ],
                    ));
                }
                v.field = Some((
                    text(l, Msg::PinLabel).to_owned(),
                    "*".repeat(self.typed.len()),
                ));
                v.help = format!("{}   {switch}", text(l, Msg::PinHelp));
            }
            Step::Notice => v.help = format!("{}   {switch}", text(l, Msg::NoticeHelp)),
        }
        if let (Step::Proctor | Step::Resume, Some(left)) = (self.step, gate.waiting(now)) {
            let secs = left.as_secs_f64().ceil().to_string();
            v.error = Some(fill(l, Msg::PinWait, &[("secs", &secs)]));
        }
        v
    }
}

#[cfg(test)]
#[path = "checkin_tests.rs"]
mod tests;
