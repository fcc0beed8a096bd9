//! The `locks` target's checks: the lock index on untrusted updates to a fixed board, with
//! applying the update as the oracle of a `Clean` verdict.

use std::panic::{AssertUnwindSafe, catch_unwind};

use huddle_shared::model::Board;
use huddle_shared::wire::{self, validate};
use yrs::updates::decoder::Decode;
use yrs::{Map, ReadTxn, Transact};

use super::CAUGHT;

/// The board the `locks` target checks updates against: notes, two story maps with a
/// backbone and a story each, some of them locked and one map locked for placement. The
/// same on every run (fixed client id, item ids from a seeded generator), so that the seeds
/// and the regression inputs keep referring to its blocks.
pub struct LockBoard {
    /// The board's whole state (what the lock index is built from).
    pub state: Vec<u8>,
    pub index: huddle_shared::locks::LockIndex,
    /// A locked note ("locked note").
    pub locked: String,
    /// An unlocked note.
    pub free: String,
    /// An unlocked note on the free canvas (a story to be).
    pub loose: String,
    /// The map locked for placement.
    pub map: String,
    /// Its activity, locked.
    pub activity: String,
    /// Its step, and the story placed in it.
    pub step: String,
    pub inside: String,
    /// The other (unlocked) map's step, and the story placed in it.
    pub other_step: String,
    pub outside: String,
}

/// Client id of the board's own replica.
pub const LOCK_BOARD_CLIENT: u64 = 1;
/// Seed of the item ids of the lock board: any fixed value.
const LOCK_BOARD_SEED: u64 = 13;

impl LockBoard {
    fn build() -> LockBoard {
        use huddle_shared::locks::{LockIndex, Locks};
        use huddle_shared::model::NewNote;
        fastrand::seed(LOCK_BOARD_SEED);
        let board = Board::with_client_id(LOCK_BOARD_CLIENT);
        let mut txn = board.transact_mut();
        let mut note = |text: &str, x: f64| {
            let note = NewNote {
                pos: [x, 0.0],
                text: text.to_owned(),
                ..NewNote::default()
            };
            board.create_note(&mut txn, note).expect("a note")
        };
        let locked = note("locked note", 0.0);
        let free = note("free note", 200.0);
        let loose = note("loose story", 400.0);
        let inside = note("story inside", 600.0);
        let outside = note("story outside", 800.0);
        let mut new_map = |y: f64| {
            let map = board
                .create_story_map(&mut txn, [0.0, y], "map", "", 0.0)
                .expect("a map");
            let activity = board
                .add_activity(&mut txn, &map, None, "activity", "", 0.0)
                .expect("an activity");
            let step = board
                .add_step(&mut txn, &activity, None, "step", "", 0.0)
                .expect("a step");
            (map, activity, step)
        };
        let (map, activity, step) = new_map(500.0);
        let (_, _, other_step) = new_map(1500.0);
        board
            .place_story(&mut txn, &inside, &step, None, None)
            .expect("placed");
        board
            .place_story(&mut txn, &outside, &other_step, None, None)
            .expect("placed");
        drop(txn);
        let state = board
            .doc()
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        let mut locks = Locks::new();
        locks.lock(locked.clone());
        locks.lock(activity.clone());
        locks.lock_placement(map.clone());
        let index = LockIndex::build(&state, &locks).expect("the lock index builds");
        LockBoard {
            state,
            index,
            locked,
            free,
            loose,
            map,
            activity,
            step,
            inside,
            other_step,
            outside,
        }
    }

    /// The board, built on first use.
    pub fn get() -> &'static LockBoard {
        static BOARD: std::sync::OnceLock<LockBoard> = std::sync::OnceLock::new();
        BOARD.get_or_init(LockBoard::build)
    }

    /// A new replica of the board with client id `client`.
    pub fn replica(&self, client: u64) -> Board {
        let board = Board::with_client_id(client);
        let update = yrs::Update::decode_v1(&self.state).expect("the board's state decodes");
        board
            .doc()
            .transact_mut()
            .apply_update(update)
            .expect("the board's state applies");
        board
    }

    /// What the locks promise to keep: each locked item as JSON, and the items placed in
    /// the map locked for placement.
    fn kept(&self, board: &Board) -> (Vec<Option<yrs::Any>>, Vec<String>) {
        use yrs::types::ToJson;
        let txn = board.doc().transact();
        let items = [&self.locked, &self.activity]
            .iter()
            .map(|id| match board.items_root().get(&txn, id.as_str())? {
                yrs::Out::YMap(map) => Some(map.to_json(&txn)),
                other => Some(yrs::Any::String(format!("{other:?}").into())),
            })
            .collect();
        let snapshot = board.snapshot(&txn);
        let mut placed: Vec<String> = snapshot
            .items
            .iter()
            .filter(|(_, item)| item.place.as_ref().is_some_and(|p| p.map == self.map))
            .map(|(id, _)| id.clone())
            .collect();
        placed.sort();
        (items, placed)
    }
}

/// The lock index on untrusted updates (`locks`): an update the server would apply (valid,
/// its dependencies on the board) is checked without panicking, and when the verdict is
/// `Clean`, applying it changes no locked item and moves no story into or out of the map
/// locked for placement. (`Touches` for an update that changes nothing is allowed: the
/// check is deliberately wide.)
pub fn check(data: &[u8]) {
    use huddle_shared::locks::Verdict;
    let limits = validate::Limits::from_clients();
    if validate::validate_update_v1(data, &limits).is_err() {
        return;
    }
    let lock_board = LockBoard::get();
    let board = lock_board.replica(LOCK_BOARD_CLIENT + 1000);
    let known = board.doc().transact().state_vector();
    let Ok(deps) = validate::dependencies(data, &limits) else {
        return;
    };
    if deps.first_missing(&known).is_some() {
        return;
    }
    let Ok(Verdict::Clean) = lock_board.index.check(data) else {
        return;
    };
    let before = lock_board.kept(&board);
    let update = wire::decode_update(data)
        .unwrap_or_else(|e| panic!("the validator accepted an update yrs cannot decode: {e}"));
    // As the server applies it (see `Room::apply`): a panic inside yrs is caught, and an
    // update that does not apply whole is refused (the board reloads).
    CAUGHT.with(|c| c.set(true));
    let doc = board.doc();
    let applied = catch_unwind(AssertUnwindSafe(|| {
        let mut txn = doc.transact_mut();
        txn.apply_update(update).is_ok() && !wire::has_pending(&txn)
    }));
    CAUGHT.with(|c| c.set(false));
    if !matches!(applied, Ok(true)) {
        return;
    }
    let after = lock_board.kept(&board);
    assert_eq!(
        before.0, after.0,
        "a Clean update changed a locked item (locked note, activity)"
    );
    assert_eq!(
        before.1, after.1,
        "a Clean update moved a story into or out of the map locked for placement"
    );
}
