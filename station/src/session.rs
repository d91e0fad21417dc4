//! The exam session: a state machine whose states are types.
//!
//! ```text
//! Booting -> SelfTest -> Ready -> CheckIn -> Identity -> ExamRunning -> Finalizing -> Ready
//! ```
//!
//! Each state is a `Session<S>`; a transition consumes the old session and returns the new one,
//! and writes a `StateChanged` record to the exam's journal. Devices only yield pixels or samples
//! against a [`Capture`] grant, and only `Session<SelfTest>` (device checks, nothing stored),
//! `Session<Identity>` (stills) and `Session<ExamRunning>` (recording) can hand one out. A grant
//! borrows its session, so it cannot outlive the state: the exam cannot end while a recorder
//! still holds one (privacy promise P1, enforced by the compiler).
//!
//! Outside these states there is no way to get a grant:
//!
//! ```compile_fail
//! # fn f(s: &station::session::Session<station::session::Ready>) {
//! let grant = s.capture(); // Ready has no `capture`
//! # }
//! ```
//! ```compile_fail
//! # fn f(s: &station::session::Session<station::session::CheckIn>) {
//! let grant = s.capture(); // neither has CheckIn
//! # }
//! ```
//! ```compile_fail
//! # fn f(s: &station::session::Session<station::session::Finalizing>) {
//! let grant = s.capture(); // nor Finalizing, once the exam has ended
//! # }
//! ```
//! ```compile_fail
//! // A grant cannot be made by hand: its fields are private.
//! let grant = station::session::Capture { exam: None, _private: () };
//! ```
//! ```
//! # fn f(s: &station::session::Session<station::session::ExamRunning>) {
//! let grant = s.capture(); // the exam is running: allowed
//! # }
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use bundle::event::{text, EndReason, Event, State};

use crate::exam::{Exam, ExamError};
use crate::resume::{part_id, Resumable};
use crate::station::Station;

/// Permission to capture pixels or samples, borrowed from a session state that allows it.
pub struct Capture<'s> {
    exam: Option<&'s Exam>,
    _private: (),
}

impl crate::devices::sealed::Sealed for Capture<'_> {}
impl crate::devices::Permit for Capture<'_> {}

impl<'s> Capture<'s> {
    /// The running exam this grant belongs to (`None` during the self-test, where nothing may
    /// be stored).
    pub fn exam(&self) -> Option<&'s Exam> {
        self.exam
    }
}

/// State: services starting.
pub struct Booting;
/// State: device checks.
pub struct SelfTest;
/// State: waiting for a student.
pub struct Ready;
/// State: a student checked in.
pub struct CheckIn(Exam);
/// State: photo ID and face stills.
pub struct Identity(Exam);
/// State: the exam runs and is recorded.
pub struct ExamRunning(Exam);
/// State: the exam ended; the bundle is to be sealed.
pub struct Finalizing(Exam);

/// The session in state `S`.
pub struct Session<S> {
    station: Arc<Station>,
    state: S,
}

/// A transition that failed: the error and the session, unchanged.
pub struct Refused<S> {
    /// What went wrong (boxed: a refusal carries the whole session back).
    pub error: Box<ExamError>,
    /// The session, still in its old state.
    pub session: Session<S>,
}

impl<S> std::fmt::Debug for Refused<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl<S> Session<S> {
    /// The station (config, keys, data folder).
    pub fn station(&self) -> &Arc<Station> {
        &self.station
    }

    fn to<T>(self, state: T) -> Session<T> {
        Session {
            station: self.station,
            state,
        }
    }
}

impl Session<Booting> {
    /// A station starting up.
    pub fn boot(station: Arc<Station>) -> Self {
        Session {
            station,
            state: Booting,
        }
    }

    /// Moves to the self-test.
    pub fn self_test(self) -> Session<SelfTest> {
        tracing::info!("state: Booting -> SelfTest");
        self.to(SelfTest)
    }
}

impl Session<SelfTest> {
    /// A grant for device checks; nothing captured under it can be stored (no exam).
    pub fn capture(&self) -> Capture<'_> {
        Capture {
            exam: None,
            _private: (),
        }
    }

    /// Self-test done: ready for a student.
    pub fn ready(self) -> Session<Ready> {
        tracing::info!("state: SelfTest -> Ready");
        self.to(Ready)
    }
}

impl Session<Ready> {
    /// A student checks in: a new exam folder and journal are made.
    pub fn check_in(self, student: &str) -> Result<Session<CheckIn>, Refused<Ready>> {
        let exam = match Exam::create(&self.station) {
            Ok(e) => e,
            Err(error) => {
                return Err(Refused {
                    error: Box::new(error),
                    session: self,
                })
            }
        };
        let r = exam
            .record_sync(Event::StateChanged {
                from: State::Ready,
                to: State::CheckIn,
            })
            .and_then(|_| {
                exam.record_sync(Event::CheckedIn {
                    student: text(student),
                })
            });
        if let Err(error) = r {
            return Err(Refused {
                error: Box::new(error),
                session: self,
            });
        }
        Ok(self.to(CheckIn(exam)))
    }
}

