//! The fuzz targets' inputs, replayed through the same entry points on stable Rust: the
//! hand-written seeds (`fuzz/seeds/<target>/`), the corpus each fuzzing run minimises
//! (`fuzz/corpus/<target>/`) and the inputs that once failed (`fuzz/regressions/<target>/`),
//! the last two never minimised away. Fuzzing itself is nightly work (`bench/fuzz.sh`).

use std::path::PathBuf;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 9] = [
    ("jwt_simple", openpan_core::fuzzing::jwt_simple),
    ("search_dsl", openpan_core::fuzzing::search_dsl),
    ("item_name", openpan_core::fuzzing::item_name),
    ("folder_path", openpan_core::fuzzing::folder_path),
    ("marker", openpan_core::fuzzing::marker),
    ("scopes", openpan_core::fuzzing::scopes),
    ("zip_names", openpan_core::fuzzing::zip_names),
    ("multipart", openpan_server::fuzzing::multipart),
    ("range", openpan_server::fuzzing::range),
];

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

#[test]
fn every_fuzz_target_has_a_corpus_and_every_corpus_a_target() {
    let dir = fuzz_dir();
    let mut corpora: Vec<String> = std::fs::read_dir(dir.join("corpus"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    corpora.sort();
    let mut targets: Vec<String> = TARGETS.iter().map(|(name, _)| name.to_string()).collect();
    targets.sort();
    assert_eq!(corpora, targets);
    let mut binaries: Vec<String> = std::fs::read_dir(dir.join("fuzz_targets"))
        .unwrap()
        .map(|entry| {
            entry
                .unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .collect();
    binaries.sort();
    assert_eq!(binaries, targets, "every fuzz target replays here");
}

/// Runs every input in `fuzz/{set}/<target>/` through its target; how many each had.
fn replay(set: &str) -> Vec<(&'static str, usize)> {
    let dir = fuzz_dir().join(set);
    let mut counts = Vec::new();
    for (name, target) in TARGETS {
        let mut replayed = 0;
        let Ok(entries) = std::fs::read_dir(dir.join(name)) else {
            counts.push((name, 0));
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} fails", path.display());
            replayed += 1;
        }
        counts.push((name, replayed));
    }
    counts
}

#[test]
fn every_input_the_fuzzers_kept_still_passes_its_parser() {
    for (name, replayed) in replay("corpus") {
        assert!(replayed >= 5, "{name} has a corpus of {replayed} inputs");
    }
}

#[test]
fn every_hand_written_seed_passes_its_parser() {
    for (name, replayed) in replay("seeds") {
        assert!(replayed >= 5, "{name} has {replayed} seeds");
    }
}

#[test]
fn every_input_that_once_failed_passes_now() {
    let replayed: usize = replay("regressions").iter().map(|(_, n)| n).sum();
    assert!(replayed >= 2, "the regressions found so far are kept");
}
