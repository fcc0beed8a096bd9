//! A checked [`Backlog`] written as a new story map, in the caller's transaction.

use std::collections::HashMap;

use yrs::TransactionMut;

use super::Backlog;
use crate::model::{Board, DEFAULT_NOTE_SIZE, ItemKind, ItemSnapshot, ModelError, Place, hashtags};
use crate::rank;

/// The note text for a story: its title, then each label not yet a `#tag` of it.
pub(crate) fn text_with_labels(title: &str, labels: &[String]) -> String {
    let mut text = title.to_owned();
    for label in labels {
        let tag: String = label.split_whitespace().collect::<Vec<_>>().join("-");
        let have = hashtags(&text);
        if hashtags(&format!("#{tag}")) == [tag.clone()]
            && !have.iter().any(|t| t.eq_ignore_ascii_case(&tag))
        {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push('#');
            text.push_str(&tag);
        }
    }
    text
}

/// Writes `backlog` as a new story map titled `title` at `pos`, in the caller's
/// transaction, and returns the map's id.
pub fn write_backlog(
    board: &Board,
    txn: &mut TransactionMut,
    backlog: &Backlog,
    title: &str,
    pos: crate::model::Point,
    author: &str,
    created_at: f64,
) -> Result<String, ModelError> {
    let map = board.create_story_map(txn, pos, title, author, created_at)?;
    let mut steps: Vec<Vec<String>> = Vec::new();
    for (name, step_names) in &backlog.activities {
        let a = board.add_activity(txn, &map, None, name, author, created_at)?;
        let mut ids = Vec::new();
        for s in step_names {
            ids.push(board.add_step(txn, &a, None, s, author, created_at)?);
        }
        steps.push(ids);
    }
    let mut releases = Vec::new();
    for r in &backlog.releases {
        releases.push(board.add_release(txn, &map, None, r, author, created_at)?);
    }
    // Ranks are computed here, not by `place_story`, which scans every placed item per call.
    let mut last_rank: HashMap<(usize, usize, Option<usize>), String> = HashMap::new();
    let mut z = board.top_z(txn);
    for story in &backlog.stories {
        let key = (story.activity, story.step, story.release);
        let rank = rank::after(last_rank.get(&key).map(String::as_str));
        last_rank.insert(key, rank.clone());
        let next_z = rank::after(z.as_deref());
        z = Some(next_z.clone());
        let text = text_with_labels(&story.title, &story.labels);
        let item = ItemSnapshot {
            kind: ItemKind::Note,
            pos,
            size: DEFAULT_NOTE_SIZE,
            tags: hashtags(&text),
            text,
            color: crate::model::Color::default().name().to_owned(),
            author: author.to_owned(),
            created_at,
            z: next_z,
            from: None,
            to: None,
            place: Some(Place {
                map: map.clone(),
                parent: Some(steps[story.activity][story.step].clone()),
                release: story.release.map(|r| releases[r].clone()),
                rank,
            }),
            story: story.fields.clone(),
            raci: None,
        };
        board.restore_item(txn, &crate::ids::new_item_id(), &item)?;
    }
    Ok(map)
}
