//! JSON decoding through one reader. serde_json's `from_str` and `from_slice` are generic over
//! their reader, so a type decoded through both has two copies of its decoder in the web
//! client's wasm. The client and this crate decode text through [`from_str`] here, which reads
//! its bytes as `from_slice` does.

/// `serde_json::from_str`, through `serde_json::from_slice`'s reader.
pub fn from_str<'a, T: serde::Deserialize<'a>>(text: &'a str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

/// `serde_json::to_value`, through the text writer: `T` is written as JSON text, then read
/// back as a `Value`. serde_json's `Value` serializer is a second backend, so each type put
/// into a `Value` directly gets a second copy of its serializer in the web client's wasm;
/// through here it shares the one that writes text. `Null` if `T` cannot be written as JSON
/// (a map whose keys are neither strings nor numbers).
pub fn to_value<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Value {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| from_str(&text).ok())
        .unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_through_text_is_the_value_serde_json_makes() {
        let typed = (
            std::collections::BTreeMap::from([("b", vec![1.5, -0.0]), ("a", vec![])]),
            Some("é\"\n"),
            None::<u8>,
            u64::MAX,
            0.1 + 0.2,
        );
        assert_eq!(to_value(&typed), serde_json::to_value(typed).unwrap());
        assert_eq!(to_value(&f64::NAN), serde_json::Value::Null);
    }
}
