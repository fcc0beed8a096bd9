//! The story-map cache, labels, controls and drop indicator, on a real board model.

use huddle_shared::model::{Board, ItemKind, NewNote, StoryFields, StoryType};
use huddle_shared::storymap::{DropTarget, Totals};
use huddle_shared::yrs::Transact;

use super::chrome::{self, Spot};
use super::drag::indicator_line;
use super::hooks::parse_filter;
use super::*;
use crate::board::scene::Scene;
use crate::board::sync::Changes;

struct Fixture {
    board: Board,
    changes: Changes,
    scene: Scene,
    maps: Maps,
    map: String,
    activity: String,
    step: String,
    mvp: String,
}

impl Fixture {
    fn new() -> Fixture {
        let board = Board::with_client_id(7);
        let changes = Changes::observe(&board);
        let (map, activity, step, mvp) = {
            let mut txn = board.transact_mut();
            let map = board
                .create_story_map(&mut txn, [100.0, 100.0], "Shop", "me", 0.0)
                .unwrap();
            let activity = board
                .add_activity(&mut txn, &map, None, "Browse", "me", 0.0)
                .unwrap();
            let step = board
                .add_step(&mut txn, &activity, None, "Search", "me", 0.0)
                .unwrap();
            let mvp = board
                .add_release(&mut txn, &map, None, "MVP", "me", 0.0)
                .unwrap();
            (map, activity, step, mvp)
        };
        let mut f = Fixture {
            board,
            changes,
            scene: Scene::default(),
            maps: Maps::default(),
            map,
            activity,
            step,
            mvp,
        };
        f.catch_up();
        f
    }

    fn catch_up(&mut self) {
        self.changes
            .apply(&self.board, &mut self.scene, &mut self.maps);
        if self.maps.dirty {
            let drawn = self.maps.relayout();
            self.scene.set_drawn(drawn);
        }
    }

    fn note(&mut self, text: &str, pos: [f64; 2]) -> String {
        let id = self
            .board
            .create_note(
                &mut self.board.transact_mut(),
                NewNote {
                    pos,
                    text: text.into(),
                    ..NewNote::default()
                },
            )
            .unwrap();
        self.catch_up();
        id
    }

    fn place(&mut self, id: &str, index: Option<usize>) {
        let mut txn = self.board.transact_mut();
        self.board
            .place_story(&mut txn, id, &self.step, Some(&self.mvp), index)
            .unwrap();
        drop(txn);
        self.catch_up();
    }
}

#[test]
fn placed_notes_are_drawn_and_hit_in_their_cell_and_free_again_when_unplaced() {
    let mut f = Fixture::new();
    let id = f.note("Find shoes", [5000.0, 5000.0]);
    assert_eq!(f.scene.ids_in([5100.0, 5100.0, 1.0, 1.0]), vec![id.clone()]);

    f.place(&id, None);
    let laid = f.maps.get(&f.map).unwrap();
    let cell = laid.layout.story_rect(&id).unwrap();
    let item = f.scene.get(&id).unwrap();
    assert!(item.placed && !item.is_free());
    assert_eq!(item.pos, [cell.x, cell.y]);
    // The stored position is untouched.
    assert_eq!(item.stored.0, [5000.0, 5000.0]);
    assert!(f.scene.ids_in([5100.0, 5100.0, 1.0, 1.0]).is_empty());
    let centre = cell.center();
    assert!(
        f.scene
            .ids_in([centre[0], centre[1], 1.0, 1.0])
            .contains(&id)
    );

    f.board
        .unplace_story(&mut f.board.transact_mut(), &id, [40.0, 50.0])
        .unwrap();
    f.catch_up();
    let item = f.scene.get(&id).unwrap();
    assert!(!item.placed && item.is_free());
    assert_eq!(item.pos, [40.0, 50.0]);
    assert_eq!(item.size, huddle_shared::model::DEFAULT_NOTE_SIZE);
}

