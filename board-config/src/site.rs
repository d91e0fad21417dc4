//! The site file (`station.toml`): who the station is, whose key it encrypts to, what the exam
//! shell may reach, and where sealed recordings go (Canada only).

use serde::{Deserialize, Serialize};

use crate::checkin::{CheckIn, ExamEntry, Proctor};

/// The known Canadian AWS regions. Without `on_premises = true`, an s3 uplink must use one of
/// these (privacy promise P4: recordings are stored in Canada only).
pub const CANADIAN_REGIONS: &[&str] = &["ca-central-1", "ca-west-1"];

/// A site file: the station's identity, institution, exam policy, uplink and storage.
///
/// See `board-config/sites/example.toml` for a complete, commented example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// `[station]`: this station's identity.
    pub station: StationId,
    /// `[institution]`: whose data the recordings are, and its public key.
    pub institution: Institution,
    /// `[exam]`: what the exam shell allows and how recordings are cut.
    pub exam: ExamPolicy,
    /// `[uplink]`: where sealed bundles are sent (Canadian residency enforced).
    pub uplink: Uplink,
    /// `[storage]`: local spool limits (optional section).
    #[serde(default)]
    pub storage: Storage,
    /// `[checkin]`: how students identify and the screens' language (optional section).
    #[serde(default)]
    pub checkin: CheckIn,
    /// `[proctor]`: the proctor PIN's hash. Without it no exam starts at the station's own
    /// screen (its readiness card says DO NOT USE and why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proctor: Option<Proctor>,
    /// `[[exams]]`: the exams that may be sat at this station. Without any, none starts at the
    /// station's own screen.
    #[serde(default)]
    pub exams: Vec<ExamEntry>,
}

/// `[station]`: who this station is.
///
/// ```toml
/// [station]
/// id = "hall-b-07"
/// location = "Hall B, seat 7"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationId {
    /// Station id: 1 to 40 of lowercase letters, digits and `-`, e.g. `"hall-b-07"`. Used in
    /// storage paths, so no personal data.
    pub id: String,
    /// Where the station stands, for proctors and IT, e.g. `"Hall B, seat 7"`.
    pub location: String,
}

/// `[institution]`: the data owner.
///
/// ```toml
/// [institution]
/// name = "Example University"
/// recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Institution {
    /// The institution's name, e.g. `"Example University"`.
    pub name: String,
    /// The institution's age X25519 public key (`age1...`, 62 characters, Bech32 checksum
    /// checked). Everything recorded is encrypted to it; the station cannot decrypt.
    pub recipient: String,
}

/// `[exam]`: exam shell policy and recording cadence.
///
/// ```toml
/// [exam]
/// allowlist = ["exam.example.ca", "*.lms.example.ca"]
/// start_url = "https://exam.example.ca/login"
/// blocked_combinations = ["Ctrl+Shift+I", "Alt+F4"]
/// segment_seconds = 60
/// sync_seconds = 2
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamPolicy {
    /// Hosts the exam shell may load, non-empty: `"exam.example.ca"` (that host) or
    /// `"*.example.ca"` (any subdomain). No scheme, port or path.
    pub allowlist: Vec<String>,
    /// The page the kiosk browser opens at exam start, `http(s)://` on an allowlisted host.
    /// Default `https://` + the first exact host of the allowlist + `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_url: Option<String>,
    /// Key combinations swallowed during the exam, `Mod+...+Key` with modifiers `Ctrl`, `Alt`,
    /// `Shift`, `Super`, e.g. `"Ctrl+Shift+I"`, `"Alt+F4"`. Default none.
    #[serde(default)]
    pub blocked_combinations: Vec<String>,
    /// Length of one recording segment file in seconds, 10 to 600. Default `60`.
    #[serde(default = "default_segment_seconds")]
    pub segment_seconds: u32,
    /// How often recordings are flushed and fsync'd, in seconds, 1 to 10. Default `2`.
    #[serde(default = "default_sync_seconds")]
    pub sync_seconds: u32,
    /// Ports the exam shell may reach on allowlisted hosts, through the proxy. Default
    /// `[443, 80]`.
    #[serde(default = "default_ports")]
    pub ports: Vec<u16>,
    /// Internal networks (loopback, private, link-local; CIDR, e.g. `"10.20.0.0/16"`) that
    /// allowlisted names may resolve to, for an exam server on the campus network. Default none:
    /// the proxy refuses a name that resolves to an internal address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub private_networks: Vec<String>,
}

