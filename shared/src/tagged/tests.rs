//! The hand-written decoders against serde's derived ones (kept as `Reference` by the macros,
//! in test builds only), on every variant and on JSON written in other orders.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::{comments, facilitation, rounds};

/// A type's derived decoder from before (see the macros in [`super`]).
pub(crate) trait Derived: Sized {
    fn derived<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// Decodes `T` with its derived decoder from before.
pub(crate) struct Ref<T>(pub(crate) T);

impl<'de, T: Derived> Deserialize<'de> for Ref<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::derived(d).map(Ref)
    }
}

const ROUND: &str = r#"{"id":"r1","settings":{"kind":"poker","title":"Sizes","budget":3,
    "scale":{"custom":["S","M"]}},"targets":["a","b"],"scope":{"type":"frame","id":"f1"},
    "opened_by":"Ann","opened_at":1,"status":"open"}"#;
const THREAD: &str = r#"{"id":"t1","anchor":{"on":"point","pos":[1.5,-2]},"comments":[
    {"id":"c1","author":"p1","name":"Ann","text":"hi @Bo","mentions":["p2"],"created_at":5}],
    "resolved":{"by":"p1","name":"Ann","at":9}}"#;

/// Every variant of every enum the macros make, as our encoder writes it (or close: the
/// round trip below writes it again).
fn samples() -> Vec<(&'static str, String)> {
    let step = r#"{"kind":"dot_vote","title":"Vote","minutes":5,"targets":["a"],
        "settings":{"kind":"dots"}}"#;
    let note = r#"{"id":"n1","pos":[1,2],"size":[3,4],"color":"yellow","text":"x"}"#;
    let who = r#"{"person":"p1","name":"Ann","notes":1,"words":2,"edits":3,"ballots":4,
        "dissent":5,"comments":6,"present":true}"#;
    let fac_commands = [
        r#"{"op":"hello"}"#.to_owned(),
        r#"{"op":"hand","to":"p2"}"#.to_owned(),
        r#"{"op":"rotate"}"#.to_owned(),
        r#"{"op":"claim"}"#.to_owned(),
        format!(r#"{{"op":"agenda_set","steps":[{step}]}}"#),
        r#"{"op":"agenda_start","step":1}"#.to_owned(),
        r#"{"op":"agenda_next"}"#.to_owned(),
        r#"{"op":"agenda_stop"}"#.to_owned(),
        r#"{"op":"timer_start","secs":60,"label":"Write","sound":true}"#.to_owned(),
        r#"{"op":"timer_start","secs":60}"#.to_owned(),
        r#"{"op":"timer_pause"}"#.to_owned(),
        r#"{"op":"timer_resume"}"#.to_owned(),
        r#"{"op":"timer_extend","secs":300}"#.to_owned(),
        r#"{"op":"timer_end"}"#.to_owned(),
        r#"{"op":"private_start"}"#.to_owned(),
        r#"{"op":"private_end"}"#.to_owned(),
        format!(r#"{{"op":"private_put","note":{note}}}"#),
        r#"{"op":"private_delete","id":"n1"}"#.to_owned(),
        r#"{"op":"lock","items":["a","b"],"placement":true}"#.to_owned(),
        r#"{"op":"unlock","items":["a"]}"#.to_owned(),
        r#"{"op":"share_balance","everyone":false}"#.to_owned(),
    ];
    let fac_events = [
        r#"{"ev":"ack","req":1}"#.to_owned(),
        r#"{"ev":"refused","req":2,"reason":"no"}"#.to_owned(),
        r#"{"ev":"clock","now":1700000000000}"#.to_owned(),
        format!(r#"{{"ev":"private","notes":[{note}]}}"#),
        format!(r#"{{"ev":"balance","since":3,"people":[{who}]}}"#),
    ];
    let round_commands = [
        r#"{"op":"hello"}"#.to_owned(),
        r#"{"op":"open","settings":{"kind":"impact_effort"},"targets":["a"],
            "scope":{"type":"board"},"area":[0,0,10.5,20]}"#
            .to_owned(),
        r#"{"op":"open","settings":{"kind":"dots","cap":2},"targets":[]}"#.to_owned(),
        r#"{"op":"cast","round":"r1","ballot":{"a":{"dots":2},"b":{"score":{"impact":1,
            "effort":5}},"c":{"card":"8"},"d":{"fist":3}}}"#
            .to_owned(),
        r#"{"op":"reveal","round":"r1"}"#.to_owned(),
        r#"{"op":"cancel","round":"r1"}"#.to_owned(),
        r#"{"op":"rerun","round":"r1"}"#.to_owned(),
        r#"{"op":"dissent","round":"r1","text":"too big"}"#.to_owned(),
        r#"{"op":"accept","round":"r1","item":"a","card":"5"}"#.to_owned(),
        r#"{"op":"decide","text":"ship","round":"r1","corrects":"000002"}"#.to_owned(),
        r#"{"op":"decide","text":"ship"}"#.to_owned(),
    ];
    let round_events = [
        r#"{"ev":"ack","req":1,"id":"r2"}"#.to_owned(),
        r#"{"ev":"ack","req":1}"#.to_owned(),
        r#"{"ev":"refused","req":2,"reason":"no"}"#.to_owned(),
        format!(
            r#"{{"ev":"round","round":{ROUND},"voted":1,"of":3,"mine":{{"a":{{"card":"3"}}}},
            "left":2,"can_vote":true,"can_dissent":false}}"#
        ),
        format!(r#"{{"ev":"round","round":{ROUND},"voted":0,"of":0,"mine":{{}}}}"#),
        r#"{"ev":"progress","round":"r1","voted":7,"of":9}"#.to_owned(),
        r#"{"ev":"closed","round":"r1","status":"revealed"}"#.to_owned(),
    ];
    let comment_commands = [
        r#"{"op":"hello"}"#.to_owned(),
        r#"{"op":"start","thread":"t1","anchor":{"on":"item","item":"n1"},"comment":"c1",
            "text":"hi"}"#
            .to_owned(),
        r#"{"op":"start","thread":"t1","anchor":{"on":"point","pos":[1,2]},"comment":"c1",
            "text":"hi"}"#
            .to_owned(),
        r#"{"op":"reply","thread":"t1","comment":"c2","text":"yes"}"#.to_owned(),
        r#"{"op":"edit","thread":"t1","comment":"c2","text":"no"}"#.to_owned(),
        r#"{"op":"delete","thread":"t1","comment":"c2"}"#.to_owned(),
        r#"{"op":"resolve","thread":"t1"}"#.to_owned(),
        r#"{"op":"reopen","thread":"t1"}"#.to_owned(),
    ];
    let comment_events = [
        r#"{"ev":"ack","req":1}"#.to_owned(),
        r#"{"ev":"refused","req":2,"reason":"no"}"#.to_owned(),
        format!(r#"{{"ev":"threads","threads":[{THREAD}]}}"#),
        format!(r#"{{"ev":"thread","thread":{THREAD}}}"#),
        r#"{"ev":"people","people":[{"id":"p1","name":"Ann"}]}"#.to_owned(),
    ];
    let anchors = [
        r#"{"on":"item","item":"n1"}"#.to_owned(),
        r#"{"on":"point","pos":[1e7,-0.25]}"#.to_owned(),
    ];
    let mut out = Vec::new();
    let mut add = |kind: &'static str, all: &[String]| {
        out.extend(all.iter().map(|j| (kind, j.clone())));
    };
    add("facilitation::Command", &fac_commands);
    add("facilitation::Event", &fac_events);
    add("rounds::Command", &round_commands);
    add("rounds::Event", &round_events);
    add("comments::Command", &comment_commands);
    add("comments::Event", &comment_events);
    add("comments::Anchor", &anchors);
    // Requests: a number, then a command of each module.
    let requests: Vec<_> = out
        .iter()
        .filter_map(|(kind, json)| {
            let kind = match *kind {
                "facilitation::Command" => "facilitation::Request",
                "rounds::Command" => "rounds::Request",
                "comments::Command" => "comments::Request",
                _ => return None,
            };
            Some((kind, format!(r#"{{"req":42,{}"#, &json[1..])))
        })
        .collect();
    out.extend(requests);
    out
}

/// What decoding gave, as comparable text: the value written again, or "error".
type Outcome = Result<String, String>;

fn both<T>(json: &str) -> (Outcome, Outcome)
where
    T: DeserializeOwned + Derived + Serialize,
{
    let new = crate::json::from_str::<T>(json)
        .map(|v| serde_json::to_string(&v).expect("encodes"))
        .map_err(|e| e.to_string());
    let old = crate::json::from_str::<Ref<T>>(json)
        .map(|v| serde_json::to_string(&v.0).expect("encodes"))
        .map_err(|e| e.to_string());
    (new, old)
}

/// Decodes `json` as `kind` with the new and the old decoder.
fn decode(kind: &str, json: &str) -> (Outcome, Outcome) {
    match kind {
        "facilitation::Command" => both::<facilitation::Command>(json),
        "facilitation::Event" => both::<facilitation::Event>(json),
        "facilitation::Request" => both::<facilitation::Request>(json),
        "rounds::Command" => both::<rounds::Command>(json),
        "rounds::Event" => both::<rounds::Event>(json),
        "rounds::Request" => both::<rounds::Request>(json),
        "comments::Command" => both::<comments::Command>(json),
        "comments::Event" => both::<comments::Event>(json),
        "comments::Request" => both::<comments::Request>(json),
        "comments::Anchor" => both::<comments::Anchor>(json),
        _ => panic!("no such kind {kind}"),
    }
}

/// An object's entries in its text's order (a `serde_json::Map` would sort them).
fn entries(json: &str) -> Vec<(String, Value)> {
    struct Entries(Vec<(String, Value)>);
    impl<'de> Deserialize<'de> for Entries {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Entries;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Entries, A::Error> {
                    let mut out = Vec::new();
                    while let Some(e) = map.next_entry()? {
                        out.push(e);
                    }
                    Ok(Entries(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    crate::json::from_str::<Entries>(json).expect("an object").0
}

fn object(entries: &[(String, Value)]) -> String {
    let fields: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[test]
fn every_variant_round_trips_and_the_tag_stays_first() {
    let mut variants = std::collections::BTreeSet::new();
    for (kind, json) in samples() {
        let (new, old) = decode(kind, &json);
        let written = new.unwrap_or_else(|e| panic!("{kind} {json}: {e}"));
        assert_eq!(Ok(written.clone()), old, "{kind} {json}");
        // The text written decodes to the same value, written the same way again.
        let (again, _) = decode(kind, &written);
        assert_eq!(again.as_ref(), Ok(&written), "{kind}");
        // And as before, our encoder writes the number, then the tag, first.
        let keys: Vec<String> = entries(&written).into_iter().map(|(k, _)| k).collect();
        let first = match kind {
            k if k.ends_with("Request") => vec!["req", "op"],
            k if k.ends_with("Command") => vec!["op"],
            k if k.ends_with("Event") => vec!["ev"],
            _ => vec!["on"],
        };
        assert_eq!(keys[..first.len()], first[..], "{kind} {written}");
        let tag = entries(&written)[first.len() - 1].1.clone();
        variants.insert(format!("{kind} {tag}"));
    }
    // Every variant: 20 + 5 facilitation, 9 + 5 rounds, 7 + 5 comments, 2 anchors; the
    // requests repeat the commands.
    assert_eq!(variants.len(), 2 * (20 + 9 + 7) + 5 + 5 + 5 + 2);
}

#[test]
fn decodes_what_the_derived_decoder_decoded_in_any_order() {
    let mut checked = 0;
    for (kind, json) in samples() {
        let original = entries(&json);
        let mut reversed = original.clone();
        reversed.reverse();
        let mut tag_last = original.clone();
        tag_last.rotate_left(1);
        let mut sorted = original.clone();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut extra = original.clone();
        extra.push(("unknown_field".into(), Value::from(1)));
        extra.insert(1, ("another".into(), serde_json::json!({"ev": "ack"})));
        // Each field left out in turn: a required one must be missed the same way.
        let mut shapes = vec![reversed, tag_last, sorted, extra];
        for i in 0..original.len() {
            let mut less = original.clone();
            less.remove(i);
            shapes.push(less);
        }
        for shape in shapes {
            let text = object(&shape);
            let (new, old) = decode(kind, &text);
            assert_eq!(new.is_ok(), old.is_ok(), "{kind} {text}: {new:?} / {old:?}");
            if new.is_ok() {
                assert_eq!(new, old, "{kind} {text}");
            }
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn refuses_what_the_derived_decoder_refused() {
    let bad = [
        ("rounds::Event", r#"{"ev":"nope","req":1}"#),
        ("rounds::Event", r#"{"req":1,"ev":"nope"}"#),
        ("rounds::Event", r#"{"ev":"ack"}"#),
        ("rounds::Event", r#"{"ev":"ack","req":"1"}"#),
        ("rounds::Event", r#"{"ev":"ack","req":1,"req":2}"#),
        ("rounds::Event", r#"{"ev":7,"req":1}"#),
        ("rounds::Event", r#"{"req":1}"#),
        ("rounds::Event", r#"{}"#),
        ("rounds::Event", r#"[]"#),
        ("rounds::Event", r#""ack""#),
        ("rounds::Event", r#"null"#),
        ("rounds::Event", r#"{"ev":"round","round":{}}"#),
        ("comments::Anchor", r#"{"on":"point","pos":[1]}"#),
        ("comments::Anchor", r#"{"pos":[1,2]}"#),
        ("comments::Request", r#"{"req":1}"#),
        ("comments::Request", r#"{"op":"hello"}"#),
        ("comments::Request", r#"{"req":1,"op":"shout"}"#),
        ("comments::Request", r#"{"op":"resolve","req":1}"#),
        ("comments::Request", r#"{"req":-1,"op":"hello"}"#),
        ("facilitation::Request", r#"{"req":1,"op":"hand"}"#),
        (
            "facilitation::Request",
            r#"{"req":1,"op":"timer_start","secs":"60"}"#,
        ),
    ];
    for (kind, json) in bad {
        let (new, old) = decode(kind, json);
        assert!(new.is_err(), "{kind} {json}: {new:?}");
        assert!(old.is_err(), "{kind} {json}: {old:?}");
    }
}

#[test]
fn errors_name_the_unknown_tag_and_the_missing_field() {
    let err = |json: &str| {
        crate::json::from_str::<rounds::Event>(json)
            .expect_err("refused")
            .to_string()
    };
    assert!(
        err(r#"{"ev":"nope","req":1}"#)
            .starts_with("unknown variant `nope`, expected one of `ack`")
    );
    // The same when the tag is not first (the slow path).
    assert!(err(r#"{"req":1,"ev":"nope"}"#).contains("unknown variant `nope`"));
    assert!(err(r#"{"req":1}"#).starts_with("missing field `ev`"));
    assert!(err(r#"{"ev":"ack"}"#).starts_with("missing field `req`"));
    let err = crate::json::from_str::<comments::Request>(r#"{"op":"hello"}"#).expect_err("no req");
    assert!(err.to_string().starts_with("missing field `req`"), "{err}");
}

#[test]
fn unit_variants_ignore_other_fields_as_before() {
    let json = r#"{"req":3,"op":"hello","extra":{"ev":"x"},"more":[1]}"#;
    let (new, old) = decode("rounds::Request", json);
    assert_eq!(new, Ok(r#"{"req":3,"op":"hello"}"#.to_owned()));
    assert_eq!(new, old);
}

#[test]
fn the_two_differences_from_the_derived_decoder() {
    // See the module's docs. A tag given twice: refused before, read as the first now.
    let json = r#"{"ev":"ack","ev":"refused","req":1}"#;
    let (new, old) = decode("rounds::Event", json);
    assert_eq!(new, Ok(r#"{"ev":"ack","req":1}"#.to_owned()));
    assert!(old.is_err());
    // An array, the tag then the fields in order: read before, refused now.
    let (new, old) = decode("rounds::Event", r#"["ack",1]"#);
    assert!(new.is_err());
    assert_eq!(old, Ok(r#"{"ev":"ack","req":1}"#.to_owned()));
}

#[test]
fn comment_requests_decode_from_sorted_keys_and_refuse_authors() {
    // As the tests' JavaScript peer sends them: through a `serde_json::Value`, keys sorted.
    let json = br#"{"anchor":{"item":"n1","on":"item"},"comment":"c1","op":"start","req":7,"text":"hi","thread":"t1"}"#;
    let req = comments::Request::decode(json).expect("decodes");
    assert_eq!(req.req, 7);
    assert_eq!(
        String::from_utf8(req.encode()).expect("utf-8"),
        r#"{"req":7,"op":"start","thread":"t1","anchor":{"on":"item","item":"n1"},"comment":"c1","text":"hi"}"#
    );
    let forged = br#"{"req":7,"op":"reply","thread":"t1","comment":"c1","text":"hi","author":"x"}"#;
    assert!(matches!(
        comments::Request::decode(forged),
        Err(comments::ProtocolError::ForgedAuthor(_))
    ));
}

/// `ClipItem`'s derived decoder from before, with `flatten` (`model::clip` reads it field by
/// field now, for the same reason as the enums here).
#[derive(Deserialize)]
#[serde(remote = "crate::model::ClipItem")]
struct ClipItemFlatten {
    id: String,
    kind: crate::model::ItemKind,
    #[serde(default)]
    pos: Option<crate::model::Point>,
    #[serde(default)]
    size: Option<crate::model::Size>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    color: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(flatten)]
    story: crate::model::StoryFields,
}

#[test]
fn clip_items_decode_as_with_flatten() {
    use crate::model::ClipItem;
    let samples = [
        r#"{"id":"a","kind":"note","pos":[1,2],"size":[3,4],"text":"x","color":"yellow",
            "tags":["t"],"description":"d","estimate":3,"status":"done","type":"bug",
            "persona":"p","issue_key":"PAY-1"}"#,
        r#"{"id":"a","kind":"connector","from":"b","to":"c"}"#,
        r#"{"type":"feature","id":"a","kind":"note","estimate":null,"unknown":[1]}"#,
        r#"{"id":"a","kind":"note","estimate":"3"}"#,
        r#"{"id":"a","kind":"note","type":"nope"}"#,
        r#"{"id":"a","kind":"note","status":"open","status":"done"}"#,
        r#"{"kind":"note"}"#,
        r#"{"id":"a","kind":"note","pos":null,"tags":[]}"#,
    ];
    let mut decoded = 0;
    for json in samples {
        let new = crate::json::from_str::<ClipItem>(json);
        let mut de = serde_json::Deserializer::from_str(json);
        let old = ClipItemFlatten::deserialize(&mut de);
        assert_eq!(new.is_ok(), old.is_ok(), "{json}: {new:?} / {old:?}");
        if let (Ok(new), Ok(old)) = (new, old) {
            assert_eq!(new, old, "{json}");
            // And written as before: the story's fields in the same object.
            let written = serde_json::to_string(&new).expect("encodes");
            assert_eq!(crate::json::from_str::<ClipItem>(&written).ok(), Some(new));
            decoded += 1;
        }
    }
    assert_eq!(decoded, 4);
}
