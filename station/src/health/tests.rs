use super::*;

fn station(dir: &Path) -> Arc<Station> {
    let site = dir.join("site.toml");
    std::fs::write(
        &site,
        format!(
            "[station]\nid = \"hall-c-01\"\nlocation = \"Hall C\"\n[institution]\nname = \"U\"\nrecipient = \"{}\"\n\
             [exam]\nallowlist = [\"exam.example.ca\"]\n[uplink]\nbackend = \"folder\"\nresidency = \"CA\"\nfolder = \"{}\"\n",
            bundle::keys::Identity::generate().recipient(),
            dir.join("central").display()
        ),
    )
    .unwrap();
    let board = Path::new(env!("CARGO_MANIFEST_DIR")).join("../board-config/boards/sim.toml");
    Arc::new(Station::load(&board, &site, &dir.join("data")).unwrap())
}

#[test]
fn the_report_is_signed_and_carries_what_the_uplink_recorded() {
    let t = tempfile::tempdir().unwrap();
    let st = station(t.path());
    ledger::add_unclean(&st.data_dir, 2);
    let r = write(&st, "boot").unwrap();
    r.verify_signature().unwrap();
    assert_eq!(
        (r.station.as_str(), r.reason.as_str()),
        ("hall-c-01", "boot")
    );
    assert_eq!((r.unclean_shutdowns, r.pending.count), (2, 0));
    assert!(r.selftest.is_empty() && r.disk.total_bytes > 0);
    let prom = std::fs::read_to_string(health::dir(&st.data_dir).join(health::PROM_FILE)).unwrap();
    assert!(prom.contains("exam_station_unclean_shutdowns_total{station=\"hall-c-01\"} 2"));

    // uplinkd records an attempt and an error; the refresher signs a new report with them.
    let mut refresher = Refresher::new(st.clone());
    assert!(refresher.poll().is_none(), "nothing new, and too soon");
    let mut facts = UplinkFacts::default();
    facts.uploads.attempts = 1;
    facts.uploads.errors.insert("network".into(), 1);
    std::fs::create_dir_all(st.data_dir.join("uplink")).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(
        health::uplink_facts_path(&st.data_dir),
        serde_json::to_vec(&facts).unwrap(),
    )
    .unwrap();
    std::thread::sleep(Refresher::EVERY);
    let again = refresher.poll().expect("a new report");
    assert_eq!(again.reason, "upload");
    assert_eq!(again.uploads.errors["network"], 1);
    let on_disk = std::fs::read(health::report_path(&st.data_dir)).unwrap();
    assert_eq!(Report::parse(&on_disk, "report.json").unwrap(), again);
    std::thread::sleep(Refresher::EVERY);
    assert!(refresher.poll().is_none(), "unchanged facts: no new report");
}
