//! The proxy report parser (cargo-fuzz target `proxy_report`) over deterministic mutations of
//! real report lines: no panic, and only host events get through.

use bundle::mutate::mutations;
use station::lockdown::net::{fuzz_report, parse_report, LINE_MAX};

#[test]
fn proxy_report_parser_survives_mutations() {
    for seed in [
        &br#"{"HostVisited":{"host":"exam.example.ca"}}"#[..],
        br#"{"HostBlocked":{"host":"chat.example.com"}}"#,
        br#"{"ExamEnded":{"reason":"TimeUp"}}"#,
    ] {
        for m in mutations(seed, 3000) {
            fuzz_report(&m);
        }
    }
}

#[test]
fn report_errors_say_what_is_wrong() {
    let forged = parse_report(br#"{"ExamEnded":{"reason":"TimeUp"}}"#).unwrap_err();
    assert!(forged.contains("not ExamEnded"), "{forged}");
    let long = vec![b' '; LINE_MAX + 1];
    assert!(parse_report(&long).unwrap_err().contains("most 1024"));
    assert!(parse_report(b"{").unwrap_err().contains("not a JSON event"));
    let ok = parse_report(br#"{"HostVisited":{"host":"exam.example.ca"}}"#).unwrap();
    assert_eq!(ok.kind(), "HostVisited");
}
