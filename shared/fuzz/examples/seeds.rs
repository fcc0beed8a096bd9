//! Writes a starting corpus for every fuzz target into `corpus/<target>/`: real frames,
//! updates, awareness states, CSV and JSON files made by Huddle's own code, so the fuzzers
//! start from the shapes the server sees instead of from nothing. `cargo xtask fuzz` runs it
//! when a target's corpus is empty.
//!
//! Usage: `cargo +nightly run --release --example seeds -- CORPUS_DIR`

use std::path::{Path, PathBuf};

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use huddle_shared::access;
use huddle_shared::export::Format;
use huddle_shared::model::{Board, NewNote};
use huddle_shared::templates::Template;
use huddle_shared::wire;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, StateVector, Transact, TransactionMut};

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dir.join(target);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(name), bytes)
}

/// A board from `template` with a few notes, one of them edited, moved and one deleted; and
/// the updates that made the last three changes.
fn board(template: Template) -> (Board, Vec<Vec<u8>>) {
    let board = Board::new();
    let mut updates = Vec::new();
    {
        let mut txn = board.transact_mut();
        board.init_meta(&mut txn, "Seeds", 0.0);
        let _ = template.apply(&board, &mut txn, "seed", 0.0);
    }
    let mut ids = Vec::new();
    for (i, text) in ["login #auth", "search", "checkout #pay"]
        .iter()
        .enumerate()
    {
        let mut txn = board.transact_mut();
        let note = NewNote {
            pos: [i as f64 * 220.0, 0.0],
            text: (*text).to_owned(),
            ..NewNote::default()
        };
        if let Ok(id) = board.create_note(&mut txn, note) {
            ids.push(id);
        }
        updates.push(txn.encode_update_v1());
    }
    // One transaction at a time: yrs blocks a second one on the same document.
    if let Some(id) = ids.first() {
        {
            let mut txn = board.transact_mut();
            let _ = board.insert_text(&mut txn, id, 5, " with SSO");
            updates.push(txn.encode_update_v1());
        }
        let mut txn = board.transact_mut();
        let _ = board.move_item(&mut txn, id, [10.0, 20.0]);
        updates.push(txn.encode_update_v1());
    }
    if let Some(id) = ids.last() {
        let mut txn = board.transact_mut();
        let _ = board.delete_item(&mut txn, id);
        updates.push(txn.encode_update_v1());
    }
    (board, updates)
}

fn awareness_update(states: &[(u64, &str)]) -> AwarenessUpdate {
    let mut update = AwarenessUpdate {
        clients: Default::default(),
    };
    for (i, (client, json)) in states.iter().enumerate() {
        update.clients.insert(
            yrs::block::ClientID::new(*client),
            AwarenessUpdateEntry {
                clock: i as u32 + 1,
                json: (*json).into(),
            },
        );
    }
    update
}

