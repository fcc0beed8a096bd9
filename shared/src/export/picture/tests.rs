use super::*;
use crate::model::{BoardSnapshot, ItemKind, ItemSnapshot, MetaSnapshot};

/// Every character is half the font size wide.
struct Mono;
impl Measure for Mono {
    fn width(&self, text: &str, size: f64, _bold: bool) -> f64 {
        text.chars().count() as f64 * size * 0.5
    }
}

fn item(
    kind: ItemKind,
    pos: [f64; 2],
    size: [f64; 2],
    text: &str,
    color: &str,
    z: &str,
) -> ItemSnapshot {
    ItemSnapshot {
        kind,
        pos,
        size,
        text: text.into(),
        color: color.into(),
        tags: Vec::new(),
        author: String::new(),
        created_at: 0.0,
        z: z.into(),
        from: None,
        to: None,
        place: None,
        story: Default::default(),
        raci: None,
    }
}

fn board(items: Vec<(&str, ItemSnapshot)>) -> BoardSnapshot {
    BoardSnapshot {
        meta: MetaSnapshot {
            title: "Plan".into(),
            created_at: 0.0,
            template: None,
        },
        items: items.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        rounds: Default::default(),
        decisions: Vec::new(),
        facilitation: Default::default(),
        locks: Default::default(),
        comments: Vec::new(),
    }
}

fn sample() -> BoardSnapshot {
    let mut a = item(
        ItemKind::Note,
        [0.0, 0.0],
        [200.0, 200.0],
        "Pay with saved card & more",
        "blue",
        "a0",
    );
    a.tags = vec!["payments".into()];
    let b = item(
        ItemKind::Note,
        [400.0, 0.0],
        [200.0, 200.0],
        "Refunds",
        "green",
        "a1",
    );
    let f = item(
        ItemKind::Frame,
        [-50.0, -50.0],
        [300.0, 300.0],
        "Sprint 1",
        "yellow",
        "0",
    );
    let mut c = item(ItemKind::Connector, [0.0, 0.0], [0.0, 0.0], "", "", "a2");
    c.from = Some("a".into());
    c.to = Some("b".into());
    board(vec![("a", a), ("b", b), ("f", f), ("c", c)])
}

#[test]
fn the_board_has_every_item_with_its_colour_and_text() {
    let p = render(&sample(), &Scope::Board, &Mono).unwrap();
    // Frame at -50,-50 to 600,200 wide plus the margin.
    assert_eq!(
        p.view,
        [
            -50.0 - MARGIN,
            -50.0 - MARGIN,
            650.0 + 2.0 * MARGIN,
            303.0 + 2.0 * MARGIN - 3.0
        ]
    );
    assert!(p.svg.contains("data-id=\"a\""), "{}", p.svg);
    assert!(p.svg.contains("#90caf9"), "blue note");
    assert!(p.svg.contains("#c5e1a5"), "green note");
    // 176 px of line at 8 px a character: "more" goes to the second line.
    assert!(p.svg.contains(">Pay with saved card &amp;<"), "{}", p.svg);
    assert!(p.svg.contains(">more<"));
    assert!(p.svg.contains(">#payments<"));
    assert!(p.svg.contains(">Sprint 1<"));
    assert!(p.svg.contains("<line"), "the connector");
    // The frame is below the notes (stacking order).
    assert!(p.svg.find("data-id=\"f\"") < p.svg.find("data-id=\"a\""));
}

#[test]
fn text_wraps_to_the_note() {
    let mut b = sample();
    b.items.get_mut("a").unwrap().text = "one two three four five six seven eight".into();
    let p = render(&b, &Scope::Items(vec!["a".into()]), &Mono).unwrap();
    // 176 px of line at 8 px a character: 22 characters.
    assert!(p.svg.contains(">one two three four<"), "{}", p.svg);
    assert!(p.svg.contains(">five six seven eight<"), "{}", p.svg);
    assert!(!p.svg.contains("Refunds"), "only the selection");
}

#[test]
fn a_frame_shows_its_area_only() {
    let p = render(&sample(), &Scope::Frame("f".into()), &Mono).unwrap();
    assert_eq!(p.view, [-50.0, -50.0, 300.0, 300.0]);
    assert!(p.svg.contains("data-id=\"a\""));
    assert!(!p.svg.contains("Refunds"));
    assert_eq!(
        render(&sample(), &Scope::Frame("a".into()), &Mono),
        Err(PictureError::NoSuchFrame("a".into()))
    );
    assert_eq!(
        render(&sample(), &Scope::Items(vec!["zz".into()]), &Mono),
        Err(PictureError::NoSuchItem("zz".into()))
    );
}

#[test]
fn pages_are_frames_or_the_board() {
    let p = pages(&sample());
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].scope, Scope::Frame("f".into()));
    let mut b = sample();
    b.items.remove("f");
    assert_eq!(pages(&b)[0].scope, Scope::Board);
    let empty = board(Vec::new());
    let p = render(&empty, &Scope::Board, &Mono).unwrap();
    assert_eq!(p.view, EMPTY);
}

#[test]
fn hostile_text_stays_text() {
    let mut b = sample();
    b.items.get_mut("a").unwrap().text = "</text><script>alert(1)</script>\u{0}".into();
    let p = render(&b, &Scope::Board, &Mono).unwrap();
    assert!(!p.svg.contains("<script>"));
    assert!(!p.svg.contains('\u{0}'));
}

#[test]
fn a_story_map_shows_its_grid_totals_and_badges() {
    use crate::model::{Board, NewNote, StoryFields, StoryType};
    use yrs::Transact;
    let board = Board::with_client_id(1);
    let story = {
        let mut txn = board.transact_mut();
        let map = board
            .create_story_map(&mut txn, [0.0, 0.0], "Checkout", "", 0.0)
            .unwrap();
        let activity = board
            .add_activity(&mut txn, &map, None, "Pay", "", 0.0)
            .unwrap();
        let step = board
            .add_step(&mut txn, &activity, None, "Card", "", 0.0)
            .unwrap();
        let mvp = board
            .add_release(&mut txn, &map, None, "MVP", "", 0.0)
            .unwrap();
        let id = board
            .create_note(
                &mut txn,
                NewNote {
                    text: "Saved card".into(),
                    ..NewNote::default()
                },
            )
            .unwrap();
        let fields = StoryFields {
            estimate: Some(5.0),
            story_type: Some(StoryType::Bug),
            ..StoryFields::default()
        };
        board.set_story_fields(&mut txn, &id, &fields).unwrap();
        board
            .place_story(&mut txn, &id, &step, Some(&mvp), None)
            .unwrap();
        id
    };
    let snapshot = board.snapshot(&board.doc().transact());
    let p = render(&snapshot, &Scope::Board, &Mono).unwrap();
    for want in [
        ">Checkout - 5 pts<",
        ">Pay<",
        ">Card<",
        ">MVP<",
        ">5 pts<",
        ">Bug<",
        ">Saved card<",
    ] {
        assert!(p.svg.contains(want), "{want} missing from {}", p.svg);
    }
    // The story is drawn in its cell, not at its own (default) place.
    let layout = crate::storymap::StoryMap::all(&snapshot)
        .into_iter()
        .map(|m| crate::storymap::MapLayout::compute(&m, &snapshot, &Default::default()))
        .next()
        .unwrap();
    let cell = layout.story_rect(&story).unwrap();
    let at = format!("x=\"{}\" y=\"{}\"", num(cell.x), num(cell.y));
    assert!(p.svg.contains(&at), "no shape at the story's cell {at}");
}
