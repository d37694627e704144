//! The fuzz targets' corpus (`fuzz/corpus/<target>/`), replayed through the same entry points
//! on stable Rust: every input the fuzzer kept, and every crash it found once and was fixed,
//! keeps passing. Fuzzing itself is nightly work (`bench/fuzz.sh`).

use std::path::PathBuf;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 6] = [
    ("jwt_simple", openpan_core::fuzzing::jwt_simple),
    ("search_dsl", openpan_core::fuzzing::search_dsl),
    ("item_name", openpan_core::fuzzing::item_name),
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

#[test]
fn every_input_the_fuzzers_kept_still_passes_its_parser() {
    let dir = fuzz_dir().join("corpus");
    for (name, target) in TARGETS {
        let mut replayed = 0;
        for entry in std::fs::read_dir(dir.join(name)).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} fails", path.display());
            replayed += 1;
        }
        assert!(replayed >= 5, "{name} has a corpus of {replayed} inputs");
    }
}
