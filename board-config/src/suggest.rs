//! "Did you mean `width`?": the closest valid name to a misspelt one.

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters each cost 1 (`widht` -> `width` is 1).
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in d.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // Names are short; ignore pathological inputs rather than spend time on them.
    if name.chars().count() > 64 {
        return None;
    }
    let lower = name.to_lowercase();
    if let Some(exact) = candidates.iter().find(|c| c.to_lowercase() == lower) {
        return Some(exact);
    }
    candidates
        .iter()
        .map(|c| (distance(&lower, c), *c))
        .filter(|(d, c)| *d <= 2.min(c.chars().count().saturating_sub(1)).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "valid: a, b, c (did you mean `b`?)".
pub(crate) fn valid_list(name: &str, candidates: &[&str]) -> String {
    let mut hint = format!("valid: {}", candidates.join(", "));
    if let Some(best) = did_you_mean(name, candidates) {
        hint.push_str(&format!(" (did you mean `{best}`?)"));
    }
    hint
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("widht", "width"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn suggestions() {
        let fields = ["device", "match", "format", "width", "height", "framerate"];
        assert_eq!(did_you_mean("widht", &fields), Some("width"));
        assert_eq!(did_you_mean("Width", &fields), Some("width"));
        assert_eq!(did_you_mean("frame_rate", &fields), Some("framerate"));
        assert_eq!(did_you_mean("colour", &fields), None);
        assert_eq!(
            did_you_mean("x265", &["x264", "openh264", "vp8", "hardware"]),
            Some("x264")
        );
    }
}
