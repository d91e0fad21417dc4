//! Deterministic mutations of every shipped file never make the parsers panic, and every error
//! they produce is placed inside the text and fits on one screen.

mod common;

use std::path::Path;

/// xorshift64*: small, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Fragments that tend to reach interesting parser states.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "=",
    "\"",
    "'",
    "\n",
    "{",
    "}",
    ",",
    ".",
    "#",
    "0",
    "-1",
    "99999999999999999999",
    "1.5",
    "true",
    "\"x\"",
    "[[input.match]]\n",
    "[camera.match]\n",
    "[gpio]\n",
    "match = {}\n",
    "é",
    "\u{feff}",
    "\r\n",
    "\"\"\"",
    "1979-05-27T07:32:00Z",
    "inf",
    "nan",
    "[[board]]\n",
    "x = [[[[[[[[1]]]]]]]]\n",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut data = base.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.truncate(at),
            2 => data.insert(at, rng.next() as u8),
            3 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                data.splice(at..at, token.iter().copied());
            }
            4 => {
                let end = (at + rng.below(40)).min(data.len());
                data.drain(at..end);
            }
            _ => {
                // Duplicate a slice (often a whole line or key).
                let end = (at + rng.below(60)).min(data.len());
                let copy: Vec<u8> = data[at..end].to_vec();
                let to = rng.below(data.len() + 1);
                data.splice(to..to, copy);
            }
        }
    }
    data
}

fn check_error(err: &board_config::ConfigError, text: &str) {
    let lines = text.split('\n').count();
    let line = err.line().unwrap_or(1);
    assert!((1..=lines).contains(&line), "line {line} of {lines}: {err}");
    assert!(err.column().is_some_and(|c| c >= 1), "{err}");
    let shown = err.to_string();
    assert!(shown.lines().count() <= 10, "too long:\n{shown}");
}

#[test]
fn mutated_files_never_panic() {
    let files: Vec<_> = common::toml_files("boards")
        .into_iter()
        .chain(common::toml_files("sites"))
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut errors = 0usize;
    for file in &files {
        let base = std::fs::read(file).expect("readable");
        for _ in 0..300 {
            let data = mutate(&mut rng, &base);
            board_config::fuzz_parse(&data);
            let text = String::from_utf8_lossy(&data);
            if let Err(e) = board_config::parse_board(&text, Path::new("m.toml")) {
                check_error(&e, &text);
                errors += 1;
            }
            if let Err(e) = board_config::parse_site(&text, Path::new("m.toml")) {
                check_error(&e, &text);
            }
        }
    }
    // The mutations must actually break things most of the time.
    assert!(errors > files.len() * 100, "only {errors} errors");
}

#[test]
fn odd_inputs_never_panic() {
    let deep = "x = ".to_owned() + &"[".repeat(5000);
    let long_line = format!("[board]\nname = \"{}\"\n", "é".repeat(10_000));
    for input in [
        "",
        "\u{feff}",
        "\0",
        "[",
        "[[]]",
        "a.b.c.d = 1",
        "camera = 3",
        &deep,
        &long_line,
    ] {
        board_config::fuzz_parse(input.as_bytes());
    }
    board_config::fuzz_parse(&[0xff, 0xfe, 0x00, 0x80]);
}