impl ExamPolicy {
    /// The page the kiosk opens: `start_url`, else `https://<first exact allowlisted host>/`;
    /// `None` when neither exists (validation refuses such a site).
    ///
    /// ```
    /// let mut p: board_config::ExamPolicy =
    ///     toml::from_str("allowlist = [\"*.lms.example.ca\", \"exam.example.ca\"]").unwrap();
    /// assert_eq!(p.start_url().as_deref(), Some("https://exam.example.ca/"));
    /// p.start_url = Some("https://a.lms.example.ca/quiz".into());
    /// assert_eq!(p.start_url().as_deref(), Some("https://a.lms.example.ca/quiz"));
    /// ```
    pub fn start_url(&self) -> Option<String> {
        self.start_url.clone().or_else(|| {
            self.allowlist
                .iter()
                .find(|h| !h.starts_with("*."))
                .map(|h| format!("https://{h}/"))
        })
    }
}

/// `[uplink]`: where sealed bundles are uploaded, with the residency declaration.
///
/// Rules: `residency` must be `"CA"`. Backend `s3` needs `endpoint`, `region`, `bucket` and
/// `credentials_file`; the region must be one of [`CANADIAN_REGIONS`] unless
/// `on_premises = true`; the endpoint must be `https://` (plain `http://` only to a loopback
/// host). Backend `folder` needs `folder`.
///
/// ```toml
/// [uplink]
/// backend = "s3"
/// endpoint = "https://s3.ca-central-1.amazonaws.com"
/// region = "ca-central-1"
/// residency = "CA"
/// bucket = "example-exam-recordings"
/// prefix = "stations/hall-b-07"
/// credentials_file = "/data/credentials/uplink.toml"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uplink {
    /// Where bundles go: `"s3"` (AWS S3 or an S3-compatible store) or `"folder"` (a mounted folder).
    pub backend: UplinkBackend,
    /// S3 endpoint URL, e.g. `"https://s3.ca-central-1.amazonaws.com"`; `http://` only to loopback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// S3 region: `"ca-central-1"` or `"ca-west-1"`, or any name when `on_premises = true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Declared data residency; must be `"CA"`.
    pub residency: String,
    /// The store is the institution's own, on premises in Canada (any region name). Default `false`.
    #[serde(default)]
    pub on_premises: bool,
    /// S3 bucket name (3 to 63 of lowercase letters, digits, `-`, `.`), e.g. `"example-exam-recordings"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Key prefix this station writes under, e.g. `"stations/hall-b-07"`; no leading `/`, no `..`. Default `""`.
    #[serde(default)]
    pub prefix: String,
    /// Absolute path of the station's upload credentials, e.g. `"/data/credentials/uplink.toml"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_file: Option<String>,
    /// Absolute path of a PEM file with the CA certificate(s) that sign the store's TLS
    /// certificate, e.g. `"/etc/station/store-ca.pem"`. When set, only these are trusted (the
    /// system roots are not): an on-premises store with the institution's own CA. https only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Multipart upload part size in MiB, 5 to 512. Default `8`.
    #[serde(default = "default_part_size")]
    pub part_size_mib: u32,
    /// Requests carrying a part (or a whole small file) in flight at once, 1 to 16; memory holds
    /// this many parts. Default `4`.
    #[serde(default = "default_parts_in_flight")]
    pub parts_in_flight: u32,
    /// Upload bandwidth limit in kbit/s; `0` = unlimited. Default `0`.
    #[serde(default)]
    pub bandwidth_limit_kbps: u32,
    /// Upper bound of the random delay before an upload starts, in seconds, 0 to 3600. Default `30`.
    #[serde(default = "default_start_jitter")]
    pub start_jitter_seconds: u32,
    /// Absolute path of the destination folder for backend `folder`, e.g. `"/mnt/exam-archive"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
}

/// Uplink backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UplinkBackend {
    /// S3 multipart upload (AWS in a Canadian region, or an on-premises S3-compatible store). TOML `"s3"`.
    S3,
    /// Copy into a mounted folder (e.g. an on-campus file server). TOML `"folder"`.
    Folder,
}

/// `[storage]`: local spool limits.
///
/// ```toml
/// [storage]
/// min_free_mib = 512
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// Free space (MiB) below which no new exam starts and a running one raises StorageLow. Default `512`.
    #[serde(default = "default_min_free")]
    pub min_free_mib: u64,
}

impl Default for Storage {
    fn default() -> Self {
        Self {
            min_free_mib: default_min_free(),
        }
    }
}

fn default_segment_seconds() -> u32 {
    60
}

fn default_ports() -> Vec<u16> {
    vec![443, 80]
}

fn default_sync_seconds() -> u32 {
    2
}

fn default_part_size() -> u32 {
    8
}

fn default_parts_in_flight() -> u32 {
    4
}

fn default_start_jitter() -> u32 {
    30
}

fn default_min_free() -> u64 {
    512
}
