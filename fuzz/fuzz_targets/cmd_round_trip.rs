//! Fuzz target: see `cmd_round_trip` in crates/hardy-redis/tests/fuzz_checks/mod.rs for the input
//! layout and the invariants checked.
#![no_main]

#[path = "../../crates/hardy-redis/tests/fuzz_checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::cmd_round_trip(data));
