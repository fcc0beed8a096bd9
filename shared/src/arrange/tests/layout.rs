//! Orders, grids, align and distribute.

use std::cmp::Ordering;

use super::*;
use crate::arrange::*;
use crate::model::{Board, Color, StoryFields};
#[test]
fn natural_order_reads_numbers_as_numbers() {
    assert_eq!(natural_cmp("Story 2", "Story 10"), Ordering::Less);
    assert_eq!(natural_cmp("story 10", "Story 9"), Ordering::Greater);
    assert_eq!(natural_cmp("apple", "Banana"), Ordering::Less);
    assert_eq!(
        natural_cmp("v2", "v02"),
        Ordering::Greater,
        "total: exact spelling last"
    );
    assert_eq!(natural_cmp("A", "a"), Ordering::Less);
    assert_eq!(natural_cmp("x", "x"), Ordering::Equal);
    assert_eq!(natural_cmp("x", "x1"), Ordering::Less);
    assert_eq!(natural_cmp("9", "10"), Ordering::Less);
}

#[test]
fn sort_by_colour_lays_a_grid_from_the_top_left_in_palette_order() {
    let board = Board::with_client_id(1);
    let colours = [
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Red,
        Color::Yellow,
    ];
    let ids: Vec<String> = colours
        .iter()
        .enumerate()
        .map(|(i, c)| {
            note(
                &board,
                Spec {
                    pos: [500.0 - 90.0 * i as f64, 40.0 * i as f64],
                    color: *c,
                    ..Spec::default()
                },
            )
        })
        .collect();
    let refs: Vec<&String> = ids.iter().collect();
    let done = arrange(&board, &items(&refs), Op::Sort(SortKey::Color));
    assert!(!done.moved.is_empty());
    // Yellow twice (ties by id), red, blue, green; 3 columns (ceil sqrt 5) from (140, 0).
    let mut yellows = [ids[1].clone(), ids[4].clone()];
    yellows.sort();
    let expected = [&yellows[0], &yellows[1], &ids[3], &ids[2], &ids[0]];
    let origin = [500.0 - 90.0 * 4.0, 0.0];
    for (i, id) in expected.iter().enumerate() {
        let cell = [(i % 3) as f64, (i / 3) as f64];
        assert_eq!(
            pos(&board, id),
            [
                origin[0] + cell[0] * (W + GAP),
                origin[1] + cell[1] * (W + GAP)
            ],
            "item {i}"
        );
    }
}

#[test]
fn sorts_by_tag_author_estimate_and_text_with_unset_last() {
    let board = Board::with_client_id(1);
    let specs = [
        ("Story 10", &["ux"][..], "bo", Some(5.0)),
        ("story 2", &["API"][..], "", Some(1.0)),
        ("", &[][..], "Ann", None),
        ("Story 9", &["auth", "api"][..], "cy", Some(3.0)),
    ];
    let ids: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, (text, tags, author, estimate))| {
            let id = note(
                &board,
                Spec {
                    pos: [300.0 * i as f64, 0.0],
                    text,
                    tags,
                    author,
                    ..Spec::default()
                },
            );
            let fields = StoryFields {
                estimate: *estimate,
                ..StoryFields::default()
            };
            board
                .set_story_fields(&mut board.transact_mut(), &id, &fields)
                .expect("fields");
            id
        })
        .collect();
    let refs: Vec<&String> = ids.iter().collect();
    let cases = [
        (SortKey::Tag, [1, 3, 0, 2]),
        (SortKey::Author, [2, 0, 3, 1]),
        (SortKey::Estimate, [1, 3, 0, 2]),
        (SortKey::Text, [1, 3, 0, 2]),
    ];
    for (key, order) in cases {
        arrange(&board, &items(&refs), Op::Sort(key));
        let expected: Vec<String> = order.iter().map(|i| ids[*i].clone()).collect();
        assert_eq!(read(&board, &refs), expected, "{key:?}");
    }
}

#[test]
fn tidy_keeps_the_reading_order_of_a_crooked_layout() {
    let board = Board::with_client_id(1);
    // Two crooked rows: a b c / d e f (b sits a little higher than a).
    let spots = [
        [0.0, 10.0],
        [260.0, 0.0],
        [500.0, 30.0],
        [20.0, 300.0],
        [240.0, 320.0],
        [520.0, 280.0],
    ];
    let ids: Vec<String> = spots.iter().map(|p| at(&board, p[0], p[1])).collect();
    let refs: Vec<&String> = ids.iter().collect();
    arrange(&board, &items(&refs), Op::Tidy);
    assert_eq!(read(&board, &refs), ids);
    assert_eq!(pos(&board, &ids[0]), [0.0, 0.0]);
    assert_eq!(pos(&board, &ids[2]), [2.0 * (W + GAP), 0.0]);
    assert_eq!(pos(&board, &ids[3]), [0.0, W + GAP]);
    let again = arrange(&board, &items(&refs), Op::Tidy);
    assert!(again.is_empty(), "a tidy grid is already tidy: {again:?}");
}

