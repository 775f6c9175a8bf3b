#![no_main]
//! See docs/fuzzing.md and `ecspress::fuzzing::normalize_diff` for what this target checks.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = ecspress::fuzzing::normalize_diff(data) {
        panic!("invariant broken: {broken}");
    }
});