#[test]
fn collapsed_and_filtered_stories_are_hidden_and_not_hit() {
    let mut f = Fixture::new();
    let a = f.note("A #checkout", [0.0, 0.0]);
    let b = f.note("B", [0.0, 0.0]);
    f.place(&a, None);
    f.place(&b, None);
    f.board.retag(&mut f.board.transact_mut(), &a).unwrap();
    f.catch_up();
    let rect_b = f.scene.get(&b).unwrap().rect();

    f.maps.set_filter(parse_filter(r##"{"tag": "#Checkout"}"##));
    f.catch_up();
    assert!(f.scene.get(&b).unwrap().hidden);
    assert!(!f.scene.get(&a).unwrap().hidden);
    assert!(
        !f.scene
            .ids_in([rect_b[0] + 1.0, rect_b[1] + 1.0, 1.0, 1.0])
            .contains(&b)
    );

    f.maps.set_filter(Filter::default());
    f.maps.toggle_collapsed(Some(f.mvp.clone()), false);
    f.catch_up();
    assert!(f.scene.get(&a).unwrap().hidden && f.scene.get(&b).unwrap().hidden);
    f.maps.toggle_collapsed(Some(f.mvp.clone()), false);
    f.catch_up();
    assert!(!f.scene.get(&a).unwrap().hidden && !f.scene.get(&b).unwrap().hidden);

    // Collapsing the activity hides its step card too.
    f.maps.toggle_collapsed(Some(f.activity.clone()), true);
    f.catch_up();
    assert!(f.scene.get(&f.step).unwrap().hidden);
}

#[test]
fn a_note_of_a_deleted_map_is_free_at_its_position() {
    let mut f = Fixture::new();
    let id = f.note("Pay", [700.0, 800.0]);
    f.place(&id, None);
    f.board
        .delete_item(&mut f.board.transact_mut(), &f.map)
        .unwrap();
    f.catch_up();
    let item = f.scene.get(&id).unwrap();
    assert!(!item.placed);
    assert_eq!(item.pos, [700.0, 800.0]);
    assert!(f.maps.laid.is_empty());
}

#[test]
fn labels_show_points_and_tech_debt_share() {
    let totals = Totals {
        stories: 3,
        points: 21.0,
        tech_debt_points: 5.0,
    };
    assert_eq!(
        release_summary("MVP", &totals),
        "MVP - 21 pts - 24% tech debt"
    );
    let plain = Totals {
        stories: 1,
        points: 2.5,
        tech_debt_points: 0.0,
    };
    assert_eq!(release_summary("R2", &plain), "R2 - 2.5 pts");
    assert_eq!(with_unit(1.0), "1 pt");
    assert_eq!(with_unit(0.0), "0 pts");

    let mut f = Fixture::new();
    let id = f.note("Fix", [0.0, 0.0]);
    f.board
        .set_story_fields(
            &mut f.board.transact_mut(),
            &id,
            &StoryFields {
                estimate: Some(3.0),
                story_type: Some(StoryType::Bug),
                persona: Some("Admin".into()),
                ..StoryFields::default()
            },
        )
        .unwrap();
    f.place(&id, None);
    assert_eq!(f.scene.get(&id).unwrap().badges, ["3 pts", "Bug", "@Admin"]);
    // A story from Jira shows its issue key first.
    let fields = StoryFields {
        issue_key: Some("PAY-12".into()),
        ..f.board.story_fields(&f.board.transact_mut(), &id).unwrap()
    };
    f.board
        .set_story_fields(&mut f.board.transact_mut(), &id, &fields)
        .unwrap();
    f.place(&id, None);
    assert_eq!(
        f.scene.get(&id).unwrap().badges,
        ["PAY-12", "3 pts", "Bug", "@Admin"]
    );
}

#[test]
fn controls_are_found_where_they_are_drawn() {
    let f = Fixture::new();
    let l = &f.maps.get(&f.map).unwrap().layout;
    let at = |r: huddle_shared::storymap::Rect| chrome::spot(l, r.center());
    assert_eq!(at(chrome::add_activity(l)), Some(Spot::AddActivity));
    assert_eq!(at(chrome::add_release(l)), Some(Spot::AddRelease));
    let (activity, button) = chrome::add_steps(l).remove(0);
    assert_eq!(activity, f.activity);
    assert_eq!(at(button), Some(Spot::AddStep(f.activity.clone())));
    let (id, is_activity, chevron) = chrome::chevrons(l).remove(0);
    assert_eq!(
        at(chevron),
        Some(Spot::Chevron {
            id: id.clone(),
            activity: is_activity
        })
    );
    assert_eq!(at(l.title), Some(Spot::Title));
    assert_eq!(
        chrome::spot(l, [l.steps[0].rect.x + 5.0, l.steps[0].rect.y + 5.0]),
        Some(Spot::Step(Some(f.step.clone())))
    );
    let mvp = l.releases[0].rect;
    assert_eq!(
        chrome::spot(l, [mvp.x + 5.0, mvp.bottom() - 5.0]),
        Some(Spot::Release(Some(f.mvp.clone())))
    );
    // The cells are not controls.
    let cell = [l.steps[0].rect.center()[0], mvp.center()[1]];
    assert_eq!(chrome::spot(l, cell), None);
    assert!(chrome::reach(l).contains(chrome::add_release(l).center()));
}

#[test]
fn the_drop_indicator_is_between_the_stories_of_the_cell() {
    let mut f = Fixture::new();
    let a = f.note("A", [0.0, 0.0]);
    let b = f.note("B", [0.0, 0.0]);
    let moving = f.note("M", [3000.0, 0.0]);
    f.place(&a, None);
    f.place(&b, None);
    let laid = f.maps.get(&f.map).unwrap();
    let ra = laid.layout.story_rect(&a).unwrap();
    let rb = laid.layout.story_rect(&b).unwrap();
    let between = [ra.center()[0], (ra.bottom() + rb.y) / 2.0];
    let (_, target) = f.maps.story_target(between, &moving).unwrap();
    assert_eq!(
        target,
        DropTarget::Story {
            step: f.step.clone(),
            release: Some(f.mvp.clone()),
            index: 1
        }
    );
    let line = indicator_line(laid, &target, &moving).unwrap();
    assert!(line.y > ra.bottom() && line.y < rb.y, "{line:?}");
    assert_eq!(line.x, ra.x);
    // Outside every map there is no target.
    assert!(f.maps.story_target([-5000.0, 0.0], &moving).is_none());
    let kinds: Vec<ItemKind> = f
        .board
        .snapshot(&f.board.doc().transact())
        .items
        .values()
        .map(|i| i.kind.clone())
        .collect();
    assert!(kinds.contains(&ItemKind::StoryMap));
}

#[test]
fn a_filter_from_json() {
    let f = parse_filter(r#"{"tag": " ux ", "type": "Tech debt", "persona": ""}"#);
    assert_eq!(f.tag.as_deref(), Some("ux"));
    assert_eq!(f.story_type, Some(StoryType::TechDebt));
    assert_eq!(f.persona, None);
    assert!(parse_filter("not json").is_empty());
}
