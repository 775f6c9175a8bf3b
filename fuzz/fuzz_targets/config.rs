#![no_main]
//! See docs/fuzzing.md and `ecspress::fuzzing::config` for what this target checks.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = ecspress::fuzzing::config(data) {
        panic!("invariant broken: {broken}");
    }
});
