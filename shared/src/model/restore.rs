//! Writing a whole item back from its plain values, under its own id, and the board's
//! template name: what importing a board's JSON and applying a template need.
//!
//! Paste ([`Board::paste`]) gives items fresh ids; an imported board keeps them instead, so
//! connectors (`from`, `to`) and story-map places (`map`, `parent`, `release`) still point at
//! the right items. Callers write into a fresh document, where an id cannot collide.

use yrs::{Map, MapPrelim, MapRef, TextPrelim, TransactionMut};

use super::board::Board;
use super::keys;
use super::snapshot::ItemSnapshot;
use super::values::{check_point, check_size, pair, strings};
use super::{ItemKind, ModelError};
use crate::rank;

impl Board {
    /// The template the board was made from, if any (`meta.template`).
    pub fn template<T: yrs::ReadTxn>(&self, txn: &T) -> Option<String> {
        super::values::read_string(txn, &self.meta, keys::TEMPLATE)
    }

    /// Records the template the board was made from (`meta.template`).
    pub fn set_template(&self, txn: &mut TransactionMut, template: &str) {
        self.meta.insert(txn, keys::TEMPLATE, template);
    }

    /// Writes item `id` from `item`, replacing any item of that id. Checks positions, sizes,
    /// ranks and story fields first: nothing is written if one is refused.
    pub fn restore_item(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        item: &ItemSnapshot,
    ) -> Result<(), ModelError> {
        let connector = item.kind == ItemKind::Connector;
        if !connector {
            check_point(item.pos)?;
            check_size(item.size)?;
        }
        if !item.z.is_empty() && !rank::is_valid(&item.z) {
            return Err(ModelError::BadField {
                field: "z",
                reason: format!("{:?} is not a rank", item.z),
            });
        }
        if let Some(place) = &item.place
            && !rank::is_valid(&place.rank)
        {
            return Err(ModelError::BadField {
                field: "place",
                reason: format!("{:?} is not a rank", place.rank),
            });
        }
        if !item.story.is_empty() && item.kind != ItemKind::Note {
            return Err(ModelError::WrongKind {
                id: id.to_owned(),
                expected: "sticky note (only notes carry story fields)",
            });
        }
        if let Some(e) = item.story.estimate {
            super::story::check_estimate(e)?;
        }
        if let Some(raci) = &item.raci {
            super::raci::check_raci(&item.kind, raci)?;
        }
        let map: MapRef = self.items.insert(txn, id, MapPrelim::default());
        map.insert(txn, keys::KIND, item.kind.as_str());
        if connector {
            if let (Some(from), Some(to)) = (&item.from, &item.to) {
                map.insert(txn, keys::FROM, from.as_str());
                map.insert(txn, keys::TO, to.as_str());
            }
        } else {
            map.insert(txn, keys::POS, pair(item.pos));
            map.insert(txn, keys::SIZE, pair(item.size));
        }
        map.insert(txn, keys::TEXT, TextPrelim::new(item.text.as_str()));
        map.insert(txn, keys::COLOR, item.color.as_str());
        map.insert(txn, keys::TAGS, strings(&item.tags));
        map.insert(txn, keys::AUTHOR, item.author.as_str());
        map.insert(txn, keys::CREATED_AT, item.created_at);
        if !item.z.is_empty() {
            map.insert(txn, keys::Z, item.z.as_str());
        }
        if let Some(place) = &item.place {
            map.insert(txn, keys::PLACE, place.to_any());
        }
        if !item.story.is_empty() {
            // Checked above that this is a note, so the only refusal left is a field's length.
            self.set_story_fields(txn, id, &item.story)?;
        }
        if let Some(raci) = &item.raci {
            super::raci::write_raci(txn, &map, raci);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewNote, Status, StoryFields};

    #[test]
    fn an_item_comes_back_equal_under_its_id() {
        let from = Board::with_client_id(1);
        let mut txn = from.transact_mut();
        let map = from
            .create_story_map(&mut txn, [0.0, 0.0], "M", "ann", 1.0)
            .expect("map");
        let act = from
            .add_activity(&mut txn, &map, None, "A", "ann", 1.0)
            .expect("act");
        let step = from
            .add_step(&mut txn, &act, None, "S", "ann", 1.0)
            .expect("step");
        let note = from
            .create_note(
                &mut txn,
                NewNote {
                    text: "story #x".into(),
                    tags: vec!["x".into()],
                    ..NewNote::default()
                },
            )
            .expect("note");
        from.place_story(&mut txn, &note, &step, None, None)
            .expect("place");
        let fields = StoryFields {
            estimate: Some(2.0),
            status: Some(Status::Done),
            ..StoryFields::default()
        };
        from.set_story_fields(&mut txn, &note, &fields)
            .expect("fields");
        let conn = from
            .create_connector(&mut txn, &note, &step, "ann", 1.0)
            .expect("conn");
        let snap = from.snapshot(&txn);
        drop(txn);

        let to = Board::with_client_id(2);
        let mut txn = to.transact_mut();
        for (id, item) in &snap.items {
            to.restore_item(&mut txn, id, item).expect("restore");
        }
        to.set_template(&mut txn, "story_map");
        let back = to.snapshot(&txn);
        assert_eq!(back.items, snap.items);
        assert!(back.items.contains_key(&conn));
        assert_eq!(back.meta.template.as_deref(), Some("story_map"));
    }

    #[test]
    fn bad_values_write_nothing() {
        let board = Board::with_client_id(1);
        let mut txn = board.transact_mut();
        let id = board
            .create_note(&mut txn, NewNote::default())
            .expect("note");
        let mut item = board.snapshot(&txn).items[&id].clone();
        item.pos = [f64::NAN, 0.0];
        assert!(board.restore_item(&mut txn, "n2", &item).is_err());
        item.pos = [0.0, 0.0];
        item.z = "!!".into();
        assert!(board.restore_item(&mut txn, "n2", &item).is_err());
        item.z = String::new();
        item.kind = ItemKind::Frame;
        item.story.estimate = Some(1.0);
        assert!(board.restore_item(&mut txn, "n2", &item).is_err());
        assert_eq!(board.item_count(&txn), 1);
    }
}
