//! The signature a generic receiver checks: `X-Huddle-Signature: t=TIMESTAMP,v1=HEX`, where
//! HEX is the HMAC-SHA256, keyed with the webhook's secret, of `TIMESTAMP.BODY` (the Unix time
//! in seconds, a dot, the raw body bytes). Signing the time with the body lets a receiver
//! refuse old deliveries replayed by someone who recorded one (Stripe's scheme, which
//! receivers' libraries already know).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header's name.
pub const HEADER: &str = "X-Huddle-Signature";

/// The header's value for `body` sent at `unix_secs`.
pub fn sign(secret: &str, unix_secs: u64, body: &[u8]) -> String {
    format!("t={unix_secs},v1={}", hex(&mac(secret, unix_secs, body)))
}

/// Whether `header` is a valid signature of `body` with `secret`; returns its timestamp. The
/// comparison is in constant time. (Receivers in Rust can use this; the README shows it in
/// a few lines of Python and Node too.)
pub fn verify(secret: &str, header: &str, body: &[u8]) -> Option<u64> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<u64>().ok(),
            Some(("v1", value)) => v1 = unhex(value),
            _ => {}
        }
    }
    let (t, v1) = (t?, v1?);
    let mut mac = keyed(secret);
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&v1).ok().map(|()| t)
}

fn keyed(secret: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length: this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key")
}

fn mac(secret: &str, unix_secs: u64, body: &[u8]) -> [u8; 32] {
    let mut mac = keyed(secret);
    mac.update(unix_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
