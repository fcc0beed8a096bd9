//! The update validator (`wire::validate::validate_update_v1`): what it accepts, yrs decodes without panicking.
//! The checks are `shared/tests/fuzz_checks`'s, which CI replays on every input found.

#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;
#[path = "../src/hook.rs"]
mod hook;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hook::install();
    fuzz_checks::update_validator(data);
});
