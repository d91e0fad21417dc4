//! Deterministic mutations of a valid input, for running the fuzz entry points of every crate
//! in the normal test suite (cargo-fuzz itself needs a nightly compiler).

/// `n` mutations of `seed` (plus the seed itself and the empty input): flipped and replaced
/// bytes, truncations, inserted syntax characters, removed spans. The same every run.
pub fn mutations(seed: &[u8], n: usize) -> Vec<Vec<u8>> {
    let mut out = vec![seed.to_vec(), Vec::new()];
    let mut x: u64 = 0x1234_5678_9abc_def1;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut m = seed.to_vec();
        let pos = (x as usize) % m.len().max(1);
        match i % 5 {
            0 if !m.is_empty() => m[pos] = (x >> 32) as u8,
            1 => m.truncate(pos),
            2 => m.insert(
                pos.min(m.len()),
                b"{}[]<>\"\\0-9:,\n"[(x >> 40) as usize % 14],
            ),
            3 if !m.is_empty() => m[pos] ^= 1 << ((x >> 56) % 8),
            _ => {
                let end = (pos + (x >> 48) as usize % 64).min(m.len());
                m.drain(pos.min(end)..end);
            }
        }
        out.push(m);
    }
    out
}
