//! Copy, paste and duplicate through the public API, and parsing of hostile clipboard text.

use huddle_shared::model::{
    Board, CLIP_VERSION, Clip, ClipError, ClipItem, ItemKind, MAX_CLIP_BYTES, MAX_CLIP_ITEMS,
    NewNote, StoryFields, StoryType,
};
use huddle_shared::wire::DEFAULT_MAX_FRAME_BYTES;
use proptest::prelude::*;
use yrs::Transact;

struct Fixture {
    board: Board,
    a: String,
    b: String,
    outside: String,
    ab: String,
}

/// Notes `a`, `b`, `outside`, connectors a->b and b->outside.
fn fixture() -> Fixture {
    let board = Board::with_client_id(1);
    let mut txn = board.transact_local();
    let mut note = |x: f64, text: &str| {
        let note = NewNote {
            pos: [x, 10.0],
            text: text.into(),
            tags: vec!["t".into()],
            author: "ann".into(),
            ..Default::default()
        };
        board.create_note(&mut txn, note).expect("note")
    };
    let (a, b, outside) = (note(0.0, "A"), note(300.0, "B 🙂"), note(600.0, "C"));
    let ab = board
        .create_connector(&mut txn, &a, &b, "ann", 1.0)
        .expect("ab");
    board
        .create_connector(&mut txn, &b, &outside, "ann", 1.0)
        .expect("bc");
    drop(txn);
    Fixture {
        board,
        a,
        b,
        outside,
        ab,
    }
}

