//! Test support: the real S3 server (SeaweedFS), bundles, site files, the fault proxy.
//!
//! The server comes from `cargo xtask test` through `EXAM_S3_ENDPOINT`, `EXAM_S3_ACCESS_KEY`,
//! `EXAM_S3_SECRET_KEY`, `EXAM_S3_HTTPS_ENDPOINT` and `EXAM_S3_CA` (the same store over TLS and
//! the CA of its certificate); without them one `weed mini` is started for this test binary on free
//! loopback ports (from `target/tools/seaweedfs/bin/weed`, which `cargo xtask test` installs, or
//! `weed` on PATH). No server is a test failure, never a skip.
#![allow(dead_code)]

pub mod fleet;
pub mod proxy;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bundle::keys::StationKey;
use bundle::manifest::{FileEntry, Manifest};

/// A running S3 server.
#[derive(Debug, Clone)]
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// Admin access key.
    pub access_key: String,
    /// Admin secret key.
    pub secret_key: String,
    /// The same store over TLS: `https://127.0.0.1:PORT`.
    pub https_endpoint: String,
    /// PEM of the CA that signed the TLS certificate (made by `support/test-ca.sh`).
    pub ca: PathBuf,
}

impl Server {
    /// `host:port` of the endpoint.
    pub fn addr(&self) -> String {
        self.endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned()
    }

    /// Writes a credentials file for this server into `dir`.
    pub fn creds_file(&self, dir: &Path) -> PathBuf {
        let p = dir.join("creds.toml");
        std::fs::write(
            &p,
            format!(
                "access_key = \"{}\"\nsecret_key = \"{}\"\n",
                self.access_key, self.secret_key
            ),
        )
        .unwrap();
        p
    }
}

/// The bucket the write-only station identity may write to.
pub const WRITE_ONLY_BUCKET: &str = "station-writes";
/// Keys of the write-only station identity.
pub const WRITE_ONLY_KEYS: (&str, &str) = ("stationwriter", "stationwriter-secret");
/// Keys of a second station's write-only identity (same bucket).
pub const WRITE_ONLY_KEYS_B: (&str, &str) = ("stationwriter-b", "stationwriter-b-secret");

/// The station identities shipped in `uplink/policies/seaweedfs-station-identity.json`, for
/// two test stations on [`WRITE_ONLY_BUCKET`] (`cargo xtask test` gives its server the same).
pub fn write_only_identity() -> String {
    let shipped = include_str!("../../policies/seaweedfs-station-identity.json");
    [
        ("test-station-01", WRITE_ONLY_KEYS),
        ("test-station-02", WRITE_ONLY_KEYS_B),
    ]
    .iter()
    .map(|(id, (ak, sk))| {
        shipped
            .replace("STATION_ID", id)
            .replace("ACCESS_KEY", ak)
            .replace("SECRET_KEY", sk)
            .replace("BUCKET", WRITE_ONLY_BUCKET)
    })
    .collect::<Vec<_>>()
    .join(",")
}

/// Daemon options for tests: short timeouts and backoff, no progress line.
pub fn fast_options(data: &Path) -> uplink::daemon::Options {
    let mut o = uplink::daemon::Options::new(data.to_owned(), true);
    o.tuning.io_timeout = std::time::Duration::from_secs(2);
    o.retry.base = std::time::Duration::from_millis(20);
    o.retry.cap = std::time::Duration::from_millis(400);
    o.retry.max_attempts = Some(40);
    o.progress = false;
    o
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn weed_binary() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let local = root.join("target/tools/seaweedfs/bin/weed");
    if local.exists() {
        return local;
    }
    PathBuf::from("weed")
}

