//! `Board::create_note_with_id`: a note published from private writing keeps the id its
//! author's page gave it, and an id already on the board is refused (nothing is overwritten).

use huddle_shared::model::{Board, Color, NewNote};
use yrs::Transact;

fn note(text: &str) -> NewNote {
    NewNote {
        pos: [10.0, 20.0],
        size: Some([150.0, 100.0]),
        text: text.into(),
        color: Color::Pink,
        author: "Ann".into(),
        created_at: 5.0,
        ..NewNote::default()
    }
}

#[test]
fn a_note_keeps_its_given_id_and_a_taken_id_is_refused() {
    let board = Board::new();
    {
        let mut txn = board.transact_mut();
        board
            .create_note_with_id(&mut txn, "given-id", note("first"))
            .unwrap();
        assert!(board.has_item(&txn, "given-id"));
        let again = board.create_note_with_id(&mut txn, "given-id", note("second"));
        assert!(again.is_err(), "a taken id must be refused");
        assert!(board.create_note_with_id(&mut txn, "", note("x")).is_err());
        let bad = NewNote {
            pos: [f64::NAN, 0.0],
            ..note("nan")
        };
        assert!(board.create_note_with_id(&mut txn, "other", bad).is_err());
        assert!(!board.has_item(&txn, "other"));
    }
    let snap = board.snapshot(&board.doc().transact());
    assert_eq!(snap.items.len(), 1);
    let item = &snap.items["given-id"];
    assert_eq!(item.text, "first");
    assert_eq!(item.pos, [10.0, 20.0]);
    assert_eq!(item.size, [150.0, 100.0]);
    assert_eq!(item.color, "pink");
    assert_eq!(item.author, "Ann");
}
