//! Installing the enrolled identity at boot, with and without a TPM (simulated sealer): sealed
//! and wiped from the stick on the first boot, unsealed on the next, refused on another
//! machine; kept in clear without a TPM.

use std::path::{Path, PathBuf};

use board_config::{Identity, IdentityUplink, Signing, StationId};
use bundle::stick::{locate, read_identity, write_identity, write_test_disk, IDENTITY_LABEL};
use station::enrolment::{install, Install, Sealing};
use station::tpm::Simulated;

fn identity() -> Identity {
    Identity {
        station: StationId {
            id: "hall-b-07".into(),
            location: "Hall B, seat 7".into(),
        },
        signing: Signing {
            seed: "cd".repeat(32),
        },
        uplink: IdentityUplink {
            prefix: "stations/hall-b-07".into(),
            access_key: "AKIAB07".into(),
            secret_key: "secret".into(),
        },
    }
}

/// An enrolled stick (a disk file with the identity partition) in `dir`.
fn stick(dir: &Path) -> PathBuf {
    let disk = dir.join("stick.img");
    write_test_disk(
        &disk,
        8192,
        &[("ESP", 2048, 4095), (IDENTITY_LABEL, 4096, 6143)],
    )
    .unwrap();
    write_identity(&disk, locate(&disk).unwrap(), &identity().to_toml()).unwrap();
    disk
}

fn boot(
    disk: &Path,
    data: &Path,
    out: &Path,
    tpm: &Simulated,
) -> anyhow::Result<Option<(Identity, Sealing)>> {
    let sys = tempfile::tempdir().unwrap();
    install(&Install {
        from: disk,
        out,
        sys: sys.path(),
        sealed: &station::tpm::sealed_copy(data),
        tpm,
    })
}

fn on_stick(disk: &Path) -> Option<String> {
    read_identity(disk, locate(disk).unwrap()).unwrap()
}

#[test]
fn with_a_tpm_the_first_boot_seals_and_wipes_the_stick_and_the_next_unseals() {
    let dir = tempfile::tempdir().unwrap();
    let disk = stick(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let tpm = Simulated {
        machine: "pc-1".into(),
        present: true,
    };
    let out = dir.path().join("run1");
    let (id, how) = boot(&disk, &data, &out, &tpm).unwrap().unwrap();
    assert!(id == identity());
    assert_eq!(how, Sealing::SealedNow);
    assert_eq!(on_stick(&disk), None, "the stick's copy is wiped");
    assert_eq!(std::fs::read_to_string(out.join("sealing")).unwrap(), "tpm");
    assert!(std::fs::read_to_string(out.join("uplink.toml"))
        .unwrap()
        .contains("AKIAB07"));

    let out = dir.path().join("run2");
    let (again, how) = boot(&disk, &data, &out, &tpm).unwrap().unwrap();
    assert!(again == identity());
    assert_eq!(how, Sealing::Unsealed);

    // The stick and its data partition copied to another PC: its TPM cannot open it.
    let other = Simulated {
        machine: "pc-2".into(),
        present: true,
    };
    let run3 = dir.path().join("run3");
    let err = boot(&disk, &data, &run3, &other).unwrap_err();
    let e = format!("{err:#}");
    assert!(
        e.contains("sealed to another machine's TPM") && e.contains("enrol the stick again"),
        "{e}"
    );
    // What the readiness card blocks exams with.
    station::enrolment::record_error(&run3, &err);
    let shown = station::enrolment::install_error(&run3).unwrap();
    assert!(shown.contains("enrol the stick again"), "{shown}");
    assert!(!run3.join("identity.toml").exists(), "nothing installed");
}

#[test]
fn without_a_tpm_the_identity_stays_on_the_stick_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let disk = stick(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let none = Simulated {
        machine: "pc-1".into(),
        present: false,
    };
    let out = dir.path().join("run");
    let (_, how) = boot(&disk, &data, &out, &none).unwrap().unwrap();
    assert_eq!(how, Sealing::Clear);
    assert!(on_stick(&disk).is_some(), "still on the stick");
    assert!(!station::tpm::sealed_copy(&data).exists());
    assert_eq!(
        std::fs::read_to_string(out.join("sealing")).unwrap(),
        "clear"
    );
}

#[test]
fn a_blank_stick_with_nothing_sealed_is_not_enrolled() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("blank.img");
    write_test_disk(&disk, 8192, &[(IDENTITY_LABEL, 4096, 6143)]).unwrap();
    let tpm = Simulated {
        machine: "pc-1".into(),
        present: true,
    };
    let out = dir.path().join("run");
    assert!(boot(&disk, dir.path(), &out, &tpm).unwrap().is_none());
    assert!(!out.join("identity.toml").exists());
}