fn start_weed() -> Server {
    let dir = tempfile::Builder::new()
        .prefix("weed-")
        .tempdir()
        .unwrap()
        .keep();
    let (ak, sk) = ("uplinktest", "uplinktest-secret");
    std::fs::write(
        dir.join("s3.json"),
        format!(r#"{{"identities":[{{"name":"admin","credentials":[{{"accessKey":"{ak}","secretKey":"{sk}"}}],"actions":["Admin","Read","Write","List","Tagging"]}},{}]}}"#, write_only_identity()),
    )
    .unwrap();
    // Ports below 55535 so that weed's gRPC ports (+10000) stay valid.
    let port = || loop {
        let p = free_port();
        if p < 55000 {
            return p;
        }
    };
    let s3 = port();
    let https = port();
    let tls = dir.join("tls");
    let made = std::process::Command::new("sh")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../uplink/tests/support/test-ca.sh"))
        .arg(&tls)
        .status()
        .unwrap();
    assert!(
        made.success(),
        "tests/support/test-ca.sh failed (is openssl installed?)"
    );
    let args: Vec<String> = vec![
        "mini".into(),
        format!("-dir={}", dir.join("data").display()),
        "-ip=127.0.0.1".into(),
        "-ip.bind=127.0.0.1".into(),
        "-master.telemetry=false".into(),
        // A fixed volume count (auto is free disk / 128 MB: a fuller disk ran out of volumes).
        "-volume.max=1000".into(),
        format!("-s3.config={}", dir.join("s3.json").display()),
        "-admin.ui=false".into(),
        "-webdav=false".into(),
        "-s3.port.iceberg=0".into(),
        "-s3.port.lance=0".into(),
        format!("-s3.port={s3}"),
        format!("-s3.port.https={https}"),
        format!("-s3.cert.file={}", tls.join("server.pem").display()),
        format!("-s3.key.file={}", tls.join("server.key").display()),
        format!("-master.port={}", port()),
        format!("-volume.port={}", port()),
        format!("-filer.port={}", port()),
        format!("-admin.port={}", port()),
    ];
    let bin = weed_binary();
    let (tx, rx) = std::sync::mpsc::channel();
    // The server dies with this thread's process: PR_SET_PDEATHSIG from a thread that never ends.
    std::thread::spawn(move || {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(dir.join("weed.log")).unwrap();
        let mut cmd = std::process::Command::new(&bin);
        cmd.args(&args).stdout(log.try_clone().unwrap()).stderr(log);
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn();
        let ok = child.is_ok();
        tx.send(
            child
                .map(|_| ())
                .map_err(|e| format!("{}: {e}", bin.display())),
        )
        .unwrap();
        if ok {
            loop {
                std::thread::park();
            }
        }
    });
    rx.recv().unwrap().unwrap_or_else(|e| {
        panic!("no S3 server: EXAM_S3_ENDPOINT is unset and weed could not start ({e}); run `cargo xtask test`")
    });
    let server = Server {
        endpoint: format!("http://127.0.0.1:{s3}"),
        access_key: ak.into(),
        secret_key: sk.into(),
        https_endpoint: format!("https://127.0.0.1:{https}"),
        ca: tls.join("ca.pem"),
    };
    wait_ready(&server);
    server
}

fn wait_ready(s: &Server) {
    let t = std::time::Instant::now();
    while t.elapsed() < std::time::Duration::from_secs(60) {
        if std::net::TcpStream::connect(s.addr()).is_ok() {
            // The port answers a bit before the S3 gateway is ready: create a bucket to be sure.
            let tmp = tempfile::tempdir().unwrap();
            if let Ok(store) = s3_store(s, "ready-probe", &tmp) {
                if store.create_bucket().is_ok() {
                    return;
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("S3 server at {} did not answer within 60 s", s.endpoint);
}

/// The test run's S3 server.
pub fn server() -> Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| match std::env::var("EXAM_S3_ENDPOINT") {
        Ok(endpoint) => {
            let s = Server {
                endpoint,
                access_key: std::env::var("EXAM_S3_ACCESS_KEY").expect("EXAM_S3_ACCESS_KEY"),
                secret_key: std::env::var("EXAM_S3_SECRET_KEY").expect("EXAM_S3_SECRET_KEY"),
                https_endpoint: std::env::var("EXAM_S3_HTTPS_ENDPOINT")
                    .expect("EXAM_S3_HTTPS_ENDPOINT"),
                ca: std::env::var("EXAM_S3_CA").expect("EXAM_S3_CA").into(),
            };
            wait_ready(&s);
            s
        }
        Err(_) => start_weed(),
    })
    .clone()
}

/// Site TOML for an S3 uplink at `endpoint` (bucket, prefix, extra `[uplink]` lines).
pub fn site_toml(endpoint: &str, region: &str, bucket: &str, creds: &Path, extra: &str) -> String {
    format!(
        r#"[station]
id = "test-station-01"
location = "Test hall"

[institution]
name = "Test University"
recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"

[exam]
allowlist = ["exam.example.ca"]

[uplink]
backend = "s3"
endpoint = "{endpoint}"
region = "{region}"
residency = "CA"
bucket = "{bucket}"
prefix = "stations/test-station-01"
credentials_file = "{}"
part_size_mib = 5
start_jitter_seconds = 0
{extra}
"#,
        creds.display()
    )
}

/// The admin credentials and a site file for `bucket` on `s`, written into `dir`; their paths
/// (credentials, site).
pub fn site_files(s: &Server, bucket: &str, dir: &Path) -> (PathBuf, PathBuf) {
    let creds = s.creds_file(dir);
    let site = dir.join("site.toml");
    std::fs::write(
        &site,
        site_toml(&s.endpoint, "ca-central-1", bucket, &creds, ""),
    )
    .unwrap();
    (creds, site)
}

/// A parsed, valid site for an S3 uplink.
pub fn site(endpoint: &str, bucket: &str, creds: &Path, extra: &str) -> board_config::Site {
    let text = site_toml(endpoint, "ca-central-1", bucket, creds, extra);
    board_config::parse_site(&text, Path::new("test-site.toml")).unwrap()
}

/// An S3 store for `bucket` on `server`, bucket created.
pub fn s3_store(
    s: &Server,
    bucket: &str,
    tmp: &tempfile::TempDir,
) -> Result<uplink::store::s3::S3Store, uplink::UplinkError> {
    let creds = uplink::creds::Credentials::load(&s.creds_file(tmp.path()))?;
    let site = site(&s.endpoint, bucket, &tmp.path().join("creds.toml"), "");
    let tuning = uplink::store::Tuning {
        io_timeout: std::time::Duration::from_secs(10),
    };
    uplink::store::s3::S3Store::connect(&site.uplink, &creds, &tuning)
}

/// Deterministic pseudo-random bytes.
pub fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Writes a sealed bundle `spool/<exam>/` with files of `sizes` bytes and a signed manifest;
/// returns its folder.
pub fn make_bundle(spool: &Path, exam: &str, sizes: &[usize], seed: u64) -> PathBuf {
    let dir = spool.join(exam);
    std::fs::create_dir_all(dir.join("identity")).unwrap();
    let mut files = Vec::new();
    for (i, n) in sizes.iter().enumerate() {
        let name = if i == 0 {
            "identity/photo-id.jpg.age".to_owned()
        } else {
            format!("camera-{i:05}.mkv.age")
        };
        std::fs::write(dir.join(&name), bytes(seed * 31 + i as u64, *n)).unwrap();
        let (size, sha256) = bundle::manifest::hash_file(&dir.join(&name)).unwrap();
        files.push(FileEntry { name, size, sha256 });
    }
    let key = StationKey::load_or_create(&spool.join("..").join("station.key")).unwrap();
    let mut m = Manifest {
        format: bundle::manifest::FORMAT,
        station: "test-station-01".into(),
        exam: exam.into(),
        exam_date: "2026-11-25".into(),
        started_at: "2026-11-25T10:00:00.000Z".into(),
        ended_at: "2026-11-25T11:00:00.000Z".into(),
        interrupted: false,
        journal_head: "00".repeat(32),
        files,
        image: String::new(),
        machine: String::new(),
        station_key: String::new(),
        signature: String::new(),
    };
    m.sign(&key);
    std::fs::write(dir.join(bundle::manifest::FILE), m.to_json()).unwrap();
    dir
}

/// Copies a bundle folder (to keep the original for comparison).
pub fn copy_dir(from: &Path, to: &Path) {
    for name in bundle::manifest::list_files(from).unwrap() {
        let d = to.join(&name);
        std::fs::create_dir_all(d.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&name), d).unwrap();
    }
}

/// A bucket name unique to this test process.
pub fn bucket(name: &str) -> String {
    format!("t{}-{name}", std::process::id())
}
