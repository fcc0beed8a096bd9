//! Facilitation requests and events from a page (`facilitation`): JSON inside Huddle's custom
//! message, and the timer, rotation and quiet-ranking rules on values from the input.
//! The checks are `shared/tests/fuzz_checks`'s, which CI replays on every input found.

#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;
#[path = "../src/hook.rs"]
mod hook;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hook::install();
    fuzz_checks::facilitation(data);
});
