//! Replays every fuzz seed and every saved crash input (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`) through the same checks the fuzz targets run.

#![allow(clippy::unwrap_used)]

#[path = "../../fuzz/fuzz_targets/checks.rs"]
mod checks;

use std::path::Path;

#[test]
fn every_seed_and_saved_crash_input_passes() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut replayed = 0;
    for (target, check) in checks::TARGETS {
        for dir in ["seeds", "regressions"] {
            let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                check(&std::fs::read(&path).unwrap());
                replayed += 1;
            }
        }
    }
    assert!(replayed >= 30, "only {replayed} inputs found under fuzz/");
}
