//! Two sticks enrolled as two stations, end to end (part of `cargo xtask test`; alone:
//! `cargo xtask enroll-test`).
//!
//! Two copies of the built image are enrolled with `examctl enroll` as `station-a` and
//! `station-b`, each with its own write-only credentials on the store; each copy's identity is
//! installed as the image does at boot (`stationctl identity install`, here reading the image
//! file); a simulated exam is recorded with it (simulated board) and `uplinkd --once` uploads
//! it with that stick's credentials under its own prefix; the institution fetches and opens
//! both with the registry. Then the refusals: a second stick enrolled under an id the registry
//! has, and a forger holding station-a's upload credentials whose stick was enrolled outside
//! the registry: its bundle lands under station-a's prefix and `fetch` and `open` refuse it,
//! naming the key. (A bundle copied under another exam's path: uplink/tests/registry.rs.)

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::imagetest::{disk_copy, finish, fresh_dir, Tally};
use crate::{image, run, s3};

/// The test site's bucket, where both stations' write-only identities may write.
const BUCKET: &str = "station-writes";

/// One enrolled stick.
struct Stick {
    id: &'static str,
    keys: (&'static str, &'static str),
}

const STICKS: &[Stick] = &[
    Stick {
        id: "station-a",
        keys: ("stationwriter", "stationwriter-secret"),
    },
    Stick {
        id: "station-b",
        keys: ("stationwriter-b", "stationwriter-b-secret"),
    },
];

fn bin(name: &str) -> PathBuf {
    run::root().join("target/debug").join(name)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The files of one test.
struct Setup<'a> {
    dir: &'a Path,
    img: &'a Path,
    site: PathBuf,
    admin: PathBuf,
    key: PathBuf,
}

impl Setup<'_> {
    /// Enrols a copy of the image (in folder `folder`) as `id` with `keys` into `registry`;
    /// returns the copy.
    fn enrolled_stick(
        &self,
        folder: &str,
        id: &str,
        keys: (&str, &str),
        registry: &Path,
    ) -> Result<PathBuf, String> {
        let d = self.dir.join(folder);
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        let stick = d.join("stick.img");
        disk_copy(self.img, &stick, 0)?;
        let creds = d.join("credentials.toml");
        write(&creds, &s3::credentials_toml(keys.0, keys.1))?;
        print!(
            "{}",
            crate::hwtest::enroll_stick(&stick, id, "Enrolment test", &creds, registry)?
        );
        Ok(stick)
    }

    /// Boots `stick` on a machine whose SMBIOS UUID is `uuid` as far as the station goes:
    /// installs its identity as the image does at boot, records a simulated exam and uploads
    /// it. Returns the exam id and where uplinkd put it.
    fn exam_on_stick(
        &self,
        folder: &str,
        stick: &Path,
        uuid: &str,
    ) -> Result<(String, String), String> {
        let d = self.dir.join(folder);
        let sys = d.join("sys");
        let dmi = sys.join("class/dmi/id");
        std::fs::create_dir_all(&dmi).map_err(|e| format!("{}: {e}", dmi.display()))?;
        write(&dmi.join("product_uuid"), &format!("{uuid}\n"))?;
        let identity = d.join("identity");
        std::fs::create_dir_all(d.join("run")).map_err(|e| format!("{}: {e}", d.display()))?;
        print!(
            "{}",
            run::output(
                Command::new(bin("stationctl"))
                    .args(["identity", "install", "--from"])
                    .arg(stick)
                    .arg("--out")
                    .arg(&identity)
                    .arg("--sys")
                    .arg(&sys),
            )?
        );
        let station = |cmd: &mut Command| {
            cmd.env("STATION_IDENTITY_DIR", &identity)
                .env("STATION_PROCTOR_PIN", crate::hwtest::PIN)
                .env("STATION_RUNTIME_DIR", d.join("run"))
                .arg("--site")
                .arg(&self.site)
                .arg("--data-dir")
                .arg(d.join("data"));
        };
        let mut sim = Command::new(bin("stationctl"));
        station(&mut sim);
        let sealed = run::output(
            sim.arg("--board")
                .arg(run::root().join("board-config/boards/sim.toml"))
                .args([
                    "exam",
                    "simulate",
                    "--duration",
                    "3s",
                    "--student",
                    "20261234",
                ]),
        )?;
        let exam = Path::new(sealed.trim())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| format!("stationctl exam simulate printed no bundle: {sealed}"))?;
        let mut up = Command::new(bin("uplinkd"));
        station(&mut up);
        let said = run::output(up.arg("--once"))?;
        let at = said
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{exam}\t")))
            .map(str::to_string)
            .ok_or_else(|| format!("uplinkd did not report exam {exam}: {said}"))?;
        Ok((exam, at))
    }

    /// `examctl fetch` (station prefix `stations/ID`) then `open`, both with `registry`:
    /// what they printed, warnings included.
    fn fetch_and_open(&self, id: &str, exam: &str, registry: &Path) -> Result<String, String> {
        let out = self.dir.join("fetched").join(exam);
        let fetched = said(
            Command::new(bin("examctl"))
                .arg("fetch")
                .arg("--site")
                .arg(&self.site)
                .arg("--credentials")
                .arg(&self.admin)
                .args(["--prefix", &format!("stations/{id}"), "--exam", exam])
                .arg("--registry")
                .arg(registry)
                .arg("--out")
                .arg(&out),
        )?;
        let opened = said(
            Command::new(bin("examctl"))
                .arg("open")
                .arg(&out)
                .arg("--identity")
                .arg(&self.key)
                .arg("--registry")
                .arg(registry)
                .arg("--out")
                .arg(self.dir.join("opened").join(exam)),
        )?;
        Ok(format!("{fetched}{opened}"))
    }
}

