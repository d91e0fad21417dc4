//! The kiosk browser's managed policy, made from the site file at each exam start.
//!
//! Chromium reads `/etc/chromium/policies/managed/*.json`; exam-kiosk.service mounts the folder
//! written here over it, so the browser's user can neither read another policy nor change this
//! one. The policy is the browser's half of the allowlist: the forward proxy (and the nftables
//! ruleset behind it) are the other half, so a policy bug alone opens nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use board_config::ExamPolicy;
use serde_json::{json, Value};

/// The forward proxy the browser must use (exam-proxy.service listens there).
pub const PROXY: &str = "127.0.0.1:3128";

/// One allowlist pattern in Chromium's URL filter format: an exact host gets a leading `.`
/// (no subdomains); `*.example.ca` becomes `example.ca` (the domain and its subdomains: the
/// proxy still refuses the bare domain). Site validation allows host names only, no addresses.
fn url_filter(pattern: &str) -> String {
    match pattern.strip_prefix("*.") {
        Some(domain) => domain.to_string(),
        None => format!(".{pattern}"),
    }
}

/// The managed policy for the site's exam shell.
pub fn policy(exam: &ExamPolicy) -> Value {
    let mut allow: Vec<String> = exam.allowlist.iter().map(|p| url_filter(p)).collect();
    allow.push("about:blank".into());
    json!({
        // Only the allowlist; every other URL (chrome://, file://, data:, other hosts) refused,
        // and no page's source either (view-source: of an allowed page is only refused when
        // the scheme is listed itself).
        "URLBlocklist": ["*", "view-source:*", "javascript://*"],
        "URLAllowlist": allow,
        // Every request through the exam proxy, which the user cannot change.
        "ProxySettings": {
            "ProxyMode": "fixed_servers",
            "ProxyServer": PROXY,
            "ProxyBypassList": "<-loopback>",
        },
        "DnsOverHttpsMode": "off",
        // WebRTC only through the proxy: no UDP of its own, no local addresses told to a page.
        "WebRtcIPHandling": "disable_non_proxied_udp",
        // No way to look behind the page, keep or print anything, or open local files.
        "DeveloperToolsAvailability": 2,
        "DownloadRestrictions": 3,
        "PrintingEnabled": false,
        "AllowFileSelectionDialogs": false,
        "SavingBrowserHistoryDisabled": true,
        "PasswordManagerEnabled": false,
        "AutofillAddressEnabled": false,
        "AutofillCreditCardEnabled": false,
        // No second window of another kind, no other profile, no extensions.
        "IncognitoModeAvailability": 1,
        "BrowserGuestModeEnabled": false,
        "BrowserAddPersonEnabled": false,
        "BrowserSignin": 0,
        "SyncDisabled": true,
        "ExtensionInstallBlocklist": ["*"],
        "TaskManagerEndProcessEnabled": false,
        "EditBookmarksEnabled": false,
        // The station's camera and microphone belong to the recording: no page may use them,
        // nor capture the screen (no live streaming, P5).
        "VideoCaptureAllowed": false,
        "AudioCaptureAllowed": false,
        "ScreenCaptureAllowed": false,
        "DefaultGeolocationSetting": 2,
        "DefaultNotificationsSetting": 2,
        "DefaultSensorsSetting": 2,
        "DefaultWebBluetoothGuardSetting": 2,
        "DefaultWebUsbGuardSetting": 2,
        "DefaultSerialGuardSetting": 2,
        // Nothing phones home.
        "MetricsReportingEnabled": false,
        "SafeBrowsingProtectionLevel": 0,
        "SearchSuggestEnabled": false,
        "SpellCheckServiceEnabled": false,
        "TranslateEnabled": false,
        "BackgroundModeEnabled": false,
        "ComponentUpdatesEnabled": false,
        "PromotionsEnabled": false,
    })
}

