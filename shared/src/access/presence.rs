//! Who an awareness state claims to be: its `user.id` and `user.name`.
//!
//! Cursors move up to 20 times a second per person, and every state passes here, so the state
//! is not built into a `serde_json::Value`: only `user` is looked at (everything else is
//! skipped by the parser), and the person id the server adds to a `user` without one is
//! spliced into the text rather than re-serializing the state.
//!
//! What JavaScript clients would read differently is refused rather than guessed at: a state
//! with a duplicate `user` key, or a `user` with a duplicate `id` or `name` (`JSON.parse`
//! keeps the last, a checker reading the first would be fooled).

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

/// Who an awareness state says it is: its `user.id` and `user.name`, where they are strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserClaim {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// The top level of a state: only `user` is read (as raw text, to find it again).
#[derive(Deserialize)]
struct State<'a> {
    #[serde(borrow, default)]
    user: Option<&'a RawValue>,
}

/// The fields of `user` that name a person, as raw text (a `user.name` of another type is
/// no claim to a name; two `name` keys are an error).
#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    name: Option<&'a RawValue>,
}

/// A field that is there, `null` included (`Option`'s own rule reads `null` as absent, and a
/// `"id": null` the server took for absent would get a second `id` stamped beside it).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// A state the checks cannot read the way JavaScript clients would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the presence state is not readable JSON (or repeats a key)")]
pub struct Unreadable;

/// The `user` an awareness state (JSON text) announces: `Ok(None)` for a state without one (a
/// departure is `null`; stock clients may send any JSON), `Err` for a state that is not JSON,
/// repeats `user`, `user.id` or `user.name`, or has a `user.id` that is not a string.
pub fn user_claim(state: &str) -> Result<Option<UserClaim>, Unreadable> {
    let Some(user) = user_of(state)? else {
        return Ok(None);
    };
    let Ok(fields) = crate::json::from_str::<User>(user.get()) else {
        // Not an object (a string, a number): no id or name claimed, unless it is an object
        // that repeats a key, which must be refused.
        return match user.get().trim_start().starts_with('{') {
            true => Err(Unreadable),
            false => Ok(Some(UserClaim::default())),
        };
    };
    // An `id` that is not a string cannot be stamped over (the state would hold two `id`s,
    // and `JSON.parse` keeps the client's): it is refused.
    if fields.id.is_some_and(|id| !id.get().starts_with('"')) {
        return Err(Unreadable);
    }
    Ok(Some(UserClaim {
        id: text(fields.id)?,
        name: text(fields.name)?,
    }))
}

/// A field's string value; `None` for a field that is absent or not a string. A string this
/// parser cannot read but JavaScript can (a lone surrogate like `\uDAAA`: `JSON.parse` keeps
/// it, serde_json refuses it) is unreadable, not absent: taken for absent, it would pass the
/// checks and still show others a name that looks like someone else's.
fn text(raw: Option<&RawValue>) -> Result<Option<String>, Unreadable> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if !raw.get().starts_with('"') {
        return Ok(None);
    }
    crate::json::from_str::<Cow<str>>(raw.get())
        .map(|s| Some(s.into_owned()))
        .map_err(|_| Unreadable)
}

/// The state's `user` value, raw; `Err` if the state is not JSON, or is an object that
/// repeats `user`.
fn user_of(state: &str) -> Result<Option<&RawValue>, Unreadable> {
    match crate::json::from_str::<State>(state) {
        Ok(parsed) => Ok(parsed.user),
        // Valid JSON but not an object (`null` for a departure, a number...): no user.
        Err(_) if !state.trim_start().starts_with('{') => {
            crate::json::from_str::<IgnoredAny>(state)
                .map(|_| None)
                .map_err(|_| Unreadable)
        }
        Err(_) => Err(Unreadable),
    }
}