/// A machine's SMBIOS system UUID for the test (one per `n`).
fn machine(n: usize) -> String {
    format!("4c4c4544-0042-3510-8051-{n:012x}")
}

/// What a command printed (stdout and stderr), or its failure with what it said.
fn said(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{cmd:?} failed ({}): {text}", out.status))
    }
}

/// What a refused command said (its stderr), or that it was not refused.
fn refused(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        return Err(format!(
            "{cmd:?} was accepted: {}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stderr).trim().to_string())
}

/// The enrolment test on image `img` against `server`.
pub fn run(img: &Path, server: &s3::Server) -> Result<(), String> {
    let dir = run::root().join("target/enroll-test");
    fresh_dir(&dir)?;
    let (key, recipient) = crate::hostopen::institution_key(&dir)?;
    let admin = dir.join("admin-credentials.toml");
    write(&admin, &server.credentials_toml())?;
    let site = dir.join("site.toml");
    write(
        &site,
        &crate::hwtest::site(
            &recipient,
            &format!("https://127.0.0.1:{}", server.https_port),
            BUCKET,
            "/nonexistent/enrolled-stations-use-their-own.toml",
            &server.ca.display().to_string(),
            &crate::hwtest::pin_hash(&bin("stationctl"))?,
        ),
    )?;
    run::output(
        Command::new(bin("examctl"))
            .arg("create-bucket")
            .arg("--site")
            .arg(&site)
            .arg("--credentials")
            .arg(&admin),
    )?;
    let s = Setup {
        dir: &dir,
        img,
        site,
        admin,
        key,
    };
    let registry = dir.join("stations.toml");
    let mut t = Tally::default();
    let mut sticks = Vec::new();
    for (n, stick) in STICKS.iter().enumerate() {
        let result = s
            .enrolled_stick(stick.id, stick.id, stick.keys, &registry)
            .and_then(|path| {
                sticks.push(path.clone());
                s.exam_on_stick(stick.id, &path, &machine(n))
            })
            .and_then(|(exam, at)| {
                let own = at.contains(&format!("stations/{}/", stick.id));
                s.fetch_and_open(stick.id, &exam, &registry)
                    .map(|said| (exam, at, own, said))
            });
        match result {
            Ok((exam, at, own, said)) => {
                print!("{said}");
                t.check(
                    own,
                    format!(
                        "{}: exam {exam} uploaded with its own write-only credentials to {at}, fetched and opened with the registry",
                        stick.id
                    ),
                    || format!("not under stations/{}/", stick.id),
                )
            }
            Err(e) => t.check(
                false,
                format!("{}: exam on an enrolled stick", stick.id),
                || e,
            ),
        }
    }
    // Another stick under an id the registry has: refused at enrolment.
    let again = dir.join("again.img");
    disk_copy(img, &again, 0)?;
    let said = refused(
        Command::new(bin("examctl"))
            .arg("enroll")
            .arg(&again)
            .args(["--id", "station-a", "--location", "x", "--credentials"])
            .arg(dir.join("station-b/credentials.toml"))
            .arg("--registry")
            .arg(&registry),
    );
    let _ = std::fs::remove_file(&again);
    t.check(
        said.as_ref()
            .is_ok_and(|e| e.contains("already in the registry")),
        format!(
            "a second stick as station-a is refused: {}",
            said.clone().unwrap_or_else(|e| e)
        ),
        || "not refused for the id the registry has".into(),
    );
    // A copy of station-a's stick in another machine: accepted (same key), with a warning.
    if let Some(a) = sticks.first() {
        let copy = dir.join("copy.img");
        disk_copy(a, &copy, 0)?;
        let copied = s
            .exam_on_stick("copy-of-station-a", &copy, &machine(9))
            .and_then(|(exam, _)| s.fetch_and_open("station-a", &exam, &registry));
        let _ = std::fs::remove_file(&copy);
        let warned = copied
            .as_ref()
            .is_ok_and(|out| out.contains("a copied stick"));
        t.check(
            warned,
            format!(
                "a copy of station-a's stick used on another machine is flagged: {}",
                copied
                    .as_ref()
                    .map(|o| o
                        .lines()
                        .find(|l| l.contains("warning"))
                        .unwrap_or("no warning"))
                    .unwrap_or("not fetched")
            ),
            || format!("{copied:?}"),
        );
    }
    for stick in sticks {
        let _ = std::fs::remove_file(stick);
    }
    // A forger with station-a's credentials, its stick enrolled outside the registry.
    let forged = s
        .enrolled_stick(
            "forger",
            "station-a",
            STICKS[0].keys,
            &dir.join("forger-registry.toml"),
        )
        .and_then(|stick| s.exam_on_stick("forger", &stick, &machine(7)));
    match forged {
        Ok((exam, _)) => {
            let said = s.fetch_and_open("station-a", &exam, &registry);
            let ok = said.as_ref().is_err_and(|e| e.contains("signed by key"));
            t.check(
                ok,
                format!(
                    "a bundle under station-a's prefix signed by a key not in the registry is refused: {}",
                    said.clone()
                        .err()
                        .unwrap_or_default()
                        .rsplit("examctl: error: ")
                        .next()
                        .unwrap_or("")
                        .trim()
                ),
                || format!("{said:?}"),
            );
        }
        Err(e) => t.check(false, "the forger's upload".into(), || e),
    }
    finish("enroll-test", t, &dir)
}

/// `cargo xtask enroll-test`: builds the image (throw-away institution key) and runs the
/// enrolment test with its own S3 server.
pub fn run_alone(_args: &[String]) -> Result<(), String> {
    let server = s3::start()?;
    let dir = run::root().join("target/enroll-test-image");
    fresh_dir(&dir)?;
    let site = crate::imagetest::keygen_site(&dir)?;
    let built = image::build_for("x86_64-uefi", false, &site)?;
    run(&built.img, &server)
}
