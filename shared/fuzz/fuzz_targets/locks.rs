//! The lock index (`locks::LockIndex::check`) on untrusted updates to a board with locked
//! items and a map locked for placement: no panic, and a `Clean` verdict is true.
//! The checks are `shared/tests/fuzz_checks`'s, which CI replays on every input found.

#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;
#[path = "../src/hook.rs"]
mod hook;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hook::install();
    fuzz_checks::locks(data);
});
