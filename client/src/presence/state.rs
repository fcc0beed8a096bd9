//! The awareness JSON both ways, with no browser in sight (unit-tested natively): our state
//! as we send it ([`LocalState::to_json`]) and a peer's state as we read it ([`parse_peer`]).
//!
//! A peer's state comes from anyone's browser (or a stock Yjs client), so parsing is
//! tolerant: a missing field takes its default, a field of the wrong type is ignored, never
//! an error; names are trimmed and capped, colours accepted only as `#rrggbb` (anything else
//! could inject CSS into a style attribute), numbers only when finite.

use serde_json::{Map, Value, json};

use super::{Peer, Viewport};
use crate::identity::{clean_name, color_for_number};

/// Most item ids read from one peer's selection or drag: a selection of the whole board is
/// still drawn, a crafted state with millions of ids is not.
const MAX_IDS: usize = 10_000;

/// What a peer without a usable name is called.
const NO_NAME: &str = "Guest";

/// Our own awareness state, apart from who we are (the [`crate::identity::Guest`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalState {
    pub cursor: Option<[f64; 2]>,
    pub selection: Vec<String>,
    pub dragging: Vec<(String, [f64; 2])>,
    pub viewport: Option<Viewport>,
    pub summon: u64,
}

impl LocalState {
    /// The awareness state to send (the schema in `super`'s docs).
    pub fn to_json(&self, name: &str, color: &str) -> Value {
        let cursor = self.cursor.map(|[x, y]| json!({ "x": x, "y": y }));
        let dragging: Map<String, Value> = self
            .dragging
            .iter()
            .map(|(id, [x, y])| (id.clone(), json!([x, y])))
            .collect();
        let viewport = self
            .viewport
            .map(|v| json!({ "x": v.x, "y": v.y, "zoom": v.zoom }));
        json!({
            "user": { "name": name, "color": color },
            "cursor": cursor,
            "selection": self.selection,
            "dragging": dragging,
            "viewport": viewport,
            "summon": self.summon,
        })
    }
}

/// Reads a peer's awareness state. Never fails: whatever is unusable takes its default.
pub fn parse_peer(client_id: u64, state: &Value) -> Peer {
    let user = state.get("user");
    let name = user
        .and_then(|u| u.get("name"))
        .and_then(Value::as_str)
        .and_then(clean_name)
        .unwrap_or_else(|| NO_NAME.to_owned());
    let color = user
        .and_then(|u| u.get("color"))
        .and_then(Value::as_str)
        .filter(|c| is_hex_color(c))
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| color_for_number(client_id).to_owned());
    Peer {
        client_id,
        name,
        color,
        cursor: state.get("cursor").and_then(point),
        selection: state
            .get("selection")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .take(MAX_IDS)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        dragging: state
            .get("dragging")
            .and_then(Value::as_object)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|(id, pos)| Some((id.clone(), point(pos)?)))
                    .take(MAX_IDS)
                    .collect()
            })
            .unwrap_or_default(),
        viewport: state.get("viewport").and_then(viewport),
        summon: state.get("summon").and_then(Value::as_u64).unwrap_or(0),
    }
}

/// Peers parsed and sorted by name (case-insensitively), then by client id for a stable order.
pub fn parse_peers(states: &[(u64, Value)]) -> Vec<Peer> {
    let mut peers: Vec<Peer> = states
        .iter()
        .map(|(id, state)| parse_peer(*id, state))
        .collect();
    huddle_shared::sort::sort_by(&mut peers, |a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.client_id.cmp(&b.client_id))
    });
    peers
}

/// `#rrggbb`, exactly.
pub fn is_hex_color(color: &str) -> bool {
    let bytes = color.as_bytes();
    bytes.len() == 7 && bytes[0] == b'#' && bytes[1..].iter().all(u8::is_ascii_hexdigit)
}

/// A point as `{"x", "y"}` (our schema) or `[x, y]` (what some clients send); finite only.
fn point(value: &Value) -> Option<[f64; 2]> {
    let (x, y) = match value {
        Value::Array(xy) if xy.len() == 2 => (xy[0].as_f64()?, xy[1].as_f64()?),
        Value::Object(_) => (value.get("x")?.as_f64()?, value.get("y")?.as_f64()?),
        _ => return None,
    };
    (x.is_finite() && y.is_finite()).then_some([x, y])
}