/// A value for a systemd environment file, double-quoted.
fn env_quoted(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// What [`prepare`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The policy file (`<dir>/policy/exam-station.json`).
    pub policy: PathBuf,
    /// The unit's environment file (`<dir>/kiosk.env`: `EXAM_START_URL`).
    pub env: PathBuf,
}

/// Writes the policy and the start page for exam-kiosk.service into `dir` (created, mode 0755:
/// readable, not writable, by the browser's user).
pub fn prepare(exam: &ExamPolicy, dir: &Path) -> std::io::Result<Prepared> {
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, what);
    let url = exam
        .start_url()
        .ok_or_else(|| invalid("the site has no exam.start_url and no exact allowlisted host"))?;
    let policy_dir = dir.join("policy");
    std::fs::create_dir_all(&policy_dir)?;
    for d in [dir, &policy_dir] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755))?;
    }
    let policy = policy_dir.join("exam-station.json");
    let text = serde_json::to_string_pretty(&self::policy(exam)).map_err(std::io::Error::other)?;
    write_file(&policy, &text)?;
    let env = dir.join("kiosk.env");
    write_file(&env, &format!("EXAM_START_URL={}\n", env_quoted(&url)))?;
    Ok(Prepared { policy, env })
}

/// Writes `text` (mode 0644 whatever the umask: the browser's user reads it) through a
/// temporary file and a rename, so a reader never sees half of it.
fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644))?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exam(allow: &[&str]) -> ExamPolicy {
        ExamPolicy {
            allowlist: allow.iter().map(|s| s.to_string()).collect(),
            start_url: None,
            blocked_combinations: Vec::new(),
            segment_seconds: 60,
            sync_seconds: 2,
            ports: vec![443, 80],
            private_networks: Vec::new(),
        }
    }

    #[test]
    fn blocks_everything_but_the_allowlist() {
        let p = policy(&exam(&[
            "exam.example.ca",
            "*.lms.example.ca",
            "exam.station.test",
        ]));
        assert_eq!(
            p["URLBlocklist"],
            json!(["*", "view-source:*", "javascript://*"])
        );
        assert_eq!(
            p["URLAllowlist"],
            json!([
                ".exam.example.ca",
                "lms.example.ca",
                ".exam.station.test",
                "about:blank"
            ])
        );
        assert_eq!(p["ProxySettings"]["ProxyServer"], json!(PROXY));
        assert_eq!(p["DeveloperToolsAvailability"], json!(2));
        assert_eq!(p["WebRtcIPHandling"], json!("disable_non_proxied_udp"));
        assert_eq!(p["DownloadRestrictions"], json!(3));
        assert_eq!(p["PrintingEnabled"], json!(false));
        assert_eq!(p["AllowFileSelectionDialogs"], json!(false));
        assert_eq!(p["VideoCaptureAllowed"], json!(false));
    }

    #[test]
    fn prepare_writes_policy_and_start_page() {
        let dir = tempfile::tempdir().unwrap();
        let mut e = exam(&["*.lms.example.ca", "exam.example.ca"]);
        let out = prepare(&e, dir.path()).unwrap();
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&out.policy).unwrap()).unwrap();
        assert_eq!(written, policy(&e));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&out.policy), 0o644, "readable by the browser's user");
        assert_eq!(mode(out.policy.parent().unwrap()), 0o755);
        assert_eq!(
            std::fs::read_to_string(&out.env).unwrap(),
            "EXAM_START_URL=\"https://exam.example.ca/\"\n"
        );
        e.start_url = Some(r#"https://exam.example.ca/q?a="b"\c"#.into());
        prepare(&e, dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&out.env).unwrap(),
            "EXAM_START_URL=\"https://exam.example.ca/q?a=\\\"b\\\"\\\\c\"\n"
        );
        e.allowlist = vec!["*.lms.example.ca".into()];
        e.start_url = None;
        let err = prepare(&e, dir.path()).unwrap_err();
        assert!(err.to_string().contains("exam.start_url"), "{err}");
    }
}
