//! JSON decoding through one reader. serde_json's `from_str` and `from_slice` are generic over
//! their reader, so a type decoded through both has two copies of its decoder in the web
//! client's wasm. The client and this crate decode text through [`from_str`] here, which reads
//! its bytes as `from_slice` does.

/// `serde_json::from_str`, through `serde_json::from_slice`'s reader.
pub fn from_str<'a, T: serde::Deserialize<'a>>(text: &'a str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}
