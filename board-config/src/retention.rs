//! How long the institution keeps what a station records (promise P7). Fixed, not a site
//! setting: the station's privacy notice tells the student these numbers, and
//! `examctl retention` installs them as the bucket's lifecycle rules.

/// Days before recordings (the sealed exam bundles) are deleted.
pub const RECORDINGS_DAYS: u32 = 180;
/// Days before identity profile data is deleted.
pub const PROFILES_DAYS: u32 = 365;