#[test]
fn aligns_on_each_edge_and_centre() {
    let board = Board::with_client_id(1);
    let a = at(&board, 0.0, 0.0);
    let b = note(
        &board,
        Spec {
            pos: [300.0, 100.0],
            ..Spec::default()
        },
    );
    {
        let mut txn = board.transact_mut();
        board
            .resize_item(&mut txn, &b, [100.0, 50.0])
            .expect("resize");
    }
    let target = items(&[&a, &b]);
    let cases = [
        (Align::Left, [0.0, 0.0], [0.0, 100.0]),
        (Align::Right, [200.0, 0.0], [300.0, 100.0]),
        (Align::Top, [0.0, 0.0], [300.0, 0.0]),
        (Align::Bottom, [0.0, 0.0], [300.0, 150.0]),
        (Align::CenterHorizontal, [100.0, 0.0], [150.0, 100.0]),
        (Align::CenterVertical, [0.0, 0.0], [300.0, 75.0]),
    ];
    for (edge, pa, pb) in cases {
        {
            let mut txn = board.transact_mut();
            let back = [(a.clone(), [0.0, 0.0]), (b.clone(), [300.0, 100.0])];
            board.move_items(&mut txn, &back).expect("reset");
        }
        arrange(&board, &target, Op::Align(edge));
        assert_eq!((pos(&board, &a), pos(&board, &b)), (pa, pb), "{edge:?}");
    }
}

#[test]
fn distributes_with_equal_gaps_keeping_the_ends() {
    let board = Board::with_client_id(1);
    let ids = [
        at(&board, 0.0, 0.0),
        at(&board, 1000.0, 500.0),
        at(&board, 250.0, 30.0),
        at(&board, 260.0, 90.0),
    ];
    let refs: Vec<&String> = ids.iter().collect();
    arrange(&board, &items(&refs), Op::Distribute(Axis::Horizontal));
    // Span 0..1200 holds 800 of notes: gaps of 400 / 3.
    let gap = 400.0 / 3.0;
    assert_eq!(pos(&board, &ids[0]), [0.0, 0.0]);
    assert_eq!(pos(&board, &ids[2]), [W + gap, 30.0]);
    assert_eq!(pos(&board, &ids[3]), [2.0 * (W + gap), 90.0]);
    assert_eq!(pos(&board, &ids[1]), [1000.0, 500.0]);
    arrange(&board, &items(&refs), Op::Distribute(Axis::Vertical));
    // Span 0..700 holds 800: the gaps are negative (overlap), still equal.
    let gap = -100.0 / 3.0;
    assert_eq!(pos(&board, &ids[2])[1], W + gap);
    assert_eq!(pos(&board, &ids[3])[1], 2.0 * (W + gap));
    let two = arrange(&board, &items(&refs[..2]), Op::Distribute(Axis::Vertical));
    assert!(two.is_empty(), "two items have nothing to distribute");
}

#[test]
fn every_replica_plans_the_same_whatever_order_it_lists_the_items_in() {
    let board = Board::with_client_id(1);
    let mut rng = fastrand::Rng::with_seed(7);
    let colours = Color::ALL;
    for i in 0..24 {
        let tags: &'static [&'static str] = [&["a"][..], &["B"][..], &[][..]][i % 3];
        let text = ["Story 2", "story 10", "x", ""][i % 4];
        note(
            &board,
            Spec {
                // Ties on purpose: several notes share a place, a colour, a tag, a text.
                pos: [
                    f64::from(rng.u8(0..4)) * 150.0,
                    f64::from(rng.u8(0..4)) * 150.0,
                ],
                color: colours[i % 3],
                text,
                tags,
                author: ["ann", "Bo"][i % 2],
            },
        );
    }
    let snapshot = board.snapshot(&board.doc().transact());
    let pieces: Vec<Piece> = snapshot
        .items
        .iter()
        .map(|(id, item)| Piece { id, item, votes: 0 })
        .collect();
    let ops = [
        Op::Sort(SortKey::Color),
        Op::Sort(SortKey::Tag),
        Op::Sort(SortKey::Author),
        Op::Sort(SortKey::Text),
        Op::Cluster(ClusterKey::Tag),
        Op::Cluster(ClusterKey::Color),
        Op::Tidy,
        Op::Align(Align::Bottom),
        Op::Distribute(Axis::Horizontal),
    ];
    for op in ops {
        let want = plan(op, &pieces, Area::Selection);
        assert!(!want.moves.is_empty(), "{op:?}");
        for _ in 0..20 {
            let mut shuffled = pieces.clone();
            rng.shuffle(&mut shuffled);
            assert_eq!(plan(op, &shuffled, Area::Selection), want, "{op:?}");
        }
    }
}
