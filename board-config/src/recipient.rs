//! Checking an age X25519 recipient (`age1...`): Bech32 with human-readable part `age`,
//! carrying a 32-byte public key. A typo here would encrypt every recording to nobody, so the
//! checksum is verified, not only the prefix.

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR: [u32; 5] = [
    0x3b6a_57b2,
    0x2650_8e6d,
    0x1ea1_19fa,
    0x3d42_33dd,
    0x2a14_62b3,
];

/// Why a recipient is not valid, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecipientError {
    /// Does not start with `age1`.
    Prefix,
    /// Wrong length (an X25519 recipient is 62 characters).
    Length(usize),
    /// A character outside the Bech32 alphabet (or mixed case).
    Character(char),
    /// The checksum does not match: a typo or a truncated copy.
    Checksum,
}

impl std::fmt::Display for RecipientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecipientError::Prefix => f.write_str("an age recipient starts with `age1`"),
            RecipientError::Length(n) => write!(
                f,
                "an age X25519 recipient has 62 characters, this one has {n}"
            ),
            RecipientError::Character(c) => write!(
                f,
                "`{c}` cannot appear in an age recipient (Bech32, lowercase)"
            ),
            RecipientError::Checksum => {
                f.write_str("the checksum does not match: a typo or an incomplete copy")
            }
        }
    }
}

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GENERATOR.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// Checks that `recipient` is a well-formed age X25519 recipient.
pub(crate) fn check(recipient: &str) -> Result<(), RecipientError> {
    let data = recipient
        .strip_prefix("age1")
        .ok_or(RecipientError::Prefix)?;
    let length = recipient.chars().count();
    if length != 62 {
        return Err(RecipientError::Length(length));
    }
    let mut values = Vec::with_capacity(data.len());
    for c in data.chars() {
        let index = u8::try_from(c)
            .ok()
            .and_then(|b| CHARSET.iter().position(|&x| x == b))
            .ok_or(RecipientError::Character(c))?;
        values.push(index as u8);
    }
    let hrp = b"age";
    let expanded = hrp
        .iter()
        .map(|b| b >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.iter().map(|b| b & 31))
        .chain(values.iter().copied());
    if polymod(expanded) != 1 {
        return Err(RecipientError::Checksum);
    }
    // 52 groups of 5 bits carry 32 bytes; the 4 spare bits must be zero.
    match values.get(51) {
        Some(last) if last & 0x0f == 0 => Ok(()),
        _ => Err(RecipientError::Checksum),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    #[test]
    fn accepts_a_real_recipient() {
        assert_eq!(check(GOOD), Ok(()));
    }

    #[test]
    fn refuses_typos() {
        assert_eq!(check("age2abc"), Err(RecipientError::Prefix));
        assert_eq!(check("age1abc"), Err(RecipientError::Length(7)));
        let typo = GOOD.replacen("ql3z", "ql3x", 1);
        assert_eq!(check(&typo), Err(RecipientError::Checksum));
        let upper = GOOD.replacen('q', "Q", 1);
        assert_eq!(check(&upper), Err(RecipientError::Character('Q')));
        let bad = GOOD.replacen('q', "b", 1);
        assert_eq!(check(&bad), Err(RecipientError::Character('b')));
    }
}