/// Real edits of the `locks` target's board, made by a replica of it (as a page would): some
/// touch a locked item or the map locked for placement, some do not.
fn lock_seeds(dir: &Path) -> std::io::Result<()> {
    use fuzz_checks::locks::LockBoard;
    type Edit = Box<dyn Fn(&Board, &mut TransactionMut, &LockBoard)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "move-locked",
            Box::new(|b, t, l| drop(b.move_item(t, &l.locked, [5.0, 6.0]))),
        ),
        (
            "move-free",
            Box::new(|b, t, l| drop(b.move_item(t, &l.free, [5.0, 6.0]))),
        ),
        (
            "type-locked",
            Box::new(|b, t, l| drop(b.insert_text(t, &l.locked, 3, "x"))),
        ),
        (
            "type-free",
            Box::new(|b, t, l| drop(b.insert_text(t, &l.free, 3, "x"))),
        ),
        (
            "type-inside",
            Box::new(|b, t, l| drop(b.insert_text(t, &l.inside, 0, "x"))),
        ),
        (
            "untype-locked",
            Box::new(|b, t, l| drop(b.delete_text(t, &l.locked, 1, 3))),
        ),
        (
            "delete-locked",
            Box::new(|b, t, l| drop(b.delete_item(t, &l.locked))),
        ),
        (
            "delete-free",
            Box::new(|b, t, l| drop(b.delete_item(t, &l.free))),
        ),
        (
            "delete-activity",
            Box::new(|b, t, l| drop(b.delete_item(t, &l.activity))),
        ),
        (
            "delete-inside",
            Box::new(|b, t, l| drop(b.delete_item(t, &l.inside))),
        ),
        (
            "create-note",
            Box::new(|b, t, _| drop(b.create_note(t, NewNote::default()))),
        ),
        (
            "place-in",
            Box::new(|b, t, l| drop(b.place_story(t, &l.loose, &l.step, None, None))),
        ),
        (
            "place-other",
            Box::new(|b, t, l| drop(b.place_story(t, &l.loose, &l.other_step, None, None))),
        ),
        (
            "place-out",
            Box::new(|b, t, l| drop(b.place_story(t, &l.inside, &l.other_step, None, None))),
        ),
        (
            "place-outside-in",
            Box::new(|b, t, l| drop(b.place_story(t, &l.outside, &l.step, None, None))),
        ),
        (
            "unplace-inside",
            Box::new(|b, t, l| drop(b.unplace_story(t, &l.inside, [0.0, 0.0]))),
        ),
        (
            "move-map",
            Box::new(|b, t, l| drop(b.move_item(t, &l.map, [9.0, 9.0]))),
        ),
    ];
    let board = LockBoard::get();
    for (name, edit) in &edits {
        let replica = board.replica(fuzz_checks::locks::LOCK_BOARD_CLIENT + 1);
        let before = replica.doc().transact().state_vector();
        {
            let mut txn = replica.transact_mut();
            edit(&replica, &mut txn, board);
        }
        let update = replica.doc().transact().encode_state_as_update_v1(&before);
        write(dir, "locks", name, &update)?;
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "corpus".into()));
    let states = [
        r##"{"user":{"name":"Ana","color":"#e03131"},"cursor":{"x":1.5,"y":-2},"selection":["a"],"dragging":{},"viewport":{"x":0,"y":0,"zoom":1},"summon":0}"##,
        r#"{"user":{"id":"AAAAAAAAAAAAAAAAAAAAAA","name":"Bob"}}"#,
        "null",
        "{}",
    ];
    for (t, template) in Template::ALL.into_iter().enumerate() {
        let (board, updates) = board(template);
        let full = board
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let sv = board.doc().transact().state_vector();
        write(&dir, "update_validator", &format!("full-{t}"), &full)?;
        write(
            &dir,
            "wire_frame",
            &format!("step2-{t}"),
            &wire::encode_sync_step2(&full),
        )?;
        write(
            &dir,
            "wire_frame",
            &format!("step1-{t}"),
            &wire::encode_sync_step1(&sv),
        )?;
        for (u, update) in updates.iter().enumerate() {
            write(&dir, "update_validator", &format!("update-{t}-{u}"), update)?;
            write(
                &dir,
                "wire_frame",
                &format!("update-{t}-{u}"),
                &wire::encode_update(update),
            )?;
        }
        let snapshot = board.snapshot(&board.doc().transact());
        write(
            &dir,
            "csv_import",
            &format!("export-{t}.csv"),
            Format::Csv.export(&snapshot).as_bytes(),
        )?;
        write(
            &dir,
            "json_import",
            &format!("export-{t}.json"),
            Format::Json.export(&snapshot).as_bytes(),
        )?;
    }
    let all = awareness_update(&[
        (1, states[0]),
        (2, states[1]),
        (3, states[2]),
        (4, states[3]),
    ]);
    let frame = wire::encode_awareness(&all);
    write(&dir, "wire_frame", "awareness", &frame)?;
    write(&dir, "awareness", "states", &all.encode_v1())?;
    for (i, state) in states.iter().enumerate() {
        write(
            &dir,
            "awareness",
            &format!("state-{i}"),
            &awareness_update(&[(9, state)]).encode_v1(),
        )?;
        write(&dir, "access", &format!("state-{i}"), state.as_bytes())?;
    }
    let mut two = wire::encode_huddle(&wire::HuddleMessage::SaveRequest { seq: 7 });
    two.extend_from_slice(&wire::encode_awareness_query());
    write(&dir, "wire_frame", "save-and-query", &two)?;
    for (name, json) in [
        ("hello", r#"{"req":1,"op":"hello"}"#),
        (
            "open-dots",
            r#"{"req":2,"op":"open","settings":{"kind":"dots","budget":3,"cap":1},"targets":["a","b"]}"#,
        ),
        (
            "open-poker",
            r#"{"req":3,"op":"open","settings":{"kind":"poker","scale":"t_shirt"},"targets":["s"]}"#,
        ),
        (
            "cast-dots",
            r#"{"req":4,"op":"cast","round":"r","ballot":{"a":{"dots":2},"b":{"dots":1}}}"#,
        ),
        (
            "cast-fist",
            r#"{"req":5,"op":"cast","round":"r","ballot":{"p":{"fist":1}}}"#,
        ),
        (
            "decide",
            r#"{"req":6,"op":"decide","text":"Ship it","round":"r","corrects":"000001"}"#,
        ),
    ] {
        write(&dir, "rounds", name, json.as_bytes())?;
        let request = huddle_shared::rounds::Request::decode(json.as_bytes())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let frame = wire::encode_huddle(&wire::HuddleMessage::RoundRequest(request));
        write(&dir, "wire_frame", &format!("round-{name}"), &frame)?;
    }
    for (name, json) in [
        ("hello", r#"{"req":1,"op":"hello"}"#),
        (
            "hand",
            r#"{"req":2,"op":"hand","to":"AAAAAAAAAAAAAAAAAAAAAA"}"#,
        ),
        ("rotate", r#"{"req":3,"op":"rotate"}"#),
        (
            "agenda",
            r#"{"req":4,"op":"agenda_set","steps":[{"kind":"write_privately","minutes":5},{"kind":"dot_vote","title":"Vote","minutes":3,"targets":["a","b"],"settings":{"kind":"dots","budget":3}},{"kind":"estimate","minutes":10,"scope":"board"}]}"#,
        ),
        ("agenda-start", r#"{"req":5,"op":"agenda_start","step":1}"#),
        (
            "timer",
            r#"{"req":1764800000000,"op":"timer_start","secs":300,"label":"Write","sound":true}"#,
        ),
        (
            "extend",
            r#"{"req":18446744073709551615,"op":"timer_extend","secs":60}"#,
        ),
        (
            "private-put",
            r#"{"req":7,"op":"private_put","note":{"id":"n1","pos":[10.5,-20],"size":[160,120],"color":"yellow","text":"an idea","session":"s"}}"#,
        ),
        (
            "private-delete",
            r#"{"req":8,"op":"private_delete","id":"n1"}"#,
        ),
        (
            "lock",
            r#"{"req":9,"op":"lock","items":["a","b"],"placement":true}"#,
        ),
        ("unlock", r#"{"req":10,"op":"unlock","items":["a"]}"#),
        (
            "share",
            r#"{"req":11,"op":"share_balance","everyone":true}"#,
        ),
        (
            "ev-refused",
            r#"{"ev":"refused","req":3,"reason":"not the facilitator"}"#,
        ),
        ("ev-clock", r#"{"ev":"clock","now":1764800000000}"#),
        (
            "ev-private",
            r#"{"ev":"private","notes":[{"id":"n1","pos":[1,2],"text":"x"}]}"#,
        ),
        (
            "ev-balance",
            r#"{"ev":"balance","since":0,"people":[{"person":"p","name":"Ana","notes":1,"words":4,"edits":2,"ballots":0,"dissent":0,"comments":0,"present":true}]}"#,
        ),
    ] {
        write(&dir, "facilitation", name, json.as_bytes())?;
    }
    lock_seeds(&dir)?;
    let person = access::person_id([7; access::PERSON_ID_BYTES]);
    let cookie = format!(
        "theme=dark; {}={}",
        access::PERSON_COOKIE,
        access::sign_person(b"fuzz secret", &person)
    );
    write(&dir, "access", "cookie", cookie.as_bytes())?;
    write(
        &dir,
        "access",
        "key",
        access::key([9; access::KEY_BYTES]).as_bytes(),
    )?;
    write(&dir, "access", "role", b"commenter")?;
    write(
        &dir,
        "csv_import",
        "trello.csv",
        b"Card Name,Card Description,List Name,Labels,Archived\nLogin,With SSO,Sign up,\"auth (green), web (blue)\",false\n",
    )?;
    eprintln!("seeds written to {}", dir.display());
    Ok(())
}
