//! The y-sync frame decoder (`wire::decode_frame`), with every update it accepts decoded and applied as the server does, and every awareness state judged as the room's gate judges it.
//! The checks are `shared/tests/fuzz_checks`'s, which CI replays on every input found.

#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;
#[path = "../src/hook.rs"]
mod hook;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hook::install();
    fuzz_checks::wire_frame(data);
});
