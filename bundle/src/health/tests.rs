use super::*;

fn sample() -> Report {
    Report {
        schema: SCHEMA.into(),
        station: "hall-b-07".into(),
        location: "Hall B, seat 7".into(),
        board: "sim".into(),
        software: "0.1.0".into(),
        image: "0.1.0+3f2a9c1e".into(),
        written_at: crate::rfc3339(1_780_000_000_000),
        written_ms: 1_780_000_000_000,
        reason: "exam".into(),
        selftest: vec![
            DeviceCheck {
                device: "camera".into(),
                passed: false,
                detail: "no \"frame\"".into(),
            },
            DeviceCheck {
                device: "microphone".into(),
                passed: true,
                detail: "rms -20 dBFS".into(),
            },
        ],
        pending: Pending {
            count: 1,
            bytes: 5 << 20,
            oldest_age_secs: Some(7200),
            ..Default::default()
        },
        exams: vec![ExamRecord {
            exam: "20261201T100000Z-ab12".into(),
            end_reason: "TimeUp".into(),
            bytes: 5 << 20,
            ..Default::default()
        }],
        uploads: Uploads {
            attempts: 3,
            errors: [("network".to_string(), 2)].into(),
            ..Default::default()
        },
        clock_offset_ms: Some(-1500),
        ..Default::default()
    }
}

#[test]
fn signed_report_round_trips_and_any_change_breaks_the_signature() {
    let key = StationKey::generate();
    let mut r = sample();
    r.sign(&key);
    let back = Report::parse(&r.to_json(), "report.json").unwrap();
    assert_eq!(back, r);
    back.verify_signature().unwrap();
    let mut forged = back.clone();
    forged.pending.count = 0;
    assert!(forged.verify_signature().is_err());
}

#[test]
fn errors_name_the_field_and_the_schema() {
    let e = Report::parse(br#"{"schema": 3}"#, "hall-b.json").unwrap_err();
    assert!(
        e.starts_with("hall-b.json:1:") && e.contains("schema"),
        "{e}"
    );
    let mut r = sample();
    r.schema = "exam-station/health/9".into();
    let e = Report::parse(&r.to_json(), "x.json").unwrap_err();
    assert!(e.contains("is not \"exam-station/health/1\""), "{e}");
    let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
    v["pending"]["count"] = "many".into();
    let e = Report::parse(v.to_string().as_bytes(), "y.json").unwrap_err();
    assert!(e.contains("field pending.count"), "{e}");
}

#[test]
fn prometheus_text_has_the_report_time_and_escaped_labels() {
    let text = to_prometheus(&sample());
    assert!(
        text.contains("exam_station_report_timestamp_seconds{station=\"hall-b-07\"} 1780000000\n")
    );
    assert!(
        text.contains("exam_station_selftest_passed{station=\"hall-b-07\",device=\"camera\"} 0\n")
    );
    assert!(text
        .contains("exam_station_upload_errors_total{station=\"hall-b-07\",kind=\"network\"} 2\n"));
    assert!(text.contains("exam_station_pending_oldest_age_seconds{station=\"hall-b-07\"} 7200\n"));
    assert!(text.contains("exam_station_clock_offset_seconds{station=\"hall-b-07\"} -1.5\n"));
    let mut odd = sample();
    odd.station = "a\"b\\c".into();
    assert!(to_prometheus(&odd).contains("station=\"a\\\"b\\\\c\""));
    // Every sample line: name{labels} value, no client-side timestamp (node_exporter's
    // textfile collector skips a file that has one).
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let value = l.rsplit('}').next().unwrap().trim();
        assert!(value.parse::<f64>().is_ok(), "{l}");
    }
}

#[test]
fn summary_is_one_short_line() {
    let s = sample().summary();
    assert!(s.contains("hall-b-07") && s.contains("camera=FAIL") && s.contains("pending=1/5MiB"));
    assert!(!s.contains('\n') && s.len() < 300, "{s}");
}
