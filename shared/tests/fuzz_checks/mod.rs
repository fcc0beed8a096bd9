//! What each fuzz target checks, shared by the cargo-fuzz targets (`shared/fuzz`, which
//! include this file) and the regression tests (`shared/tests/fuzz_regressions.rs`, which
//! replay every input the fuzzers ever found). Each function takes untrusted bytes and panics
//! only on a broken promise of the code under test.

#![allow(dead_code)]

pub mod facilitation;
pub mod locks;


use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use huddle_shared::access::{self, Role};
use huddle_shared::export::{parse_backlog, parse_board_json, restore_board, write_backlog};
use huddle_shared::model::Board;
use huddle_shared::wire::{self, Message, validate};
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, Transact};

thread_local! {
    /// Inside a yrs apply the server wraps in `catch_unwind` (see `room::apply`): a panic
    /// there is the server's to survive, not a crash. The fuzz targets' panic hook lets it
    /// unwind; every other panic aborts.
    pub static CAUGHT: Cell<bool> = const { Cell::new(false) };
}

/// A room's document and the updates it stored, as far as the fuzz checks need one.
#[derive(Default)]
struct Room {
    doc: yrs::Doc,
    stored: Vec<Vec<u8>>,
}

impl Room {
    /// Applies a client's validated update as the server's room does: refused unless it
    /// applies completely; applied in one transaction, a panic caught; anything left pending,
    /// an error or a panic reloads the board from what was stored.
    fn apply(&mut self, payload: &[u8]) {
        let update = wire::decode_update(payload)
            .unwrap_or_else(|e| panic!("the validator accepted an update yrs cannot decode: {e}"));
        let deps = validate::dependencies(payload, &validate::Limits::from_clients())
            .expect("a validated update has dependencies");
        let known = self.doc.transact().state_vector();
        if deps.first_missing(&known).is_some() {
            return;
        }
        CAUGHT.with(|c| c.set(true));
        let doc = &self.doc;
        let applied = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            txn.apply_update(update).is_ok() && !wire::has_pending(&txn)
        }));
        CAUGHT.with(|c| c.set(false));
        if matches!(applied, Ok(true)) {
            self.stored.push(payload.to_vec());
        } else {
            self.reload();
        }
    }

    /// A new document from the stored updates, as a room loads a board.
    fn reload(&mut self) {
        self.doc = yrs::Doc::new();
        let mut txn = self.doc.transact_mut();
        for payload in &self.stored {
            let update = yrs::Update::decode_v1(payload).expect("stored updates decode");
            txn.apply_update(update).expect("stored updates apply");
        }
    }
}

/// The y-sync frame decoder: any bytes decode or are refused; every update it accepts
/// decodes with yrs (the validator's promise) and applies without taking the process down,
/// one after the other to one document, as a room applies what a connection sends.
pub fn wire_frame(data: &[u8]) {
    // As the server reads a client's frames.
    let Ok(messages) = wire::decode_frame(data, &wire::Limits::from_clients()) else {
        return;
    };
    let mut room = Room::default();
    for message in messages {
        match message {
            Message::SyncStep2(update) | Message::Update(update) => room.apply(&update),
            Message::Awareness(update) => {
                for entry in update.clients.values() {
                    presence(&entry.json);
                }
            }
            _ => {}
        }
    }
}

/// The update validator alone: what it accepts, yrs decodes without panicking.
pub fn update_validator(data: &[u8]) {
    if validate::validate_update_v1(data, &validate::Limits::default()).is_ok() {
        let decoded = catch_unwind(|| yrs::Update::decode_v1(data).is_ok());
        assert_eq!(
            decoded.ok(),
            Some(true),
            "the validator accepted an update yrs cannot decode"
        );
    }
}

/// The awareness decoder: `data` as an awareness message's body, then each state's claim.
pub fn awareness(data: &[u8]) {
    let mut frame = vec![1u8];
    let mut len = data.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            frame.push(byte);
            break;
        }
        frame.push(byte | 0x80);
    }
    frame.extend_from_slice(data);
    if let Ok(messages) = wire::decode_frame(&frame, &wire::Limits::default()) {
        for message in messages {
            if let Message::Awareness(update) = message {
                for entry in update.clients.values() {
                    presence(&entry.json);
                }
            }
        }
    }
}

/// What the room's gate does with one awareness state.
fn presence(state: &str) {
    if let Ok(Some(claim)) = access::user_claim(state)
        && claim.id.is_none()
        && let Some(stamped) = access::with_user_id(state, "person-id")
    {
        // The stamped state says what the server means: the id, and the same name.
        let again = access::user_claim(&stamped).expect("a stamped state reads back");
        let again = again.expect("a stamped state keeps its user");
        assert_eq!(again.id.as_deref(), Some("person-id"), "{stamped}");
        assert_eq!(again.name, claim.name, "{stamped}");
    }
}

