//! Site files: the residency promise (Canada only) and the other site rules.

mod common;

use std::path::Path;

use board_config::{is_loopback_url, parse_site, ErrorKind, Site, UplinkBackend, CANADIAN_REGIONS};
use common::{assert_error, edit, site_err, SITE};

fn ok(text: &str) -> Site {
    parse_site(text, Path::new("station.toml")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_base_site_is_valid() {
    let site = ok(SITE);
    assert_eq!(site.uplink.backend, UplinkBackend::S3);
    assert_eq!(site.station.id, "hall-b-07");
}

#[test]
fn non_canadian_region_is_refused() {
    let err = site_err(&edit(
        SITE,
        "region = \"ca-central-1\"",
        "region = \"us-east-1\"",
    ));
    assert_error(&err, ErrorKind::InvalidValue, 16, Some("uplink.region"));
    assert_eq!(err.column(), Some(10));
    let hint = err.hint().unwrap_or_default();
    assert!(hint.contains("ca-central-1, ca-west-1"), "{hint}");
    assert!(hint.contains("on_premises = true"), "{hint}");
}

#[test]
fn both_canadian_regions_are_accepted() {
    assert_eq!(CANADIAN_REGIONS, &["ca-central-1", "ca-west-1"]);
    let west = edit(
        &edit(SITE, "region = \"ca-central-1\"", "region = \"ca-west-1\""),
        "s3.ca-central-1.amazonaws.com",
        "s3.ca-west-1.amazonaws.com",
    );
    ok(&west);
}

#[test]
fn aws_endpoint_outside_the_region_is_refused() {
    let err = site_err(&edit(
        SITE,
        "s3.ca-central-1.amazonaws.com",
        "s3.us-east-1.amazonaws.com",
    ));
    assert_error(&err, ErrorKind::InvalidValue, 15, Some("uplink.endpoint"));

    let err = site_err(&edit(
        SITE,
        "s3.ca-central-1.amazonaws.com",
        "minio.example.com",
    ));
    assert_error(&err, ErrorKind::InvalidValue, 15, Some("uplink.endpoint"));
    assert!(
        err.hint()
            .unwrap_or_default()
            .contains("on_premises = true"),
        "{err}"
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let err = site_err(&edit(
        SITE,
        "https://s3.ca-central-1.amazonaws.com",
        "http://s3.ca-central-1.amazonaws.com",
    ));
    assert_error(&err, ErrorKind::InvalidValue, 15, Some("uplink.endpoint"));
    assert!(err.hint().unwrap_or_default().contains("loopback"), "{err}");

    let err = site_err(&edit(
        SITE,
        "https://s3.ca-central-1.amazonaws.com",
        "ftp://s3.ca-central-1.amazonaws.com",
    ));
    assert_error(&err, ErrorKind::InvalidValue, 15, Some("uplink.endpoint"));
}

#[test]
fn plain_http_to_loopback_is_accepted() {
    let local = edit(
        SITE,
        "https://s3.ca-central-1.amazonaws.com",
        "http://127.0.0.1:8333",
    );
    assert_eq!(
        ok(&local).uplink.endpoint.as_deref(),
        Some("http://127.0.0.1:8333")
    );
    let on_prem = edit(
        &edit(&local, "region = \"ca-central-1\"", "region = \"campus-1\""),
        "residency = \"CA\"",
        "residency = \"CA\"\non_premises = true",
    );
    ok(&on_prem);
    assert!(is_loopback_url("http://127.0.0.1:8333"));
    assert!(is_loopback_url("http://[::1]:8333"));
    assert!(!is_loopback_url("http://s3.example.ca"));
}

#[test]
fn on_premises_accepts_any_region_but_not_aws() {
    let on_prem = edit(
        &edit(
            &edit(SITE, "region = \"ca-central-1\"", "region = \"us-east-1\""),
            "https://s3.ca-central-1.amazonaws.com",
            "https://s3.campus.example.ca",
        ),
        "residency = \"CA\"",
        "residency = \"CA\"\non_premises = true",
    );
    assert!(ok(&on_prem).uplink.on_premises);

    let aws = edit(
        &on_prem,
        "https://s3.campus.example.ca",
        "https://s3.us-east-1.amazonaws.com",
    );
    let err = site_err(&aws);
    assert_error(&err, ErrorKind::InvalidValue, 15, Some("uplink.endpoint"));
}

#[test]
fn residency_must_be_canada() {
    let err = site_err(&edit(SITE, "residency = \"CA\"", "residency = \"US\""));
    assert_error(&err, ErrorKind::InvalidValue, 17, Some("uplink.residency"));
    assert_eq!(err.hint(), Some("valid: \"CA\""));

    let on_prem = edit(
        SITE,
        "residency = \"CA\"",
        "residency = \"EU\"\non_premises = true",
    );
    let err = site_err(&on_prem);
    assert_error(&err, ErrorKind::InvalidValue, 17, Some("uplink.residency"));

    let err = site_err(&edit(SITE, "residency = \"CA\"\n", ""));
    assert_error(&err, ErrorKind::MissingField, 13, Some("uplink.residency"));
}

#[test]
fn s3_needs_its_fields() {
    let err = site_err(&edit(SITE, "bucket = \"example-exam-recordings\"\n", ""));
    assert_error(&err, ErrorKind::MissingField, 13, Some("uplink.bucket"));
    let err = site_err(&edit(
        SITE,
        "endpoint = \"https://s3.ca-central-1.amazonaws.com\"\n",
        "",
    ));
    assert_error(&err, ErrorKind::MissingField, 13, Some("uplink.endpoint"));
    let err = site_err(&edit(
        SITE,
        "credentials_file = \"/data/credentials/uplink.toml\"\n",
        "",
    ));
    assert_error(
        &err,
        ErrorKind::MissingField,
        13,
        Some("uplink.credentials_file"),
    );
    let err = site_err(&edit(
        SITE,
        "bucket = \"example-exam-recordings\"",
        "bucket = \"Bad_Bucket\"",
    ));
    assert_error(&err, ErrorKind::InvalidValue, 18, Some("uplink.bucket"));
}

#[test]
fn folder_backend_needs_a_folder() {
    let folder = edit(SITE, "backend = \"s3\"", "backend = \"folder\"");
    let err = site_err(&folder);
    assert_error(&err, ErrorKind::MissingField, 13, Some("uplink.folder"));
    let with = format!("{folder}folder = \"/mnt/exam-archive\"\n");
    assert_eq!(ok(&with).uplink.backend, UplinkBackend::Folder);
    let relative = format!("{folder}folder = \"archive\"\n");
    assert_error(
        &site_err(&relative),
        ErrorKind::InvalidValue,
        21,
        Some("uplink.folder"),
    );
}

#[test]
fn recipient_typo_is_caught() {
    let err = site_err(&edit(SITE, "kg5sfn9aqmcac8p", "kg5sfn9aqmcac8q"));
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        7,
        Some("institution.recipient"),
    );
    assert!(err.message().contains("checksum"), "{err}");
    let err = site_err(&edit(SITE, "\"age1ql3z7", "\"AGE-SECRET-KEY-1ql3z7"));
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        7,
        Some("institution.recipient"),
    );
}

#[test]
fn start_url_on_an_allowlisted_host() {
    let allow = "[\"exam.example.ca\", \"*.lms.example.ca\"]";
    let with = |url: &str| edit(SITE, allow, &format!("{allow}\nstart_url = \"{url}\""));
    let site = board_config::parse_site(&with("https://a.lms.example.ca/quiz"), "s.toml".as_ref())
        .expect("allowlisted start_url");
    assert_eq!(
        site.exam.start_url().as_deref(),
        Some("https://a.lms.example.ca/quiz")
    );
    let err = site_err(&with("https://chat.example.com/"));
    assert_error(&err, ErrorKind::InvalidValue, 11, Some("exam.start_url"));
    assert!(err.message().contains("\"chat.example.com\""), "{err}");
    let err = site_err(&with("file:///etc/passwd"));
    assert_error(&err, ErrorKind::InvalidValue, 11, Some("exam.start_url"));
    // The host a browser would open, not the one after the last `@` (TOML: one backslash).
    let err = site_err(&with(r"https://chat.example.com\\@exam.example.ca/"));
    assert_error(&err, ErrorKind::InvalidValue, 11, Some("exam.start_url"));
    assert!(err.message().contains("\"chat.example.com\""), "{err}");
    // Without start_url, only wildcards: nothing to open.
    let err = site_err(&edit(SITE, allow, "[\"*.lms.example.ca\"]"));
    assert_error(&err, ErrorKind::InvalidValue, 9, Some("exam.start_url"));
}

#[test]
fn allowlist_and_key_combinations() {
    let err = site_err(&edit(
        SITE,
        "[\"exam.example.ca\", \"*.lms.example.ca\"]",
        "[]",
    ));
    assert_error(&err, ErrorKind::InvalidValue, 10, Some("exam.allowlist"));

    let err = site_err(&edit(
        SITE,
        "\"*.lms.example.ca\"",
        "\"https://lms.example.ca/\"",
    ));
    assert_error(&err, ErrorKind::InvalidValue, 10, Some("exam.allowlist[1]"));
    assert_eq!(err.column(), Some(33));

    let err = site_err(&edit(
        SITE,
        "\"Ctrl+Shift+I\"",
        "\"Ctrl+Shift+I\", \"Ctl+U\"",
    ));
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        11,
        Some("exam.blocked_combinations[1]"),
    );
    assert!(
        err.hint()
            .unwrap_or_default()
            .ends_with("(did you mean `Ctrl`?)"),
        "{err}"
    );

    let err = site_err(&edit(
        SITE,
        "blocked_combinations",
        "segment_seconds = 5\nblocked_combinations",
    ));
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        11,
        Some("exam.segment_seconds"),
    );
}