#[test]
fn copy_takes_connectors_whose_two_ends_are_copied() {
    let f = fixture();
    let txn = f.board.doc().transact();
    let clip = f
        .board
        .copy(&txn, &[f.b.clone(), f.a.clone(), "gone".into()]);
    let ids: Vec<&str> = clip.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [&f.a, &f.b, &f.ab],
        "stacking order, the a->b arrow included"
    );
    assert_eq!(clip.items[1].text, "B 🙂");
    assert_eq!(clip.items[2].from.as_deref(), Some(f.a.as_str()));
    assert_eq!(clip.items[2].pos, None);
    let alone = f.board.copy(&txn, &[f.ab.clone(), f.outside.clone()]);
    assert_eq!(
        alone.items.len(),
        1,
        "an arrow without both ends is not copied"
    );

    let json = clip.to_json();
    assert!(json.starts_with(r#"{"huddle_clip":1,"items":["#), "{json}");
    assert_eq!(Clip::from_json(&json), Ok(clip));
}

#[test]
fn paste_makes_new_items_on_top_with_connectors_rewired() {
    let f = fixture();
    let clip = f
        .board
        .copy(&f.board.doc().transact(), &[f.a.clone(), f.b.clone()]);
    let other = Board::with_client_id(2);
    for board in [&f.board, &other] {
        let before = board.snapshot(&board.doc().transact());
        let mut txn = board.transact_local();
        let new = board
            .paste(&mut txn, &clip, [5.0, -5.0], "bo", 99.0)
            .expect("paste");
        assert_eq!(new.len(), 3);
        let after = board.snapshot(&txn);
        assert_eq!(after.items.len(), before.items.len() + 3);
        let (a, b, ab) = (
            &after.items[&new[0]],
            &after.items[&new[1]],
            &after.items[&new[2]],
        );
        assert!(new.iter().all(|id| !before.items.contains_key(id)));
        assert_eq!(
            (a.pos, a.text.as_str(), a.author.as_str()),
            ([5.0, 5.0], "A", "bo")
        );
        assert_eq!(
            (b.pos, b.text.as_str(), b.created_at),
            ([305.0, 5.0], "B 🙂", 99.0)
        );
        assert_eq!(b.tags, ["t"]);
        assert_eq!(ab.kind, ItemKind::Connector);
        assert_eq!(
            (ab.from.as_deref(), ab.to.as_deref()),
            (Some(new[0].as_str()), Some(new[1].as_str()))
        );
        let order: Vec<&String> = after.items_by_z().into_iter().map(|(id, _)| id).collect();
        assert_eq!(&order[order.len() - 3..], [&new[0], &new[1], &new[2]]);
    }
}

#[test]
fn duplicate_is_one_undo_step() {
    let f = fixture();
    let mut undo = f.board.undo_manager(|| 0);
    let new = {
        let mut txn = f.board.transact_local();
        let ids = [f.a.clone(), f.b.clone(), f.outside.clone()];
        f.board
            .duplicate(&mut txn, &ids, [24.0, 24.0], "ann", 2.0)
            .expect("duplicate")
    };
    assert_eq!(new.len(), 5, "three notes and both arrows");
    assert_eq!(f.board.item_count(&f.board.doc().transact()), 10);
    assert!(undo.undo_blocking());
    assert_eq!(f.board.item_count(&f.board.doc().transact()), 5);
}

fn item(id: &str) -> ClipItem {
    ClipItem {
        id: id.into(),
        kind: ItemKind::Note,
        pos: Some([0.0, 0.0]),
        size: Some([100.0, 100.0]),
        text: String::new(),
        color: "blue".into(),
        tags: Vec::new(),
        from: None,
        to: None,
        story: Default::default(),
    }
}

#[test]
fn hostile_clips_are_refused() {
    let not_a_clip = [
        "",
        "null",
        "[]",
        r#"{"items": []}"#,
        r#"{"huddle_clip": -1, "items": []}"#,
        r#"{"huddle_clip": 1, "items": [{"id": "x", "kind": "note", "pos": [1e999, 0]}]}"#,
        r#"{"huddle_clip": 1, "items": [{"id": "x", "kind": "note", "pos": [0]}]}"#,
        r#"{"huddle_clip": 1, "items": [{"id": "x", "kind": 3}]}"#,
    ];
    for json in not_a_clip {
        assert!(
            matches!(Clip::from_json(json), Err(ClipError::NotAClip(_))),
            "{json}"
        );
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Clip::from_json(&deep).is_err());
    assert!(matches!(
        Clip::from_json(r#"{"huddle_clip": 2, "items": []}"#),
        Err(ClipError::Version(2))
    ));
    let huge = format!(
        r#"{{"huddle_clip":1,"items":[],"pad":"{}"}}"#,
        "x".repeat(MAX_CLIP_BYTES)
    );
    assert!(matches!(
        Clip::from_json(&huge),
        Err(ClipError::TooLarge { .. })
    ));

    let clip = |items: Vec<ClipItem>| Clip {
        huddle_clip: CLIP_VERSION,
        items,
    };
    let many = clip((0..=MAX_CLIP_ITEMS).map(|i| item(&i.to_string())).collect());
    assert!(matches!(
        Clip::from_json(&many.to_json()),
        Err(ClipError::TooManyItems { .. })
    ));
    let mut bad: Vec<ClipItem> = Vec::new();
    let mut push = |f: &dyn Fn(&mut ClipItem)| {
        let mut i = item("x");
        f(&mut i);
        bad.push(i);
    };
    push(&|i| i.text = "x".repeat(10_001));
    push(&|i| i.size = Some([0.0, 10.0]));
    push(&|i| i.size = Some([-1.0, 10.0]));
    push(&|i| i.pos = None);
    push(&|i| i.id = String::new());
    push(&|i| i.tags = vec!["t".into(); 21]);
    push(&|i| i.color = "c".repeat(65));
    push(&|i| i.story.estimate = Some(-2.0));
    push(&|i| i.story.description = Some("d".repeat(10_001)));
    push(&|i| {
        i.kind = ItemKind::Connector;
        i.from = Some("a".into());
        i.to = Some("a".into());
    });
    for i in bad {
        let json = clip(vec![i.clone()]).to_json();
        assert!(
            matches!(Clip::from_json(&json), Err(ClipError::BadItem { .. })),
            "{i:?}"
        );
        let board = Board::new();
        let pasted = board.paste(&mut board.transact_mut(), &clip(vec![i]), [0.0; 2], "", 0.0);
        assert!(pasted.is_err(), "paste checks too");
    }
    let twins = clip(vec![item("x"), item("x")]);
    assert!(matches!(
        twins.check(),
        Err(ClipError::BadItem { index: 1, .. })
    ));

    let board = Board::new();
    let mut txn = board.transact_mut();
    let ok = clip(vec![item("x")]);
    let result = board.paste(&mut txn, &ok, [f64::INFINITY, 0.0], "", 0.0);
    assert!(matches!(result, Err(ClipError::BadOffset(_))));
    assert_eq!(board.item_count(&txn), 0);
}

#[test]
fn a_copied_story_keeps_its_fields_but_not_its_place() {
    let board = Board::with_client_id(1);
    let mut txn = board.transact_mut();
    let map = board
        .create_story_map(&mut txn, [0.0, 0.0], "Map", "", 0.0)
        .expect("map");
    let activity = board
        .add_activity(&mut txn, &map, None, "A", "", 0.0)
        .expect("activity");
    let step = board
        .add_step(&mut txn, &activity, None, "S", "", 0.0)
        .expect("step");
    let note = board
        .create_note(&mut txn, NewNote::default())
        .expect("note");
    let fields = StoryFields {
        estimate: Some(5.0),
        story_type: Some(StoryType::Bug),
        persona: Some("Admin".into()),
        ..StoryFields::default()
    };
    board
        .set_story_fields(&mut txn, &note, &fields)
        .expect("fields");
    board
        .place_story(&mut txn, &note, &step, None, None)
        .expect("place");
    let clip =
        Clip::from_json(&board.copy(&txn, std::slice::from_ref(&note)).to_json()).expect("parses");
    let new = board
        .paste(&mut txn, &clip, [10.0, 10.0], "", 0.0)
        .expect("paste");
    let copy = board.item_snapshot(&txn, &new[0]).expect("pasted");
    assert_eq!(copy.story, fields);
    assert_eq!(copy.place, None, "the copy is a free note");
}

#[test]
fn unknown_kinds_and_loose_connectors_are_skipped_on_paste() {
    let mut sticker = item("s");
    sticker.kind = ItemKind::Other("sticker".into());
    let mut arrow = item("c");
    arrow.kind = ItemKind::Connector;
    arrow.from = Some("n".into());
    arrow.to = Some("elsewhere".into());
    let mut odd = item("n");
    odd.color = "chartreuse".into();
    let clip = Clip {
        huddle_clip: CLIP_VERSION,
        items: vec![sticker, odd, arrow],
    };
    let clip = Clip::from_json(&clip.to_json()).expect("valid");
    let board = Board::new();
    let mut txn = board.transact_mut();
    let new = board
        .paste(&mut txn, &clip, [0.0; 2], "", 0.0)
        .expect("paste");
    assert_eq!(new.len(), 1);
    let note = board.item_snapshot(&txn, &new[0]).expect("note");
    assert_eq!(note.color, "yellow", "unknown colours become the default");
}

#[test]
fn the_largest_paste_fits_in_one_wire_frame() {
    // As many items as allowed, with text filling the clip up to its byte limit.
    let per_item = MAX_CLIP_BYTES / MAX_CLIP_ITEMS;
    let mut items: Vec<ClipItem> = (0..MAX_CLIP_ITEMS)
        .map(|i| {
            let mut it = item(&format!("{i:016}"));
            it.tags = vec!["tag".into(); 3];
            it
        })
        .collect();
    let base = Clip {
        huddle_clip: CLIP_VERSION,
        items: items.clone(),
    }
    .to_json()
    .len();
    let room = (MAX_CLIP_BYTES - base) / MAX_CLIP_ITEMS;
    assert!(room > 0 && room < per_item);
    for it in &mut items {
        it.text = "é".repeat(room / 2);
    }
    let clip = Clip {
        huddle_clip: CLIP_VERSION,
        items,
    };
    let json = clip.to_json();
    assert!(json.len() <= MAX_CLIP_BYTES, "{}", json.len());
    let clip = Clip::from_json(&json).expect("valid");
    let board = Board::new();
    let mut txn = board.transact_mut();
    board
        .paste(&mut txn, &clip, [0.0; 2], "a name", 0.0)
        .expect("paste");
    let update = txn.encode_update_v1();
    assert!(
        update.len() < DEFAULT_MAX_FRAME_BYTES,
        "{} bytes of update",
        update.len()
    );
}

proptest! {
    /// Arbitrary text never panics the parser.
    #[test]
    fn arbitrary_text_is_parsed_or_refused(s in ".{0,300}") {
        let _ = Clip::from_json(&s);
    }

    /// Valid clip JSON with bytes flipped: refused, or accepted and pastable.
    #[test]
    fn mutated_clips_paste_or_are_refused(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let f = fixture();
        let ids = f.board.item_ids(&f.board.doc().transact());
        let mut json = f.board.copy(&f.board.doc().transact(), &ids).to_json().into_bytes();
        for (at, byte) in flips {
            let at = at % json.len();
            json[at] = byte;
        }
        let Ok(text) = String::from_utf8(json) else { return Ok(()) };
        if let Ok(clip) = Clip::from_json(&text) {
            let board = Board::new();
            let pasted = board.paste(&mut board.transact_mut(), &clip, [1.0, 1.0], "", 0.0);
            prop_assert!(pasted.is_ok());
        }
    }
}