impl Session<Ready> {
    /// The proctor resumes an interrupted exam: its next part (`<first id>-p<n>`) starts,
    /// journaling the previous part's id and journal head, the time left and the time lost,
    /// and goes straight to the identity state (the proctor's PIN vouched for the student).
    pub fn resume(self, r: &Resumable) -> Result<Session<Identity>, Refused<Ready>> {
        let part = r.record.part + 1;
        let head = r.record.head.clone().unwrap_or_default();
        let made =
            Exam::create_named(&self.station, &part_id(&r.record.first, part)).and_then(|exam| {
                exam.record_sync(Event::Resumed {
                    previous: text(&r.record.exam),
                    previous_head: text(&head),
                    part,
                    left_secs: r.left_secs,
                    lost_secs: r.lost_secs,
                })?;
                exam.record_sync(Event::StateChanged {
                    from: State::Ready,
                    to: State::Identity,
                })?;
                Ok(exam)
            });
        match made {
            Ok(exam) => {
                tracing::info!(exam = exam.id(), part, "state: Ready -> Identity; resumed");
                Ok(self.to(Identity(exam)))
            }
            Err(error) => Err(Refused {
                error: Box::new(error),
                session: self,
            }),
        }
    }
}

macro_rules! exam_state {
    ($($s:ident),*) => {$(
        impl Session<$s> {
            /// The exam of this session.
            pub fn exam(&self) -> &Exam {
                &self.state.0
            }
        }
    )*};
}
exam_state!(CheckIn, Identity, ExamRunning, Finalizing);

impl Session<CheckIn> {
    /// The check-in was abandoned before anything was captured: the exam ends as
    /// `CheckInCancelled` and its folder (the check-in's own events) is sealed, so a proctor's
    /// wrong PINs stay on record; back to Ready.
    pub fn cancel(self) -> Result<(Session<Ready>, PathBuf), ExamError> {
        let CheckIn(exam) = self.state;
        exam.record(Event::ExamEnded {
            reason: EndReason::CheckInCancelled,
        })?;
        exam.record_sync(Event::StateChanged {
            from: State::CheckIn,
            to: State::Ready,
        })?;
        let dir = exam.seal(false)?;
        tracing::info!(
            "state: CheckIn -> Ready; check-in cancelled, sealed {}",
            dir.display()
        );
        Ok((
            Session {
                station: self.station,
                state: Ready,
            },
            dir,
        ))
    }

    /// On to the identity stills.
    pub fn identity(self) -> Result<Session<Identity>, ExamError> {
        self.state.0.record_sync(Event::StateChanged {
            from: State::CheckIn,
            to: State::Identity,
        })?;
        let exam = self.state.0;
        Ok(Session {
            station: self.station,
            state: Identity(exam),
        })
    }
}

impl Session<Identity> {
    /// A grant for identity stills, sealed into this exam's folder.
    pub fn capture(&self) -> Capture<'_> {
        Capture {
            exam: Some(&self.state.0),
            _private: (),
        }
    }

    /// Starts the exam for `planned_secs` seconds, if there is room on disk for its recording.
    pub fn start_exam(self, planned_secs: u32) -> Result<Session<ExamRunning>, Refused<Identity>> {
        if let Err(error) = crate::storage::check_room(&self.station, planned_secs) {
            return Err(Refused {
                error: Box::new(error.into()),
                session: self,
            });
        }
        let r = self
            .state
            .0
            .record_sync(Event::StateChanged {
                from: State::Identity,
                to: State::ExamRunning,
            })
            .and_then(|_| {
                self.state
                    .0
                    .record_sync(Event::ExamStarted { planned_secs })
            });
        if let Err(error) = r {
            return Err(Refused {
                error: Box::new(error),
                session: self,
            });
        }
        let exam = self.state.0;
        exam.mark_started();
        Ok(Session {
            station: self.station,
            state: ExamRunning(exam),
        })
    }
}

impl Session<ExamRunning> {
    /// A grant for the recorder. It borrows the session: the exam cannot end before every
    /// grant is dropped.
    pub fn capture(&self) -> Capture<'_> {
        Capture {
            exam: Some(&self.state.0),
            _private: (),
        }
    }

    /// Ends the exam (recording must have stopped: no grant can be alive here).
    pub fn end(self, reason: EndReason) -> Result<Session<Finalizing>, ExamError> {
        let exam = self.state.0;
        exam.record(Event::ExamEnded { reason })?;
        exam.record_sync(Event::StateChanged {
            from: State::ExamRunning,
            to: State::Finalizing,
        })?;
        Ok(Session {
            station: self.station,
            state: Finalizing(exam),
        })
    }
}

impl Session<Finalizing> {
    /// Seals the bundle; returns to Ready with the sealed folder's path.
    pub fn seal(self) -> Result<(Session<Ready>, PathBuf), ExamError> {
        let Finalizing(exam) = self.state;
        let dir = exam.seal(false)?;
        tracing::info!("state: Finalizing -> Ready; sealed {}", dir.display());
        Ok((
            Session {
                station: self.station,
                state: Ready,
            },
            dir,
        ))
    }
}
