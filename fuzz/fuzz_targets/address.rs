#![no_main]
//! See docs/fuzzing.md and `ecspress::fuzzing::address` for what this target checks.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(broken) = ecspress::fuzzing::address(text) {
        panic!("invariant broken: {broken}");
    }
});
