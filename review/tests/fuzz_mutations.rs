//! The fuzz entry point over deterministic mutations of valid inputs (the same function the
//! cargo-fuzz target `review_files` calls), seeded with its corpus.

#[test]
fn review_readers_survive_mutations() {
    let corpus =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/review_files");
    let mut seeds = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let seed = std::fs::read(entry.unwrap().path()).unwrap();
        review::fuzz_files(&seed);
        for m in bundle::mutate::mutations(&seed, 1500) {
            review::fuzz_files(&m);
        }
        seeds += 1;
    }
    assert!(seeds >= 4, "{seeds} seeds in {}", corpus.display());
}