fn viewport(value: &Value) -> Option<Viewport> {
    let [x, y] = point(value)?;
    let zoom = value.get("zoom")?.as_f64()?;
    (zoom.is_finite() && zoom > 0.0).then_some(Viewport { x, y, zoom })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_state_reads_back_as_it_was() {
        let local = LocalState {
            cursor: Some([1.5, -2.0]),
            selection: vec!["a".into(), "b".into()],
            dragging: vec![("a".into(), [10.0, 20.0])],
            viewport: Some(Viewport {
                x: 3.0,
                y: 4.0,
                zoom: 0.5,
            }),
            summon: 7,
        };
        let json = local.to_json("Ada", "#1971c2");
        let peer = parse_peer(9, &json);
        assert_eq!(peer.client_id, 9);
        assert_eq!(peer.name, "Ada");
        assert_eq!(peer.color, "#1971c2");
        assert_eq!(peer.cursor, local.cursor);
        assert_eq!(peer.selection, local.selection);
        assert_eq!(peer.dragging, local.dragging);
        assert_eq!(peer.viewport, local.viewport);
        assert_eq!(peer.summon, 7);
    }

    #[test]
    fn nothing_set_is_null_or_empty() {
        let json = LocalState::default().to_json("Bo", "#000000");
        assert_eq!(json["cursor"], Value::Null);
        assert_eq!(json["viewport"], Value::Null);
        assert_eq!(json["selection"], json!([]));
        assert_eq!(json["dragging"], json!({}));
        assert_eq!(json["summon"], 0);
    }

    #[test]
    fn missing_fields_take_defaults() {
        for state in [json!({}), json!(null), json!(42), json!({"user": "Ada"})] {
            let peer = parse_peer(5, &state);
            assert_eq!(peer.name, "Guest");
            assert_eq!(peer.color, color_for_number(5));
            assert_eq!(peer.cursor, None);
            assert!(peer.selection.is_empty() && peer.dragging.is_empty());
            assert_eq!(peer.viewport, None);
            assert_eq!(peer.summon, 0);
        }
    }

    #[test]
    fn wrong_types_are_ignored() {
        let state = json!({
            "user": {"name": 7, "color": "red"},
            "cursor": {"x": "1", "y": 2},
            "selection": ["a", 1, null, "b"],
            "dragging": {"a": [1, 2], "b": "far", "c": [1], "d": {"x": 3, "y": 4}},
            "viewport": {"x": 1, "y": 2, "zoom": 0},
            "summon": -3,
        });
        let peer = parse_peer(1, &state);
        assert_eq!(peer.name, "Guest");
        assert_eq!(peer.color, color_for_number(1));
        assert_eq!(peer.cursor, None);
        assert_eq!(peer.selection, ["a", "b"]);
        assert_eq!(
            peer.dragging,
            [("a".to_owned(), [1.0, 2.0]), ("d".to_owned(), [3.0, 4.0])]
        );
        assert_eq!(peer.viewport, None);
        assert_eq!(peer.summon, 0);
    }

    #[test]
    fn names_are_trimmed_and_capped() {
        let long = format!("  {}  ", "n".repeat(60));
        let peer = parse_peer(1, &json!({"user": {"name": long}}));
        assert_eq!(peer.name, "n".repeat(40));
        let blank = parse_peer(1, &json!({"user": {"name": "   "}}));
        assert_eq!(blank.name, "Guest");
    }

    #[test]
    fn only_hex_colours_are_accepted() {
        assert!(is_hex_color("#A1b2C3"));
        for bad in [
            "#fff",
            "red",
            "#12345g",
            "#1234567",
            "#123456;x",
            "url(x)",
            "",
        ] {
            assert!(!is_hex_color(bad), "{bad}");
            let peer = parse_peer(3, &json!({"user": {"color": bad}}));
            assert_eq!(peer.color, color_for_number(3));
        }
        let peer = parse_peer(3, &json!({"user": {"color": "#A1B2C3"}}));
        assert_eq!(peer.color, "#a1b2c3");
    }

    #[test]
    fn peers_sort_by_name_then_id() {
        let named = |name: &str| json!({"user": {"name": name}});
        let peers = parse_peers(&[(3, named("bob")), (2, named("Ada")), (1, named("Bob"))]);
        let order: Vec<u64> = peers.iter().map(|p| p.client_id).collect();
        assert_eq!(order, [2, 1, 3]);
    }
}
