//! Rules of `[checkin]`, `[proctor]` and `[[exams]]`: what a student and a proctor meet at the
//! station's own screen.

use super::{in_range_at, invalid, is_name, not_empty, shown, Check};
use crate::checkin::{CheckIn, ExamEntry, Proctor};
use crate::path::FieldPath;

/// The longest exam, in minutes (ten hours).
const MAX_MINUTES: u32 = 600;

/// Checks `[checkin]`, `[proctor]` and every `[[exams]]` entry.
pub(crate) fn check(checkin: &CheckIn, proctor: Option<&Proctor>, exams: &[ExamEntry]) -> Check {
    student(checkin)?;
    if let Some(p) = proctor {
        pin_hash(&p.pin_hash)?;
    }
    for (i, e) in exams.iter().enumerate() {
        exam(e, i)?;
        if let Some(first) = exams[..i].iter().position(|o| o.code == e.code) {
            return Err(invalid(
                FieldPath::of("exams").index(i).key("code"),
                format!(
                    "exam code {} is already used by exams[{first}]",
                    shown(&e.code)
                ),
                "each exam needs its own code",
            ));
        }
    }
    Ok(())
}

/// The student number pattern, anchored at both ends; `None` if it is not a valid expression.
///
/// ```
/// let re = board_config::student_regex("[0-9]{3}").unwrap();
/// assert!(re.is_match("123") && !re.is_match("1234"));
/// ```
pub fn student_regex(pattern: &str) -> Option<regex::Regex> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 16)
        .build()
        .ok()
}

fn student(c: &CheckIn) -> Check {
    let field = FieldPath::of("checkin.student_pattern");
    let Some(re) = student_regex(&c.student_pattern) else {
        let why = regex::RegexBuilder::new(&c.student_pattern)
            .size_limit(1 << 16)
            .build()
            .err()
            .map(|e| e.to_string().lines().last().unwrap_or("").trim().to_owned())
            .unwrap_or_else(|| "it cannot be anchored".into());
        return Err(invalid(
            field,
            format!("{} is not a regular expression: {why}", shown(&c.student_pattern)),
            "valid: a regular expression for the whole number, e.g. \"[0-9]{8}\" or \"[A-Z][0-9]{7}\"",
        ));
    };
    if re.is_match("") {
        return Err(invalid(
            field,
            format!(
                "{} accepts an empty student number",
                shown(&c.student_pattern)
            ),
            "require at least one character, e.g. \"[0-9]{8}\"",
        ));
    }
    if !re.is_match(&c.student_example) {
        return Err(invalid(
            FieldPath::of("checkin.student_example"),
            format!(
                "{} does not match student_pattern {}",
                shown(&c.student_example),
                shown(&c.student_pattern)
            ),
            "give a student number the pattern accepts: students see it when theirs does not",
        ));
    }
    Ok(())
}

fn pin_hash(hash: &str) -> Check {
    let field = FieldPath::of("proctor.pin_hash");
    let hint = "valid: the argon2id PHC string printed by `stationctl pin hash`, e.g. \"$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>\"";
    let parsed = match argon2::PasswordHash::new(hash) {
        Ok(p) => p,
        Err(e) => {
            return Err(invalid(
                field,
                format!("{} is not a PHC hash string: {e}", shown(hash)),
                hint,
            ))
        }
    };
    if parsed.algorithm != argon2::Algorithm::Argon2id.ident() {
        return Err(invalid(
            field,
            format!(
                "the PIN hash uses `{}`; only argon2id is accepted",
                parsed.algorithm
            ),
            hint,
        ));
    }
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(invalid(
            field,
            "the PIN hash has no salt or no hash part",
            hint,
        ));
    }
    match argon2::Params::try_from(&parsed) {
        // At least 8 MiB of memory, so that guessing a 4 to 8 digit PIN offline stays slow.
        Ok(p) if p.m_cost() >= 8192 => Ok(()),
        Ok(p) => Err(invalid(
            field,
            format!("the PIN hash's memory cost m={} KiB is too low", p.m_cost()),
            "at least m=8192 (8 MiB); `stationctl pin hash` uses m=19456",
        )),
        Err(e) => Err(invalid(
            field,
            format!("the PIN hash's parameters are not valid: {e}"),
            hint,
        )),
    }
}