/// The CSV importer: any text parses or is refused with a line and column; what parses
/// builds a board.
pub fn csv_import(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(backlog) = parse_backlog(text) {
        let board = Board::new();
        let mut txn = board.transact_mut();
        board.init_meta(&mut txn, "t", 0.0);
        let _ = write_backlog(&board, &mut txn, &backlog, "t", [0.0, 0.0], "", 0.0);
    }
}

/// The board JSON importer: any text parses or is refused; what parses restores a board.
pub fn json_import(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(snapshot) = parse_board_json(text) {
        let board = Board::new();
        let mut txn = board.transact_mut();
        let _ = restore_board(&board, &mut txn, &snapshot, "t", 0.0);
    }
}

/// Keys, person ids, cookies and roles: any text is read or refused, never panics; a cookie
/// signed for an id verifies as that id and nothing else.
pub fn access(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let secret = b"fuzz secret";
    let _ = access::cookie(&text, access::PERSON_COOKIE);
    let verified = access::verify_person(secret, &text);
    if let Some(person) = verified {
        assert!(access::is_valid_person_id(person));
        assert_eq!(access::sign_person(secret, person), text);
    }
    let _ = access::is_valid_key(&text);
    let _ = Role::parse(&text);
    presence(&text);
    let mut id = [0u8; access::PERSON_ID_BYTES];
    for (i, b) in data.iter().take(id.len()).enumerate() {
        id[i] = *b;
    }
    let person = access::person_id(id);
    let cookie = access::sign_person(secret, &person);
    assert_eq!(
        access::verify_person(secret, &cookie),
        Some(person.as_str())
    );
    assert_eq!(access::verify_person(b"another secret", &cookie), None);
}

/// Round requests from a page (`rounds`): decoding never panics, a decoded request encodes
/// back to itself, and a ballot the rules accept tallies within its budget and scale.
pub fn rounds(data: &[u8]) {
    use huddle_shared::model::ItemKind;
    use huddle_shared::rounds::{self, Command, Kind, Request, Round, Scope, Settings, Status};
    let _ = rounds::Event::decode(data);
    let Ok(request) = Request::decode(data) else {
        return;
    };
    assert_eq!(Request::decode(&request.encode()).as_ref(), Ok(&request));
    let round = |settings: Settings, targets: Vec<String>| Round {
        id: "r".into(),
        settings,
        targets,
        scope: Scope::Board,
        area: None,
        opened_by: "fuzz".into(),
        opened_at: 1,
        status: Status::Open,
        closed_at: None,
        rerun_of: None,
    };
    match request.cmd {
        Command::Open {
            settings,
            targets,
            area,
            ..
        } => {
            let kinds: Vec<_> = targets
                .iter()
                .map(|t| (t.clone(), Some(ItemKind::Note)))
                .collect();
            if Round::check_new(&settings, &kinds, area, 0).is_ok() {
                let r = round(settings, targets);
                let _ = r.settings.scale.cards();
                let result = rounds::tally(&r, &[], false);
                assert_eq!(result.voters, 0);
            }
        }
        Command::Cast { ballot, .. } => {
            let targets: Vec<String> = ballot.keys().cloned().collect();
            for kind in [
                Kind::Dots,
                Kind::FistToFive,
                Kind::Poker,
                Kind::ImpactEffort,
            ] {
                let mut settings = Settings::new(kind);
                settings.anonymous = true;
                let r = round(settings, targets.clone());
                if r.check_ballot(&ballot).is_err() {
                    continue;
                }
                let result = rounds::tally(&r, &[("secret voter".into(), ballot.clone())], false);
                let shown = format!("{result:?}");
                assert!(
                    !shown.contains("secret voter"),
                    "an anonymous result names its voter"
                );
                if kind == Kind::Dots {
                    let total: u64 = result.items.values().map(|i| u64::from(i.votes)).sum();
                    assert!(total <= u64::from(r.settings.budget));
                    assert_eq!(
                        r.budget_left(&ballot).map(u64::from),
                        Some(u64::from(r.settings.budget) - total)
                    );
                }
                let _ = result.summary(|id| id.to_owned());
            }
        }
        _ => {}
    }
}

/// Facilitation requests and events (see `facilitation::check`).
pub fn facilitation(data: &[u8]) {
    facilitation::check(data);
}

/// The lock index on untrusted updates (see `locks::check`).
pub fn locks(data: &[u8]) {
    locks::check(data);
}
