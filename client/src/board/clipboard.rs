//! Copy and paste of items, within a board and across boards: the copied items as JSON in
//! `localStorage` (key `huddle.clipboard`, shared by every board of this origin) and, when
//! the browser allows it, in the system clipboard too.

use huddle_shared::model::{Board, Color, ItemKind, NewNote};
use huddle_shared::rank;
use huddle_shared::yrs::TransactionMut;
use serde::{Deserialize, Serialize};

use super::State;
use super::actions::js_now;
use super::camera::Rect;
use crate::dom::{self, log_error};

/// The `localStorage` key of the board clipboard.
const STORAGE_KEY: &str = "huddle.clipboard";
/// Format marker, so other JSON on the clipboard is not mistaken for ours.
const FORMAT: &str = "huddle.items/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    format: String,
    items: Vec<ClipItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ClipItem {
    kind: ItemKind,
    pos: [f64; 2],
    size: [f64; 2],
    text: String,
    color: String,
    tags: Vec<String>,
}

impl Clip {
    /// The selected items (connectors are left out: they need both their ends).
    pub fn of(s: &State) -> Option<Clip> {
        let mut items: Vec<(u32, ClipItem)> = s
            .selection
            .iter()
            .filter_map(|id| s.scene.get(id))
            .filter(|i| i.kind != ItemKind::Connector)
            .map(|i| {
                (
                    i.order,
                    ClipItem {
                        kind: i.kind.clone(),
                        pos: i.pos,
                        size: i.size,
                        text: i.text.clone(),
                        color: i.color.name().to_owned(),
                        tags: i.tags.clone(),
                    },
                )
            })
            .collect();
        items.sort_by_key(|(order, _)| *order);
        (!items.is_empty()).then(|| Clip {
            format: FORMAT.to_owned(),
            items: items.into_iter().map(|(_, i)| i).collect(),
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(json: &str) -> Option<Clip> {
        serde_json::from_str::<Clip>(json)
            .ok()
            .filter(|c| c.format == FORMAT)
    }

    /// Stores the clip for pasting here or on another board (and in the system clipboard).
    pub fn store(&self) {
        let json = self.to_json();
        let Ok(window) = dom::window() else {
            return;
        };
        if let Ok(Some(storage)) = window.local_storage()
            && let Err(err) = storage.set_item(STORAGE_KEY, &json)
        {
            log_error("could not store the clipboard", &err);
        }
        // Refused without a user gesture or permission: then only the board clipboard has it.
        let _ = window.navigator().clipboard().write_text(&json);
    }

    pub fn load() -> Option<Clip> {
        let storage = dom::window().ok()?.local_storage().ok()??;
        Clip::from_json(&storage.get_item(STORAGE_KEY).ok()??)
    }

    pub fn bounds(&self) -> Option<Rect> {
        let first = self.items.first()?;
        let mut b = [first.pos[0], first.pos[1], first.pos[0], first.pos[1]];
        for i in &self.items {
            b = [
                b[0].min(i.pos[0]),
                b[1].min(i.pos[1]),
                b[2].max(i.pos[0] + i.size[0]),
                b[3].max(i.pos[1] + i.size[1]),
            ];
        }
        Some([b[0], b[1], b[2] - b[0], b[3] - b[1]])
    }

    /// Creates the clip's items on `board`, moved by `offset`, stacked above `top`; returns
    /// the new ids.
    pub fn paste(
        &self,
        board: &Board,
        txn: &mut TransactionMut,
        offset: [f64; 2],
        mut top: Option<String>,
        author: &str,
    ) -> Vec<String> {
        let mut created = Vec::new();
        for item in &self.items {
            let z = rank::after(top.as_deref());
            let note = NewNote {
                pos: [item.pos[0] + offset[0], item.pos[1] + offset[1]],
                size: Some(item.size),
                text: item.text.clone(),
                color: Color::from_name(&item.color).unwrap_or_default(),
                tags: item.tags.clone(),
                author: author.to_owned(),
                created_at: js_now(),
                z: Some(z.clone()),
            };
            match board.create_note(txn, note) {
                Ok(id) => created.push(id),
                Err(err) => log_error("could not paste an item", &dom::js_error(err)),
            }
            top = Some(z);
        }
        created
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle_shared::yrs::Transact;

    fn clip() -> Clip {
        Clip {
            format: FORMAT.to_owned(),
            items: vec![ClipItem {
                kind: ItemKind::Note,
                pos: [10.0, 20.0],
                size: [100.0, 50.0],
                text: "copied #x".into(),
                color: "pink".into(),
                tags: vec!["x".into()],
            }],
        }
    }

    #[test]
    fn round_trips_json_and_pastes_offset() {
        let c = clip();
        assert_eq!(Clip::from_json(&c.to_json()), Some(c.clone()));
        assert_eq!(Clip::from_json("{\"format\":\"other\",\"items\":[]}"), None);
        assert_eq!(Clip::from_json("not json"), None);
        assert_eq!(c.bounds(), Some([10.0, 20.0, 100.0, 50.0]));

        let board = Board::with_client_id(1);
        let ids = c.paste(&board, &mut board.transact_mut(), [5.0, 5.0], None, "me");
        assert_eq!(ids.len(), 1);
        let item = board
            .item_snapshot(&board.doc().transact(), &ids[0])
            .unwrap();
        assert_eq!(item.pos, [15.0, 25.0]);
        assert_eq!(item.text, "copied #x");
        assert_eq!(item.color, "pink");
    }
}
