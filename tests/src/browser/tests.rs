//! Unit tests of the driver's pure helpers: base64, the loopback check, JavaScript
//! truthiness, URL spelling.

use serde_json::json;

use super::base64::base64_decode;
use super::page::truthy;
use super::urls::{check_loopback, normalize};

#[test]
fn base64_round_trips_what_cdp_sends() {
    assert_eq!(base64_decode("").unwrap(), b"");
    assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
    assert_eq!(base64_decode("aGk").unwrap(), b"hi");
    assert_eq!(base64_decode("aHVkZGxl").unwrap(), b"huddle");
    assert_eq!(base64_decode("iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
    assert_eq!(base64_decode("+/8=").unwrap(), [0xfb, 0xff]);
    assert!(base64_decode("a*b").is_err());
}

#[test]
fn only_loopback_urls_load() {
    for ok in [
        "about:blank",
        "http://127.0.0.1:8080/",
        "http://127.0.0.1:8080",
        "http://localhost/b/x?y#z",
        "ws://[::1]:9/ws",
        "http://127.9.9.9/",
    ] {
        assert!(check_loopback(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://example.com/",
        "http://10.0.0.1/",
        "https://127.0.0.1.evil.example/",
        "http://127.0.0.1@example.com/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "127.0.0.1:80",
    ] {
        assert!(check_loopback(bad).is_err(), "{bad}");
    }
}

#[test]
fn truthiness_is_javascripts() {
    for (value, expected) in [
        (json!(null), false),
        (json!(false), false),
        (json!(0), false),
        (json!(""), false),
        (json!(true), true),
        (json!(-1), true),
        (json!("0"), true),
        (json!([]), true),
        (json!({}), true),
    ] {
        assert_eq!(truthy(&value), expected, "{value}");
    }
}

#[test]
fn bare_origins_get_a_slash() {
    assert_eq!(normalize("http://127.0.0.1:1"), "http://127.0.0.1:1/");
    assert_eq!(
        normalize("http://127.0.0.1:1/b/x?key=abc"),
        "http://127.0.0.1:1/b/x"
    );
    assert_eq!(
        normalize("http://127.0.0.1:1/b/x"),
        "http://127.0.0.1:1/b/x"
    );
}
