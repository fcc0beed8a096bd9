use super::*;
use crate::model::{Board, NewNote, StoryFields, StoryType};
use yrs::Transact;

/// A map with activities A (steps a1, a2) and B (step b1), releases MVP and R2.
struct Fixture {
    board: Board,
    map: String,
    acts: Vec<String>,
    steps: Vec<String>,
    rels: Vec<String>,
}

fn fixture() -> Fixture {
    let board = Board::with_client_id(1);
    let mut txn = board.transact_mut();
    let map = board
        .create_story_map(&mut txn, [100.0, 50.0], "Checkout", "ann", 1.0)
        .expect("map");
    let a = board
        .add_activity(&mut txn, &map, None, "A", "", 0.0)
        .expect("a");
    let b = board
        .add_activity(&mut txn, &map, None, "B", "", 0.0)
        .expect("b");
    let a1 = board
        .add_step(&mut txn, &a, None, "a1", "", 0.0)
        .expect("a1");
    let a2 = board
        .add_step(&mut txn, &a, None, "a2", "", 0.0)
        .expect("a2");
    let b1 = board
        .add_step(&mut txn, &b, None, "b1", "", 0.0)
        .expect("b1");
    let mvp = board
        .add_release(&mut txn, &map, None, "MVP", "", 0.0)
        .expect("mvp");
    let r2 = board
        .add_release(&mut txn, &map, None, "R2", "", 0.0)
        .expect("r2");
    drop(txn);
    Fixture {
        board,
        map,
        acts: vec![a, b],
        steps: vec![a1, a2, b1],
        rels: vec![mvp, r2],
    }
}

fn story(
    f: &Fixture,
    title: &str,
    step: usize,
    release: Option<usize>,
    points: f64,
    t: StoryType,
) -> String {
    let mut txn = f.board.transact_mut();
    let id = f
        .board
        .create_note(
            &mut txn,
            NewNote {
                text: title.into(),
                ..NewNote::default()
            },
        )
        .expect("note");
    f.board
        .set_story_fields(
            &mut txn,
            &id,
            &StoryFields {
                estimate: Some(points),
                story_type: Some(t),
                ..StoryFields::default()
            },
        )
        .expect("fields");
    f.board
        .place_story(
            &mut txn,
            &id,
            &f.steps[step],
            release.map(|r| f.rels[r].as_str()),
            None,
        )
        .expect("place");
    id
}

fn view(f: &Fixture) -> StoryMap {
    StoryMap::build(&f.board.snapshot(&f.board.doc().transact()), &f.map).expect("map")
}

fn titles(f: &Fixture, map: &StoryMap) -> Vec<String> {
    let snap = f.board.snapshot(&f.board.doc().transact());
    map.stories_in_order()
        .map(|(_, _, _, id)| snap.items[id].text.clone())
        .collect()
}

#[test]
fn a_map_resolves_into_its_grid_in_map_order_with_totals() {
    let f = fixture();
    story(&f, "s1", 0, Some(0), 3.0, StoryType::Feature);
    story(&f, "s2", 2, Some(0), 5.0, StoryType::TechDebt);
    story(&f, "s3", 0, Some(0), 2.0, StoryType::Bug);
    story(&f, "s4", 1, Some(1), 8.0, StoryType::Feature);
    story(&f, "s5", 1, None, 1.0, StoryType::Spike);
    let map = view(&f);
    assert_eq!(map.title, "Checkout");
    let names: Vec<_> = map.activities.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    let releases: Vec<_> = map.releases.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(releases, ["MVP", "R2", UNSCHEDULED]);
    assert_eq!(titles(&f, &map), ["s1", "s3", "s2", "s4", "s5"]);
    assert_eq!(map.release_totals[0].points, 10.0);
    assert_eq!(map.release_totals[0].tech_debt_share(), 0.5);
    assert_eq!(map.activities[0].totals.points, 14.0);
    assert_eq!(map.activities[1].totals.points, 5.0);
    assert_eq!(map.story_count(), 5);
}

#[test]
fn reordering_parts_and_stories_moves_them_in_map_order() {
    let f = fixture();
    let s1 = story(&f, "s1", 0, Some(0), 1.0, StoryType::Feature);
    story(&f, "s2", 0, Some(0), 1.0, StoryType::Feature);
    {
        let mut txn = f.board.transact_mut();
        f.board
            .move_activity(&mut txn, &f.acts[1], 0)
            .expect("move activity");
        f.board
            .move_release(&mut txn, &f.rels[1], 0)
            .expect("move release");
        f.board
            .place_story(&mut txn, &s1, &f.steps[0], Some(&f.rels[0]), Some(1))
            .expect("down");
        f.board
            .move_step(&mut txn, &f.steps[1], &f.acts[1], 0)
            .expect("step across");
    }
    let map = view(&f);
    let names: Vec<_> = map.activities.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["B", "A"]);
    let steps: Vec<_> = map.activities[0]
        .steps
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(steps, ["a2", "b1"]);
    assert_eq!(map.releases[0].name, "R2");
    assert_eq!(titles(&f, &map), ["s2", "s1"]);
}