#[test]
fn station_id_and_missing_sections() {
    let err = site_err(&edit(SITE, "id = \"hall-b-07\"", "id = \"Hall B 07\""));
    assert_error(&err, ErrorKind::InvalidValue, 2, Some("station.id"));

    let no_uplink = SITE.split("[uplink]").next().unwrap_or_default();
    let err = site_err(no_uplink);
    assert_error(&err, ErrorKind::MissingField, 1, Some("uplink"));
    assert!(
        err.hint()
            .unwrap_or_default()
            .contains("residency = \"CA\""),
        "{err}"
    );
}

#[test]
fn unknown_field_in_site() {
    let err = site_err(&edit(SITE, "prefix =", "prefx ="));
    assert_error(&err, ErrorKind::UnknownField, 19, Some("uplink.prefx"));
    assert!(
        err.hint()
            .unwrap_or_default()
            .ends_with("(did you mean `prefix`?)"),
        "{err}"
    );
}

#[test]
fn ca_file_is_an_absolute_path_and_https_only() {
    let with = |line: &str| format!("{SITE}{line}\n");
    let site = ok(&with("ca_file = \"/etc/station/store-ca.pem\""));
    assert_eq!(
        site.uplink.ca_file.as_deref(),
        Some("/etc/station/store-ca.pem")
    );
    let relative = site_err(&with("ca_file = \"store-ca.pem\""));
    assert_error(
        &relative,
        ErrorKind::InvalidValue,
        21,
        Some("uplink.ca_file"),
    );
    let http = edit(
        &with("ca_file = \"/etc/station/store-ca.pem\""),
        "https://s3.ca-central-1.amazonaws.com",
        "http://127.0.0.1:9000",
    );
    let err = site_err(&http);
    assert_eq!(err.field(), Some("uplink.ca_file"), "{err}");
    assert!(err.to_string().contains("not https"), "{err}");
}

