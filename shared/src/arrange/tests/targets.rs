//! Clusters, frames, what is skipped, and one undo step per operation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use yrs::Transact;

use super::*;
use crate::arrange::*;
use crate::model::{Board, Color, ItemKind, ModelError, StoryFields, UNDO_CAPTURE_MS};
#[test]
fn clusters_by_tag_under_labels_and_replaces_old_labels() {
    let board = Board::with_client_id(1);
    let tagged = |x: f64, tags: &'static [&'static str]| {
        note(
            &board,
            Spec {
                pos: [x, 0.0],
                tags,
                ..Spec::default()
            },
        )
    };
    let ids = [
        tagged(0.0, &["ux"]),
        tagged(300.0, &[]),
        tagged(600.0, &["Auth"]),
        tagged(900.0, &["auth", "ux"]),
        tagged(1200.0, &["ux"]),
    ];
    let refs: Vec<&String> = ids.iter().collect();
    let done = arrange(&board, &items(&refs), Op::Cluster(ClusterKey::Tag));
    let label_texts = |labels: &[String]| -> Vec<(String, Point)> {
        let txn = board.doc().transact();
        labels
            .iter()
            .map(|id| {
                let l = board.item_snapshot(&txn, id).expect("label");
                assert_eq!(l.kind, ItemKind::Text);
                (l.text, l.pos)
            })
            .collect()
    };
    let labels = label_texts(&done.labels);
    let texts: Vec<&str> = labels.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(texts, ["#Auth (2)", "#ux (2)", "untagged (1)"]);
    // Groups left to right, each under its label; a group of two is one row of two.
    let label_h = crate::model::DEFAULT_LABEL_SIZE[1] + LABEL_GAP;
    assert_eq!(labels[0].1, [0.0, 0.0]);
    assert_eq!(pos(&board, &ids[2]), [0.0, label_h]);
    assert_eq!(pos(&board, &ids[3]), [W + GAP, label_h]);
    let second = 2.0 * W + GAP + GROUP_GAP;
    assert_eq!(labels[1].1, [second, 0.0]);
    assert_eq!(pos(&board, &ids[0]), [second, label_h]);
    assert_eq!(pos(&board, &ids[4]), [second + W + GAP, label_h]);
    assert_eq!(labels[2].1, [2.0 * second, 0.0]);
    assert_eq!(pos(&board, &ids[1]), [2.0 * second, label_h]);

    // Clustering the notes and the labels again replaces the labels, not stacks them.
    let mut all = ids.to_vec();
    all.extend(done.labels.iter().cloned());
    let again = arrange(&board, &Target::Items(all), Op::Cluster(ClusterKey::Tag));
    assert_eq!(again.removed.len(), 3);
    assert_eq!(again.labels.len(), 3);
    let snapshot = board.snapshot(&board.doc().transact());
    let count = snapshot
        .items
        .values()
        .filter(|i| i.kind == ItemKind::Text)
        .count();
    assert_eq!(count, 3);
}

#[test]
fn clusters_by_colour_in_palette_order() {
    let board = Board::with_client_id(1);
    let coloured = |x: f64, color| {
        note(
            &board,
            Spec {
                pos: [x, 0.0],
                color,
                ..Spec::default()
            },
        )
    };
    let ids = [
        coloured(0.0, Color::Blue),
        coloured(300.0, Color::Orange),
        coloured(600.0, Color::Blue),
    ];
    let refs: Vec<&String> = ids.iter().collect();
    let done = arrange(&board, &items(&refs), Op::Cluster(ClusterKey::Color));
    let txn = board.doc().transact();
    let texts: Vec<String> = done
        .labels
        .iter()
        .map(|id| board.item_snapshot(&txn, id).expect("label").text)
        .collect();
    assert_eq!(texts, ["orange (1)", "blue (2)"]);
    drop(txn);
    assert!(pos(&board, &ids[1])[0] < pos(&board, &ids[0])[0]);
}

#[test]
fn a_frame_target_arranges_its_contents_inside_and_grows_to_fit() {
    let board = Board::with_client_id(1);
    let frame = {
        let mut txn = board.transact_mut();
        board
            .create_frame(
                &mut txn,
                [1000.0, 1000.0],
                Some([700.0, 300.0]),
                "F",
                "",
                0.0,
            )
            .expect("frame")
    };
    let inside: Vec<String> = (0..5)
        .map(|i| at(&board, 1030.0 + 100.0 * i as f64, 1100.0 + 10.0 * i as f64))
        .collect();
    {
        let mut txn = board.transact_mut();
        for id in &inside {
            board
                .resize_item(&mut txn, id, [100.0, 100.0])
                .expect("size");
        }
    }
    let outside = at(&board, 0.0, 0.0);
    let target = Target::of_selection(
        &board.snapshot(&board.doc().transact()),
        std::slice::from_ref(&frame),
    );
    assert_eq!(target, Target::Frame(frame.clone()));
    let done = arrange(&board, &target, Op::Tidy);
    // 652 of room across: five columns of 100 with gaps of 20.
    let origin = [
        1000.0 + FRAME_PADDING,
        1000.0 + FRAME_TITLE_BAND + FRAME_PADDING,
    ];
    for (i, id) in inside.iter().enumerate() {
        assert_eq!(pos(&board, id), [origin[0] + 120.0 * i as f64, origin[1]]);
    }
    assert_eq!(pos(&board, &outside), [0.0, 0.0]);
    assert_eq!(pos(&board, &frame), [1000.0, 1000.0], "the frame stays");
    assert_eq!(done.grown, None);

    // Labels of a cluster push the contents down: the frame grows to hold them.
    let done = arrange(&board, &target, Op::Cluster(ClusterKey::Tag));
    let (_, size) = done.grown.expect("grown");
    // Label (48 + 12), two rows of 100 with a gap of 20, padding 24 below.
    assert_eq!(
        size,
        [
            700.0,
            FRAME_TITLE_BAND + FRAME_PADDING + 60.0 + 220.0 + FRAME_PADDING
        ]
    );
    let txn = board.doc().transact();
    assert_eq!(board.frame_contents(&txn, &frame).len(), 6, "all inside");
}