#[test]
fn deleting_parts_never_deletes_a_story() {
    let f = fixture();
    let s1 = story(&f, "s1", 0, Some(0), 1.0, StoryType::Feature);
    let s2 = story(&f, "s2", 2, Some(1), 1.0, StoryType::Feature);
    {
        let mut txn = f.board.transact_mut();
        f.board
            .delete_map_part(&mut txn, &f.acts[0])
            .expect("delete activity");
        f.board
            .delete_map_part(&mut txn, &f.rels[1])
            .expect("delete release");
    }
    let map = view(&f);
    assert_eq!(map.story_count(), 2);
    let last = map.activities.last().expect("unsorted");
    assert_eq!((last.id.as_deref(), last.name.as_str()), (None, UNSORTED));
    assert_eq!(last.steps[0].cells[0], std::slice::from_ref(&s1));
    assert_eq!(map.releases.len(), 2, "MVP and Unscheduled");
    assert_eq!(
        map.activities[0].steps[0].cells[1],
        std::slice::from_ref(&s2)
    );

    let snap = f.board.snapshot(&f.board.doc().transact());
    let layout = MapLayout::compute(&map, &snap, &ViewOptions::default());
    let at = layout.story_rect(&s2).expect("drawn").center();
    {
        let mut txn = f.board.transact_mut();
        f.board
            .delete_story_map(&mut txn, &f.map, &[(s2.clone(), at)])
            .expect("delete map");
    }
    let snap = f.board.snapshot(&f.board.doc().transact());
    assert_eq!(snap.items.len(), 2, "only the two notes remain");
    assert_eq!(snap.items[&s2].pos, at);
    assert!(snap.items.values().all(|i| i.place.is_none()));
}

#[test]
fn layout_places_cards_and_finds_drop_targets() {
    let f = fixture();
    let s1 = story(&f, "s1", 0, Some(0), 1.0, StoryType::Feature);
    let s2 = story(&f, "s2", 0, Some(0), 1.0, StoryType::TechDebt);
    let s3 = story(&f, "s3", 2, Some(1), 1.0, StoryType::Feature);
    let map = view(&f);
    let snap = f.board.snapshot(&f.board.doc().transact());
    let layout = MapLayout::compute(&map, &snap, &ViewOptions::default());
    let (r1, r2, r3) = (
        layout.story_rect(&s1).expect("s1"),
        layout.story_rect(&s2).expect("s2"),
        layout.story_rect(&s3).expect("s3"),
    );
    assert_eq!(r1.x, r2.x);
    assert!(r2.y > r1.bottom());
    assert!(
        r3.x > r1.right() && r3.y > r2.bottom(),
        "R2 is below the MVP band"
    );
    assert!(layout.bounds.contains(r3.center()));
    assert_eq!(layout.activities[0].rect.w, 2.0 * CARD_SIZE[0] + GAP);

    // Dropping s1 just below s2 puts it after s2.
    let below = [r2.center()[0], r2.bottom() + 1.0];
    assert_eq!(
        layout.drop_story(&map, below, &s1),
        Some(DropTarget::Story {
            step: f.steps[0].clone(),
            release: Some(f.rels[0].clone()),
            index: 1
        })
    );
    // Into the R2 row of step a2.
    let a2 = layout.steps[1].rect.center()[0];
    assert_eq!(
        layout.drop_story(&map, [a2, r3.center()[1]], &s1),
        Some(DropTarget::Story {
            step: f.steps[1].clone(),
            release: Some(f.rels[1].clone()),
            index: 0
        })
    );
    assert_eq!(layout.drop_story(&map, [0.0, 0.0], &s1), None);
    // Activity B dragged left of A goes first.
    assert_eq!(
        layout.drop_activity([layout.bounds.x, 0.0], &f.acts[1]),
        DropTarget::Activity { index: 0 }
    );
    // R2 dragged above MVP's centre goes first.
    let top = layout.releases[0].rect.y + 1.0;
    assert_eq!(
        layout.drop_release([0.0, top], &f.rels[1]),
        DropTarget::Release { index: 0 }
    );
    assert_eq!(
        layout.drop_step(&map, [a2 + 1.0, 0.0], &f.steps[0]),
        Some(DropTarget::Step {
            activity: f.acts[0].clone(),
            index: 1
        })
    );

    // Collapsing MVP and filtering to tech debt hides stories for this viewer only.
    let options = ViewOptions {
        collapsed_releases: [Some(f.rels[0].clone())].into(),
        filter: Filter {
            story_type: Some(StoryType::Feature),
            ..Filter::default()
        },
        ..ViewOptions::default()
    };
    let narrowed = MapLayout::compute(&map, &snap, &options);
    let shown: Vec<_> = narrowed.stories.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(shown, std::slice::from_ref(&s3));
    assert_eq!(narrowed.hidden.len(), 2);
    assert!(narrowed.releases[0].rect.h < layout.releases[0].rect.h);
}

#[test]
fn placing_checks_kinds_and_maps() {
    let f = fixture();
    let other = {
        let mut txn = f.board.transact_mut();
        f.board
            .create_story_map(&mut txn, [0.0, 2000.0], "Other", "", 0.0)
            .expect("map")
    };
    let mut txn = f.board.transact_mut();
    let note = f
        .board
        .create_note(&mut txn, NewNote::default())
        .expect("note");
    let foreign = f
        .board
        .add_release(&mut txn, &other, None, "X", "", 0.0)
        .expect("release");
    assert!(
        f.board
            .place_story(&mut txn, &note, &f.steps[0], Some(&foreign), None)
            .is_err()
    );
    assert!(
        f.board
            .place_story(&mut txn, &note, &f.acts[0], None, None)
            .is_err()
    );
    assert!(
        f.board
            .place_story(&mut txn, &f.steps[1], &f.steps[0], None, None)
            .is_err()
    );
    assert!(
        f.board
            .add_step(&mut txn, &f.map, None, "x", "", 0.0)
            .is_err()
    );
    f.board
        .place_story(&mut txn, &note, &f.steps[0], None, None)
        .expect("unscheduled");
    f.board
        .unplace_story(&mut txn, &note, [5.0, 6.0])
        .expect("out");
    let item = f.board.item_snapshot(&txn, &note).expect("note");
    assert_eq!((item.place, item.pos), (None, [5.0, 6.0]));
}
