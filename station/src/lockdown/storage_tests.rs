//! The storage lock on a sysfs tree of plain files: a boot stick and a second stick on USB, an
//! SD card, an internal SATA disk, a loop device and the device-mapper root.

use std::os::unix::fs::symlink;

use super::*;

/// Makes `dir` (under the tree) with `files` in it.
fn make(root: &Path, dir: &str, files: &[(&str, &str)]) -> PathBuf {
    let d = root.join(dir);
    fs::create_dir_all(&d).unwrap();
    for (f, text) in files {
        fs::write(d.join(f), text).unwrap();
    }
    d
}

/// A driver folder with an `unbind` file, linked from `device/driver`.
fn bind(root: &Path, device: &Path, bus: &str, driver: &str) {
    let drv = make(
        root,
        &format!("bus/{bus}/drivers/{driver}"),
        &[("unbind", "")],
    );
    let _ = symlink(&drv, device.join("driver"));
}

/// A block device `name` whose `device` link is `device`, with `dev` as its major:minor.
fn block(root: &Path, name: &str, device: Option<&Path>, dev: &str, parts: &[(&str, &str)]) {
    let b = make(
        root,
        &format!("devices/virtual-or-not/block/{name}"),
        &[("dev", dev)],
    );
    if let Some(d) = device {
        symlink(d, b.join("device")).unwrap();
    }
    symlink(&b, root.join("block").join(name)).unwrap();
    symlink(&b, root.join("dev/block").join(dev)).unwrap();
    for (p, pdev) in parts {
        let pd = make(&b, p, &[("partition", "1"), ("dev", pdev)]);
        symlink(&pd, root.join("dev/block").join(pdev)).unwrap();
    }
}

/// The tree; returns (sys root, mountinfo of a booted station).
fn station() -> (tempfile::TempDir, String) {
    let t = tempfile::tempdir().unwrap();
    let r = fs::canonicalize(t.path()).unwrap();
    fs::create_dir_all(r.join("block")).unwrap();
    fs::create_dir_all(r.join("dev/block")).unwrap();
    // USB: the boot stick on port 1, another stick on port 2.
    for (port, scsi, disk, dev) in [
        ("1", "0:0:0:0", "sda", "8:0"),
        ("2", "1:0:0:0", "sdb", "8:16"),
    ] {
        let iface = make(
            &r,
            &format!("devices/pci0/usb1/1-{port}/1-{port}:1.0"),
            &[("bInterfaceClass", "08\n"), ("authorized", "1")],
        );
        bind(&r, &iface, "usb", "usb-storage");
        let sd = make(&iface, &format!("host{port}/target/{scsi}"), &[]);
        bind(&r, &sd, "scsi", "sd");
        let parts: &[(&str, &str)] = if disk == "sda" {
            &[("sda1", "8:1"), ("sda2", "8:2"), ("sda4", "8:4")]
        } else {
            &[("sdb1", "8:17")]
        };
        block(&r, disk, Some(&sd), dev, parts);
    }
    // An SD card in a PCI reader, an internal SATA disk.
    let card = make(&r, "devices/pci0/sdhci/mmc_host/mmc0/mmc0:aaaa", &[]);
    bind(&r, &card, "mmc", "mmcblk");
    block(
        &r,
        "mmcblk0",
        Some(&card),
        "179:0",
        &[("mmcblk0p1", "179:1")],
    );
    let sata = make(&r, "devices/pci0/ata1/host0/target/2:0:0:0", &[]);
    bind(&r, &sata, "scsi", "sd");
    block(&r, "sdc", Some(&sata), "8:32", &[]);
    // Virtual devices: a loop device and the verity root over sda2.
    block(&r, "loop0", None, "7:0", &[]);
    block(&r, "dm-0", None, "254:0", &[]);
    let slaves = make(&r, "devices/virtual-or-not/block/dm-0/slaves", &[]);
    symlink(
        r.join("devices/virtual-or-not/block/sda/sda2"),
        slaves.join("sda2"),
    )
    .unwrap();
    let mountinfo = "\
22 1 254:0 / / ro,relatime - erofs /dev/mapper/root ro
25 22 0:21 / /tmp rw - tmpfs tmpfs rw
31 22 8:4 / /var/lib/station rw - ext4 /dev/sda4 rw
40 22 7:0 / /mnt/img ro - squashfs /dev/loop0 ro
"
    .to_string();
    (t, mountinfo)
}

fn sys(t: &tempfile::TempDir) -> PathBuf {
    fs::canonicalize(t.path()).unwrap()
}

#[test]
fn the_boot_medium_is_found_through_the_verity_root_and_partitions() {
    let (t, mountinfo) = station();
    let keep = mounted_disks(&sys(&t), &mountinfo);
    // The loop device is mounted too; it has no hardware to cut anyway.
    assert_eq!(keep.into_iter().collect::<Vec<_>>(), ["loop0", "sda"]);
}

#[test]
fn every_other_disk_is_cut_off() {
    let (t, mountinfo) = station();
    let r = sys(&t);
    let cuts: Vec<Cut> = lock(&r, &mountinfo)
        .unwrap()
        .into_iter()
        .map(|c| c.unwrap())
        .collect();
    let how: Vec<(&str, &str)> = cuts
        .iter()
        .map(|c| (c.disk.as_str(), c.how.as_str()))
        .collect();
    assert_eq!(
        how,
        [
            ("mmcblk0", "unbound mmc0:aaaa from mmcblk"),
            ("sdb", "deauthorized USB interface 1-2:1.0"),
            ("sdc", "unbound 2:0:0:0 from sd"),
        ]
    );
    let read = |p: &str| fs::read_to_string(r.join(p)).unwrap();
    assert_eq!(read("devices/pci0/usb1/1-2/1-2:1.0/authorized"), "0");
    assert_eq!(
        read("devices/pci0/usb1/1-1/1-1:1.0/authorized"),
        "1",
        "the boot stick"
    );
    assert_eq!(read("bus/mmc/drivers/mmcblk/unbind"), "mmc0:aaaa");
    assert_eq!(read("bus/scsi/drivers/sd/unbind"), "2:0:0:0");
}

#[test]
fn nothing_is_cut_when_the_boot_medium_is_unknown() {
    let (t, _) = station();
    let err = lock(&sys(&t), "25 22 0:21 / /tmp rw - tmpfs tmpfs rw\n").unwrap_err();
    assert!(err.contains("nothing was cut"), "{err}");
    let r = sys(&t);
    assert_eq!(
        fs::read_to_string(r.join("bus/scsi/drivers/sd/unbind")).unwrap(),
        ""
    );
}

#[test]
fn a_disk_that_cannot_be_cut_is_named_and_the_others_still_are() {
    let (t, mountinfo) = station();
    let r = sys(&t);
    fs::remove_file(r.join("devices/pci0/sdhci/mmc_host/mmc0/mmc0:aaaa/driver")).unwrap();
    let out = lock(&r, &mountinfo).unwrap();
    let errors: Vec<String> = out
        .iter()
        .filter_map(|c| c.as_ref().err())
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("mmcblk0: "), "{errors:?}");
    assert_eq!(out.iter().filter(|c| c.is_ok()).count(), 2);
}