#[test]
fn frames_carry_their_contents_and_map_parts_connectors_and_placed_notes_stay() {
    let board = Board::with_client_id(1);
    let (frame, map, step) = {
        let mut txn = board.transact_mut();
        let frame = board
            .create_frame(&mut txn, [0.0, 500.0], Some([400.0, 400.0]), "F", "", 0.0)
            .expect("frame");
        let map = board
            .create_story_map(&mut txn, [2000.0, 0.0], "M", "", 0.0)
            .expect("map");
        let act = board
            .add_activity(&mut txn, &map, None, "A", "", 0.0)
            .expect("a");
        let step = board
            .add_step(&mut txn, &act, None, "s", "", 0.0)
            .expect("s");
        (frame, map, step)
    };
    let held = at(&board, 50.0, 600.0);
    let free = at(&board, 600.0, 0.0);
    let placed = at(&board, 900.0, 0.0);
    let arrow = {
        let mut txn = board.transact_mut();
        board
            .place_story(&mut txn, &placed, &step, None, None)
            .expect("place");
        board
            .create_connector(&mut txn, &free, &held, "", 0.0)
            .expect("arrow")
    };
    let everything: Vec<String> = board
        .snapshot(&board.doc().transact())
        .items
        .into_keys()
        .collect();
    let before: Vec<Point> = [&map, &step, &placed]
        .iter()
        .map(|id| pos(&board, id))
        .collect();
    let done = arrange(&board, &Target::Items(everything), Op::Align(Align::Top));
    let after: Vec<Point> = [&map, &step, &placed]
        .iter()
        .map(|id| pos(&board, id))
        .collect();
    assert_eq!(before, after, "the story map lays these out");
    assert!(!done.moved.contains(&arrow));
    // The frame (top 500) and the free note (top 0) line up; the note in the frame rides along.
    assert_eq!(pos(&board, &frame), [0.0, 0.0]);
    assert_eq!(pos(&board, &held), [50.0, 100.0]);
    assert_eq!(pos(&board, &free), [600.0, 0.0]);
    assert_eq!(done.moved, {
        let mut m = vec![frame.clone(), held.clone()];
        m.sort();
        m
    });
}

#[test]
fn a_missing_or_wrong_frame_is_refused() {
    let board = Board::with_client_id(1);
    let n = at(&board, 0.0, 0.0);
    let mut txn = board.transact_mut();
    assert!(matches!(
        board.arrange(&mut txn, &Target::Frame(n), Op::Tidy, "", 0.0),
        Err(ModelError::WrongKind { .. })
    ));
    assert!(matches!(
        board.arrange(&mut txn, &Target::Frame("gone".into()), Op::Tidy, "", 0.0),
        Err(ModelError::NoSuchItem(_))
    ));
}

#[test]
fn every_operation_is_one_undo_step() {
    let ops = [
        Op::Sort(SortKey::Color),
        Op::Sort(SortKey::Tag),
        Op::Sort(SortKey::Author),
        Op::Sort(SortKey::Estimate),
        Op::Sort(SortKey::Text),
        Op::Sort(SortKey::Votes),
        Op::Cluster(ClusterKey::Tag),
        Op::Cluster(ClusterKey::Color),
        Op::Tidy,
        Op::Align(Align::Left),
        Op::Align(Align::Right),
        Op::Align(Align::Top),
        Op::Align(Align::Bottom),
        Op::Align(Align::CenterHorizontal),
        Op::Align(Align::CenterVertical),
        Op::Distribute(Axis::Horizontal),
        Op::Distribute(Axis::Vertical),
    ];
    for op in ops {
        let board = Board::with_client_id(1);
        let t = Arc::new(AtomicU64::new(1));
        let mut undo =
            board.undo_manager(move || t.fetch_add(UNDO_CAPTURE_MS + 1, AtomicOrdering::Relaxed));
        let ids = [
            note(
                &board,
                Spec {
                    pos: [700.0, 10.0],
                    color: Color::Blue,
                    text: "b",
                    tags: &["x"],
                    author: "b",
                },
            ),
            note(
                &board,
                Spec {
                    pos: [0.0, 400.0],
                    color: Color::Red,
                    text: "a",
                    tags: &["y"],
                    author: "a",
                },
            ),
            note(
                &board,
                Spec {
                    pos: [300.0, 900.0],
                    color: Color::Yellow,
                    text: "c",
                    ..Spec::default()
                },
            ),
        ];
        let refs: Vec<&String> = ids.iter().collect();
        for (i, id) in ids.iter().enumerate() {
            let fields = StoryFields {
                estimate: Some(3.0 - i as f64),
                ..StoryFields::default()
            };
            board
                .set_story_fields(&mut board.transact_mut(), id, &fields)
                .expect("fields");
        }
        let before = board.snapshot(&board.doc().transact());
        let done = arrange(&board, &items(&refs), op);
        assert!(!done.moved.is_empty(), "{op:?} moved nothing");
        assert_ne!(board.snapshot(&board.doc().transact()), before);
        assert_eq!(undo.undo_stack().len(), 1, "{op:?}");
        assert!(board.undo(&mut undo));
        assert_eq!(board.snapshot(&board.doc().transact()), before, "{op:?}");
    }
}