/// `state` with `"id": person` added to its `user` object, which has no `id` (the caller
/// checked with [`user_claim`]); `None` if `user` is not an object.
pub fn with_user_id(state: &str, person: &str) -> Option<String> {
    let user = user_of(state).ok()??;
    let text = user.get();
    if !text.starts_with('{') {
        return None;
    }
    // `user` borrows from `state`: its place in it is where its text starts.
    let start = (text.as_ptr() as usize).checked_sub(state.as_ptr() as usize)?;
    let open = start + 1;
    let empty = text[1..].trim_start().starts_with('}');
    let id = serde_json::to_string(person).ok()?;
    let separator = if empty { "" } else { "," };
    let mut out = String::with_capacity(state.len() + id.len() + 8);
    out.push_str(state.get(..open)?);
    out.push_str("\"id\":");
    out.push_str(&id);
    out.push_str(separator);
    out.push_str(state.get(open..)?);
    Some(out)
}

/// Names compare as people read them: case and surrounding spaces do not make a new name.
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(id: Option<&str>, name: Option<&str>) -> Result<Option<UserClaim>, Unreadable> {
        Ok(Some(UserClaim {
            id: id.map(str::to_owned),
            name: name.map(str::to_owned),
        }))
    }

    #[test]
    fn user_claims_are_read_from_any_state() {
        assert_eq!(
            user_claim(r##"{"user":{"id":"p1","name":"Ana","color":"#fff"},"cursor":null}"##),
            claim(Some("p1"), Some("Ana"))
        );
        assert_eq!(
            user_claim(r#"{"user":{"name":"A\u006ea"}}"#),
            claim(None, Some("Ana"))
        );
        assert_eq!(user_claim("null"), Ok(None));
        assert_eq!(user_claim("5"), Ok(None));
        assert_eq!(user_claim(r#"{"cursor":{"x":1}}"#), Ok(None));
        assert_eq!(user_claim(r#"{"user":{"name":5}}"#), claim(None, None));
        assert_eq!(user_claim(r#"{"user":"Ana"}"#), claim(None, None));
        assert!(same_name(" Ana ", "ana") && !same_name("Ana", "Anna"));
    }

    #[test]
    fn what_javascript_would_read_differently_is_unreadable() {
        assert_eq!(user_claim("not json"), Err(Unreadable));
        assert_eq!(user_claim(r#"{"user":{"id":0,"":1}}"#), Err(Unreadable));
        assert_eq!(user_claim(r#"{"user":{"id":null}}"#), Err(Unreadable));
        assert_eq!(
            user_claim(r#"{"user":{"id":"me"},"user":{"id":"you"}}"#),
            Err(Unreadable)
        );
        assert_eq!(
            user_claim(r#"{"user":{"id":"me","id":"you"}}"#),
            Err(Unreadable)
        );
        assert_eq!(
            user_claim(r#"{"user":{"name":"A","name":"B"}}"#),
            Err(Unreadable)
        );
        assert_eq!(user_claim(r#"{"user":{"name":"A"}"#), Err(Unreadable));
        // Found by `cargo xtask fuzz` (awareness): JavaScript reads a lone surrogate, serde_json
        // does not; such a name or id must not pass for no name or id.
        assert_eq!(
            user_claim(r#"{"user":{"name":"Ana\uDAAA"}}"#),
            Err(Unreadable)
        );
        assert_eq!(
            user_claim(r#"{"user":{"id":"\uDAAAx","me":"Bob"}}"#),
            Err(Unreadable)
        );
    }

    #[test]
    fn a_user_without_an_id_gets_the_persons() {
        for state in [
            r#"{"user":{"name":"Ana"},"cursor":null}"#,
            r#"{"cursor":{"x":1},"user": { "name" : "Ana" }}"#,
            r#"{"user":{}}"#,
            r#"{"user":{ }}"#,
        ] {
            let stamped = with_user_id(state, "p\"1").expect(state);
            let value: serde_json::Value = crate::json::from_str(&stamped).expect(&stamped);
            assert_eq!(value["user"]["id"], "p\"1", "{stamped}");
            let mut expected: serde_json::Value = crate::json::from_str(state).unwrap();
            expected["user"]["id"] = "p\"1".into();
            assert_eq!(value, expected);
        }
        assert_eq!(with_user_id(r#"{"cursor":null}"#, "p1"), None);
        assert_eq!(with_user_id(r#"{"user":"Ana"}"#, "p1"), None);
        assert_eq!(with_user_id("null", "p1"), None);
    }
}
