//! Replays every committed fuzz corpus entry (`fuzz/corpus/<target>/`) and every input
//! that once crashed a fuzzer (`fuzz/regressions/<target>/`) through the same checks the
//! fuzzers run (`tests/fuzz_checks/mod.rs`), so that they stay regression tests in the
//! ordinary suite. `scripts/fuzz.sh` runs the fuzzers themselves.

mod fuzz_checks;

use std::path::PathBuf;

/// The entries of `fuzz/<dir>/<target>/` (none when it does not exist), sorted.
fn entries(dir: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(dir)
        .join(target);
    let Ok(listing) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut entries: Vec<_> = listing
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    entries.sort();
    entries
}

/// Runs `check` on every corpus and regression entry of `target`, naming the entry that
/// fails.
fn replay(target: &str, check: fn(&[u8])) {
    let corpus = entries("corpus", target);
    assert!(
        corpus.len() >= 10,
        "fuzz/corpus/{target}: only {} entries",
        corpus.len()
    );
    for (path, bytes) in corpus.into_iter().chain(entries("regressions", target)) {
        let outcome = std::panic::catch_unwind(|| check(&bytes));
        assert!(
            outcome.is_ok(),
            "{} fails its fuzz check (input {:?})",
            path.display(),
            bytes.escape_ascii().to_string()
        );
    }
}

#[test]
fn every_resp_decoder_corpus_entry_decodes_within_limits_and_round_trips() {
    replay("resp_decoder", fuzz_checks::resp_decoder);
}

#[test]
fn every_config_url_corpus_entry_parses_without_showing_its_password() {
    replay("config_url", fuzz_checks::config_url);
}

#[test]
fn every_cmd_round_trip_corpus_entry_encodes_and_decodes_back_to_its_arguments() {
    replay("cmd_round_trip", fuzz_checks::cmd_round_trip);
}
