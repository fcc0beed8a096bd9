//! The fuzz targets' panic hook: a panic inside a yrs apply that the server catches (see
//! `fuzz_checks::CAUGHT`) unwinds to that catch, as in the server; any other panic is a crash
//! (libFuzzer's hook, which aborts, runs).

use std::sync::Once;

pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let crash = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !crate::fuzz_checks::CAUGHT.with(|c| c.get()) {
                crash(info);
            }
        }));
    });
}