#[test]
fn exam_ports_default_to_https_and_http_and_must_be_ports() {
    assert_eq!(ok(SITE).exam.ports, [443, 80]);
    let allow = "allowlist = [\"exam.example.ca\", \"*.lms.example.ca\"]";
    let site = ok(&edit(SITE, allow, &format!("{allow}\nports = [443, 8443]")));
    assert_eq!(site.exam.ports, [443, 8443]);
    for (ports, field) in [("[]", "exam.ports"), ("[443, 0]", "exam.ports[1]")] {
        let err = site_err(&edit(SITE, allow, &format!("{allow}\nports = {ports}")));
        assert_eq!(err.field(), Some(field), "{err}");
        assert_eq!(err.kind(), ErrorKind::InvalidValue, "{err}");
    }
    let err = site_err(&edit(SITE, allow, &format!("{allow}\nports = [70000]")));
    assert!(err.to_string().contains("exam.ports"), "{err}");
}

#[test]
fn ip_literals_and_public_suffix_wildcards_are_refused_naming_the_entry() {
    let allow = "\"*.lms.example.ca\"";
    for (entry, says) in [
        ("10.0.2.100", "is an IP address"),
        ("127.1", "is an IP address"),
        ("0x7f.0.0.1", "is an IP address"),
        ("2130706433", "is an IP address"),
        ("[::1]", "is not a host pattern"),
        ("*.ca", "public suffix"),
        ("*.co.uk", "public suffix"),
        ("*.com", "public suffix"),
    ] {
        let err = site_err(&edit(SITE, allow, &format!("\"{entry}\"")));
        assert_error(&err, ErrorKind::InvalidValue, 10, Some("exam.allowlist[1]"));
        let text = err.to_string();
        assert!(text.contains(entry), "{entry}: {text}");
        assert!(text.contains(says), "{entry}: {text}");
        assert!(text.contains("station.toml"), "{entry}: {text}");
    }
}

