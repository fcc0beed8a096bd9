//! The awareness decoder, and who each state claims to be (`access::user_claim`, `with_user_id`).
//! The checks are `shared/tests/fuzz_checks`'s, which CI replays on every input found.

#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;
#[path = "../src/hook.rs"]
mod hook;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hook::install();
    fuzz_checks::awareness(data);
});