fn exam(e: &ExamEntry, i: usize) -> Check {
    let at = |key: &str| FieldPath::of("exams").index(i).key(key);
    if !is_name(&e.code, 32, |c| {
        c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_'
    }) {
        return Err(invalid(
            at("code"),
            format!("exam code {} is not valid", shown(&e.code)),
            "valid: 1 to 32 of A-Z, 0-9, `-` and `_`, e.g. \"MATH101\"",
        ));
    }
    not_empty(&at("title"), &e.title, "\"Calculus I, final\"")?;
    in_range_at(
        at("duration_minutes"),
        e.duration_minutes,
        1,
        MAX_MINUTES,
        "minutes",
    )?;
    let mut bounds = [None, None];
    for (slot, (key, value)) in [("opens", &e.opens), ("closes", &e.closes)]
        .into_iter()
        .enumerate()
    {
        if let Some(v) = value {
            match v.parse::<jiff::Timestamp>() {
                Ok(t) => bounds[slot] = Some(t),
                Err(_) => {
                    return Err(invalid(
                        at(key),
                        format!("{} is not a time with its UTC offset", shown(v)),
                        "valid: RFC 3339, e.g. \"2026-12-10T08:30:00-05:00\"",
                    ))
                }
            }
        }
    }
    if let [Some(opens), Some(closes)] = bounds {
        if closes < opens {
            return Err(invalid(
                at("closes"),
                format!(
                    "closes {} is before opens {}",
                    shown(e.closes.as_deref().unwrap_or_default()),
                    shown(e.opens.as_deref().unwrap_or_default())
                ),
                "closes is the last moment the exam may start: after opens",
            ));
        }
    }
    for (j, m) in e.warn_minutes.iter().flatten().enumerate() {
        if *m == 0 || *m >= e.duration_minutes {
            return Err(invalid(
                at("warn_minutes").index(j),
                format!(
                    "a warning {m} minutes before the end of a {}-minute exam",
                    e.duration_minutes
                ),
                format!(
                    "valid: 1 to {} minutes",
                    e.duration_minutes.saturating_sub(1)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_hashes() {
        // A well-formed hash (its salt and hash parts are only checked for their form here).
        let good = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Qk8W0fzPb8H8kY3oGTeI0BxT+B4w2TJzgH1HbTIWb4M";
        assert!(pin_hash(good).is_ok());
        let low = good.replace("m=19456", "m=64");
        assert!(pin_hash(&low).unwrap_err().message.contains("m=64"));
        let argon2i = good.replace("argon2id", "argon2i");
        assert!(pin_hash(&argon2i).unwrap_err().message.contains("argon2i"));
        assert!(pin_hash("2468").is_err());
    }

    #[test]
    fn patterns() {
        let mut c = CheckIn::default();
        assert!(student(&c).is_ok());
        c.student_pattern = "[0-9".into();
        assert!(student(&c)
            .unwrap_err()
            .message
            .contains("not a regular expression"));
        c.student_pattern = "[0-9]*".into();
        assert!(student(&c).unwrap_err().message.contains("empty"));
        c.student_pattern = "[A-Z][0-9]{7}".into();
        assert!(student(&c).unwrap_err().message.contains("does not match"));
        c.student_example = "A1234567".into();
        assert!(student(&c).is_ok());
        // Anchored: a longer number that contains a match is refused.
        assert!(!student_regex("[0-9]{3}").unwrap().is_match("12345"));
        // An alternation stays anchored as a whole.
        assert!(!student_regex("1|2").unwrap().is_match("13"));
    }
}