#[test]
fn private_networks_are_networks() {
    let allow = "allowlist = [\"exam.example.ca\", \"*.lms.example.ca\"]";
    let with = |nets: &str| edit(SITE, allow, &format!("{allow}\nprivate_networks = {nets}"));
    let site = ok(&with("[\"10.20.0.0/16\", \"fd00:10::/32\"]"));
    assert_eq!(site.exam.private_networks, ["10.20.0.0/16", "fd00:10::/32"]);
    assert!(ok(SITE).exam.private_networks.is_empty());
    for (nets, field, says) in [
        (
            "[\"10.20.0.0\"]",
            "exam.private_networks[0]",
            "no prefix length",
        ),
        (
            "[\"10.20.0.0/16\", \"10.0.2.1/24\"]",
            "exam.private_networks[1]",
            "the network is 10.0.2.0/24",
        ),
        (
            "[\"campus/8\"]",
            "exam.private_networks[0]",
            "not an IP address",
        ),
    ] {
        let err = site_err(&with(nets));
        assert_eq!(err.field(), Some(field), "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
}

/// Endpoints a split at `@` or a loose host check would take for the region's AWS host, but
/// the uplink's URL parser or HTTP client would send elsewhere (or that name another region):
/// every form is refused at `uplink.endpoint`, naming the endpoint.
#[test]
fn endpoints_read_differently_by_the_client_are_refused() {
    let aws = "https://s3.ca-central-1.amazonaws.com";
    for odd in [
        // TOML text: the value has one backslash.
        r"https://evil.example\\@s3.ca-central-1.amazonaws.com",
        "https://s3.ca-central-1.amazonaws.com@evil.example",
        "https://key:secret@s3.ca-central-1.amazonaws.com",
        "https://evil.example#@s3.ca-central-1.amazonaws.com",
        "https://evil.example?@s3.ca-central-1.amazonaws.com",
        "https://s3%2eca-central-1.amazonaws.com",
        "https://s3.ca-central-1.amazonaws.com.evil.example",
        "https://ca-central-1.s3-website.us-east-1.amazonaws.com",
        "https://s3.ca-central-1.amazonaws.com./",
        "https://s3.ca-central-1.amazonaws.com/other-bucket",
        "http://0x7f.1:8333",
        "http://127.1:8333",
    ] {
        let err = site_err(&edit(SITE, aws, odd));
        assert_eq!(err.field(), Some("uplink.endpoint"), "{odd}: {err}");
        assert_eq!(err.kind(), ErrorKind::InvalidValue, "{odd}: {err}");
    }
    ok(&edit(
        SITE,
        aws,
        "https://s3.dualstack.ca-central-1.amazonaws.com",
    ));
}
