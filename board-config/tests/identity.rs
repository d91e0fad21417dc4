//! Identity files: what `examctl enroll` writes parses back; mistakes name the field and line;
//! an enrolled site takes the identity's station, prefix and credentials.

use std::path::Path;

use board_config::{load_site, parse_identity, Identity, IdentityUplink, Signing, StationId};

mod common;

fn identity() -> Identity {
    Identity {
        station: StationId {
            id: "hall-b-07".into(),
            location: "Hall B, seat 7".into(),
        },
        signing: Signing {
            seed: "ab".repeat(32),
        },
        uplink: IdentityUplink {
            prefix: "stations/hall-b-07".into(),
            access_key: "AKIAHALLB07".into(),
            secret_key: "s3cr3t/with+chars".into(),
        },
    }
}

#[test]
fn what_enroll_writes_parses_back_and_hides_its_secrets_from_debug() {
    let id = identity();
    let text = id.to_toml();
    let back = parse_identity(&text, Path::new("identity")).unwrap_or_else(|e| panic!("{e}"));
    assert!(back == id);
    let shown = format!("{back:?}");
    assert!(
        !shown.contains("s3cr3t") && !shown.contains(&"ab".repeat(32)),
        "{shown}"
    );
    assert!(id
        .credentials_toml()
        .contains("secret_key = \"s3cr3t/with+chars\""));
}

#[test]
fn mistakes_name_the_field_and_line() {
    let text = identity().to_toml();
    let cases = [
        ("ab".repeat(32), "abc".to_string(), "signing.seed"),
        ("stations/hall-b-07".into(), "/abs".into(), "uplink.prefix"),
        ("stations/hall-b-07".into(), "".into(), "uplink.prefix"),
        ("hall-b-07".into(), "Hall B 07".into(), "station.id"),
        (
            "AKIAHALLB07".into(),
            "AKIA HALL".into(),
            "uplink.access_key",
        ),
    ];
    for (from, to, field) in cases {
        let bad = text.replacen(&format!("\"{from}\""), &format!("\"{to}\""), 1);
        assert_ne!(bad, text, "{from} not found");
        let e = parse_identity(&bad, Path::new("sdb (identity partition)")).unwrap_err();
        assert_eq!(e.field(), Some(field), "{e}");
        let line = bad
            .lines()
            .position(|l| l.contains(&format!("\"{to}\"")))
            .map(|i| i + 1);
        assert_eq!(e.line(), line, "{e}");
        assert!(e.to_string().contains("sdb (identity partition)"), "{e}");
    }
}

#[test]
fn an_enrolled_site_is_the_identitys_station_with_its_prefix_and_credentials() {
    let site = load_site(&common::crate_dir().join("sites/example.toml")).unwrap();
    let creds = Path::new("/run/station/identity/uplink.toml");
    let enrolled = site.clone().enrolled(&identity(), creds);
    assert_eq!(enrolled.station.id, "hall-b-07");
    assert_eq!(enrolled.station.location, "Hall B, seat 7");
    assert_eq!(enrolled.uplink.prefix, "stations/hall-b-07");
    assert_eq!(
        enrolled.uplink.credentials_file.as_deref(),
        Some("/run/station/identity/uplink.toml")
    );
    assert_eq!(
        enrolled.institution, site.institution,
        "the rest is the site's"
    );
    assert_eq!(enrolled.exams, site.exams);
}
