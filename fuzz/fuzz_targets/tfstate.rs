#![no_main]
//! See docs/fuzzing.md and `ecspress::fuzzing::tfstate` for what this target checks.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = ecspress::fuzzing::tfstate(data) {
        panic!("invariant broken: {broken}");
    }
});
