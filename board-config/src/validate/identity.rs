//! Rules of an identity file (`examctl enroll` writes it; the station reads it at boot).

use super::{invalid, Check};
use crate::identity::Identity;
use crate::path::FieldPath;

/// Checks every rule of an identity; the first problem found is returned.
pub(crate) fn identity(i: &Identity) -> Check {
    super::site::station(&i.station)?;
    let seed = &i.signing.seed;
    if seed.len() != 64
        || !seed
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(invalid(
            FieldPath::of("signing.seed"),
            format!("the signing seed has {} characters, not 64 lowercase hex digits", seed.len()),
            "valid: the 32-byte ed25519 seed `examctl enroll` wrote, as 64 hex digits; enrol the stick again if it was edited",
        ));
    }
    super::site::prefix(&FieldPath::of("uplink.prefix"), &i.uplink.prefix)?;
    if i.uplink.prefix.is_empty() {
        return Err(invalid(
            FieldPath::of("uplink.prefix"),
            "an enrolled station needs a key prefix of its own",
            "valid: e.g. \"stations/hall-b-07\"",
        ));
    }
    for (field, value) in [
        ("uplink.access_key", &i.uplink.access_key),
        ("uplink.secret_key", &i.uplink.secret_key),
    ] {
        if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(
                FieldPath::of(field),
                format!("{field} is empty or has spaces or control characters"),
                "valid: the station's own upload key pair, as the store issued it",
            ));
        }
    }
    Ok(())
}
