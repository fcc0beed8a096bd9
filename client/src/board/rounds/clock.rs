//! Times in the person's own time zone. Rounds and decisions carry UTC milliseconds; a
//! deadline typed into a `datetime-local` field is the person's local time.

use wasm_bindgen::JsValue;

/// `ms` (UTC, since the epoch) as the browser writes a local date and time.
pub fn local(ms: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}

/// A `datetime-local` value (`2026-12-04T17:30`, local time) as UTC milliseconds; `None`
/// when empty or unreadable.
pub fn parse_local(value: &str) -> Option<u64> {
    if value.trim().is_empty() {
        return None;
    }
    // Without a zone, `Date` reads a date-time form as local time.
    let ms = js_sys::Date::new(&JsValue::from_str(value)).get_time();
    (ms.is_finite() && ms > 0.0).then_some(ms as u64)
}

/// Now, in UTC milliseconds.
pub fn now() -> u64 {
    js_sys::Date::now() as u64
}
