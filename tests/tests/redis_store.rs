//! The Redis board store (cluster mode's storage) against a real `redis-server` on loopback,
//! started by the test with its own directory and `appendfsync always`: the same boards as the
//! memory store, leases and fencing (a node whose board another node took cannot write), and
//! nothing acknowledged lost when Redis is killed and restarted.

use std::time::{Duration, Instant};

use huddle_server::store::{BoardMeta, BoardStore, Lease, MemoryStore, RedisStore, StoreError};
use huddle_shared::model::{Board, BoardSnapshot, NewNote};
use huddle_tests::redis::TestRedis;
use yrs::{ReadTxn, StateVector, Transact};

fn meta() -> BoardMeta {
    BoardMeta {
        title: "Refinement".into(),
        created_at: 1,
        updated_at: 1,
    }
}

/// The update that adds a note at `x` to `board`, as a client sends it.
fn note_update(board: &Board, x: f64) -> Vec<u8> {
    let before = board.doc().transact().state_vector();
    {
        let mut txn = board.transact_mut();
        let note = NewNote {
            pos: [x, 0.0],
            ..Default::default()
        };
        board.create_note(&mut txn, note).unwrap();
    }
    board.doc().transact().encode_state_as_update_v1(&before)
}

fn initial(board: &Board) -> Vec<u8> {
    board
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default())
}

fn stored(store: &dyn BoardStore, id: &str) -> BoardSnapshot {
    let board = Board::from_doc(store.read(id).unwrap().build(id).unwrap());
    let txn = board.doc().transact();
    board.snapshot(&txn)
}

/// Waits until everything written so far is acknowledged by Redis.
fn wait_durable(store: &RedisStore) {
    let mark = store.written();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !store.is_durable(mark) {
        assert!(Instant::now() < deadline, "writes not acknowledged in 30 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn raw_redis(redis: &TestRedis) -> redis::Connection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_connection()
        .unwrap()
}

#[test]
fn the_redis_store_keeps_boards_as_the_memory_store_does() {
    let redis = TestRedis::start();
    let store = RedisStore::open(&redis.url(), "a").unwrap();
    let memory = MemoryStore::new();
    let client = Board::new();
    assert!(store.insert_board("b", &meta(), &initial(&client)).unwrap());
    assert!(
        !store.insert_board("b", &meta(), &initial(&client)).unwrap(),
        "a second board with the same id"
    );
    memory
        .insert_board("b", &meta(), &initial(&client))
        .unwrap();
    assert_eq!(store.acquire("b").unwrap(), Lease::Held(1));

    for seq in 1..=40u64 {
        let update = note_update(&client, seq as f64);
        store.append("b", seq, &update).unwrap();
        memory.append("b", seq, &update).unwrap();
    }
    wait_durable(&store);
    let want = client.snapshot(&client.doc().transact());
    for s in [&store as &dyn BoardStore, &memory] {
        let raw = s.read("b").unwrap();
        assert_eq!((raw.log.len(), raw.next_seq), (41, 41));
        assert_eq!(stored(s, "b"), want);
    }

    // Folding part of the log: the snapshot covers it, the stream is trimmed after it.
    assert!(store.compact("b", 24).unwrap().is_some());
    memory.compact("b", 24).unwrap();
    assert_eq!(store.log_len("b").unwrap(), 16);
    for s in [&store as &dyn BoardStore, &memory] {
        let raw = s.read("b").unwrap();
        assert!(raw.snapshot().is_some());
        assert_eq!((raw.log.len(), raw.next_seq), (16, 41));
        assert_eq!(stored(s, "b"), want);
    }
    assert_eq!(
        store.compact("b", 24).unwrap(),
        None,
        "nothing left to fold"
    );
    assert!(store.compact("b", 40).unwrap().is_some());
    let raw = store.read("b").unwrap();
    assert_eq!((raw.log.len(), raw.next_seq), (0, 41));
    assert_eq!(stored(&store, "b"), want);

    // The meta goes through the owner's queue.
    let renamed = BoardMeta {
        title: "Renamed".into(),
        ..meta()
    };
    store.put_meta("b", &renamed).unwrap();
    wait_durable(&store);
    assert_eq!(store.board_meta("b").unwrap(), Some(renamed));

    // A board sharing a prefix is untouched by deleting this one.
    assert!(
        store
            .insert_board("b2", &meta(), &initial(&Board::new()))
            .unwrap()
    );
    assert!(store.delete_board("b").unwrap());
    assert_eq!(store.board_meta("b").unwrap(), None);
    assert!(stored(&store, "b").items.is_empty());
    assert_eq!(store.read("b2").unwrap().log.len(), 1);
}

#[test]
fn a_node_whose_board_was_taken_cannot_write() {
    let redis = TestRedis::start();
    let a = RedisStore::open(&redis.url(), "a").unwrap();
    let b = RedisStore::open(&redis.url(), "b").unwrap();
    let client = Board::new();
    a.insert_board("board", &meta(), &initial(&client)).unwrap();
    let Lease::Held(token_a) = a.acquire("board").unwrap() else {
        panic!("a did not get the free board");
    };
    assert!(
        matches!(b.acquire("board").unwrap(), Lease::Elsewhere(h) if h.starts_with("a#")),
        "two owners"
    );
    assert!(matches!(
        b.append("board", 1, &note_update(&Board::new(), 1.0)),
        Err(StoreError::NotOwner(_))
    ));
    a.append("board", 1, &note_update(&client, 1.0)).unwrap();
    wait_durable(&a);

    // a's lease runs out (a paused past it: here its key is removed, as expiry would) and b
    // takes the board with the next token.
    let _: () = redis::cmd("DEL")
        .arg("huddle:{board}:lease")
        .query(&mut raw_redis(&redis))
        .unwrap();
    let Lease::Held(token_b) = b.acquire("board").unwrap() else {
        panic!("b did not get the board a lost");
    };
    assert!(token_b > token_a);
    let from_b = b.read("board").unwrap();
    assert_eq!(from_b.next_seq, 2);

    // a, resumed, still believes it owns the board: its write is refused by Redis, it learns
    // that it lost the board before the write counts as durable, and it writes no more.
    assert!(a.owns("board"));
    let stale = Board::from_doc(a.read("board").unwrap().build("board").unwrap());
    a.append("board", 2, &note_update(&stale, 99.0)).unwrap();
    wait_durable(&a);
    assert!(!a.owns("board"), "a still owns the board");
    assert_eq!(a.fenced_writes(), 1);
    assert!(matches!(
        a.append("board", 3, &note_update(&stale, 98.0)),
        Err(StoreError::NotOwner(_))
    ));
    assert!(matches!(
        a.compact("board", 1),
        Err(StoreError::NotOwner(_))
    ));
    // a's renewal cannot take the lease back either.
    assert_eq!(a.renew_leases().unwrap(), 0);
    assert!(matches!(a.acquire("board").unwrap(), Lease::Elsewhere(h) if h == b.holder()));

    // b writes on, and what a wrote after losing the board is not there.
    b.append("board", 2, &note_update(&client, 2.0)).unwrap();
    wait_durable(&b);
    assert!(b.owns("board"));
    assert_eq!(
        stored(&b, "board"),
        client.snapshot(&client.doc().transact())
    );

    // Deleting the board fences its owner too.
    assert!(a.delete_board("board").unwrap());
    b.append("board", 3, &note_update(&client, 3.0)).unwrap();
    wait_durable(&b);
    assert!(!b.owns("board"));
    assert_eq!(b.log_len("board").unwrap(), 0);
}

#[test]
fn a_lease_is_kept_while_its_node_lives_and_freed_on_release() {
    let redis = TestRedis::start();
    let (a, b) = a_owns_board(&redis);
    // Longer than the lease's life: the keeper renews it.
    std::thread::sleep(huddle_server::store::redis::LEASE_TTL * 2);
    assert!(matches!(b.acquire("board").unwrap(), Lease::Elsewhere(h) if h == a.holder()));
    assert!(a.owns("board"));
    // Released (after a's queued writes), the board is free at once.
    a.release("board");
    wait_durable(&a);
    assert!(matches!(b.acquire("board").unwrap(), Lease::Held(_)));
    // A node that stops renewing (dropped: as a dead node) frees its boards within the TTL.
    drop(b);
    let deadline = Instant::now() + huddle_server::store::redis::LEASE_TTL * 2;
    loop {
        match a.acquire("board").unwrap() {
            Lease::Held(_) => break,
            Lease::Elsewhere(_) => {
                assert!(
                    Instant::now() < deadline,
                    "the dead node's lease never expired"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

#[test]
fn nothing_acknowledged_is_lost_when_redis_is_killed() {
    let mut redis = TestRedis::start();
    let store = RedisStore::open(&redis.url(), "a").unwrap();
    let client = Board::new();
    store
        .insert_board("board", &meta(), &initial(&client))
        .unwrap();
    assert!(matches!(store.acquire("board").unwrap(), Lease::Held(_)));
    for seq in 1..=200u64 {
        store
            .append("board", seq, &note_update(&client, seq as f64))
            .unwrap();
    }
    // Acknowledged: with appendfsync always, on disk.
    wait_durable(&store);
    let acknowledged = client.snapshot(&client.doc().transact());

    redis.kill();
    // Written while Redis is down: the writer retries until it is back.
    for seq in 201..=300u64 {
        store
            .append("board", seq, &note_update(&client, seq as f64))
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !store.is_durable(store.written()),
        "acknowledged with Redis down"
    );
    redis.kill_and_restart();
    wait_durable(&store);
    assert!(store.owns("board"), "the lease survived the restart");
    let raw = store.read("board").unwrap();
    assert_eq!(raw.next_seq, 301);
    let now = stored(&store, "board");
    assert_eq!(now, client.snapshot(&client.doc().transact()));
    for id in acknowledged.items.keys() {
        assert!(now.items.contains_key(id), "an acknowledged note was lost");
    }
}

/// The store's other trees ([`kv::Tree`]: people, grants, rounds, comments...) read and write
/// the same in Redis as in sled: the same random operations on both, every read compared.
#[test]
fn trees_in_redis_answer_as_trees_in_sled() {
    use huddle_server::store::kv::{Batch, Db};
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().unwrap();
    let sled_db = Db::Sled(sled::open(dir.path()).unwrap());
    let redis_db = Db::Redis(RedisStore::open(&redis.url(), "a").unwrap());
    let Db::Redis(redis_store) = &redis_db else {
        unreachable!()
    };
    let trees = [
        (
            sled_db.open_tree("t").unwrap(),
            redis_db.open_tree("t").unwrap(),
        ),
        (
            sled_db.open_tree("u").unwrap(),
            redis_db.open_tree("u").unwrap(),
        ),
    ];
    // Short keys over a tiny alphabet (0xff and 0x00 included): prefixes and ranges overlap.
    let mut rng = fastrand::Rng::with_seed(7);
    let alphabet = [b'a', b'b', b'/', 0x00, 0xff];
    let key = |rng: &mut fastrand::Rng| -> Vec<u8> {
        (0..rng.usize(0..4))
            .map(|_| alphabet[rng.usize(..alphabet.len())])
            .collect()
    };
    for step in 0..2_000 {
        let which = rng.usize(..2);
        let ((s, r), (other_s, other_r)) = (&trees[which], &trees[1 - which]);
        let k = key(&mut rng);
        let v = format!("v{step}").into_bytes();
        let what = rng.u8(..10);
        let (a, b) = match what {
            0 => (
                format!("{:?}", s.insert(&k, v.clone()).unwrap()),
                format!("{:?}", r.insert(&k, v).unwrap()),
            ),
            1 => {
                // Written behind (queued to the Redis store's writer): read once it is in.
                if rng.bool() {
                    s.insert_behind(&k, v.clone()).unwrap();
                    r.insert_behind(&k, v).unwrap();
                } else {
                    s.remove_behind(&k).unwrap();
                    r.remove_behind(&k).unwrap();
                }
                wait_durable(redis_store);
                (String::new(), String::new())
            }
            2 => (
                format!("{:?}", s.remove(&k).unwrap()),
                format!("{:?}", r.remove(&k).unwrap()),
            ),
            3 => (
                format!("{:?} {}", s.get(&k).unwrap(), s.contains_key(&k).unwrap()),
                format!("{:?} {}", r.get(&k).unwrap(), r.contains_key(&k).unwrap()),
            ),
            4 => {
                let old = s.get(&k).unwrap();
                let old = if rng.bool() {
                    old
                } else {
                    Some(b"nope".into())
                };
                let new = rng.bool().then(|| v.clone());
                (
                    format!(
                        "{:?}",
                        s.compare_and_swap(&k, old.clone(), new.clone()).unwrap()
                    ),
                    format!("{:?}", r.compare_and_swap(&k, old, new).unwrap()),
                )
            }
            5 => {
                let all = |t: &huddle_server::store::kv::Tree| {
                    format!(
                        "{:?}",
                        t.scan_prefix(&k).collect::<Result<Vec<_>, _>>().unwrap()
                    )
                };
                (all(s), all(r))
            }
            6 => {
                let (lo, hi) = (k.clone(), key(&mut rng));
                let rev = |t: &huddle_server::store::kv::Tree| {
                    format!(
                        "{:?}",
                        t.range(lo.clone()..hi.clone())
                            .rev()
                            .collect::<Result<Vec<_>, _>>()
                            .unwrap()
                    )
                };
                (rev(s), rev(r))
            }
            7 => (
                format!(
                    "{:?} {:?} {}",
                    s.first().unwrap(),
                    s.last().unwrap(),
                    s.len().unwrap()
                ),
                format!(
                    "{:?} {:?} {}",
                    r.first().unwrap(),
                    r.last().unwrap(),
                    r.len().unwrap()
                ),
            ),
            _ => {
                let mut batches = (
                    Batch::default(),
                    Batch::default(),
                    Batch::default(),
                    Batch::default(),
                );
                for _ in 0..3 {
                    let (k1, k2) = (key(&mut rng), key(&mut rng));
                    batches.0.insert(&k1, v.clone());
                    batches.1.insert(&k1, v.clone());
                    batches.2.remove(&k2);
                    batches.3.remove(&k2);
                }
                if what == 8 {
                    s.apply_batch(batches.0).unwrap();
                    r.apply_batch(batches.1).unwrap();
                } else {
                    // Two trees (both indexes of a grant).
                    s.apply_pair(batches.0, other_s, batches.2).unwrap();
                    r.apply_pair(batches.1, other_r, batches.3).unwrap();
                }
                (String::new(), String::new())
            }
        };
        assert_eq!(a, b, "step {step}, operation {what}, key {k:?}");
    }
    for (s, r) in &trees {
        let all =
            |t: &huddle_server::store::kv::Tree| t.iter().collect::<Result<Vec<_>, _>>().unwrap();
        assert_eq!(all(s), all(r));
    }
}

/// A board claimed for a connection (the relay's routing) that no room then takes up is let
/// go by its node's lease keeper, so another node may take it; one a room took is kept.
#[test]
fn a_claim_no_room_takes_up_is_let_go() {
    let redis = TestRedis::start();
    let a = RedisStore::open(&redis.url(), "a").unwrap();
    let b = RedisStore::open(&redis.url(), "b").unwrap();
    for board in ["claimed", "loaded"] {
        a.insert_board(board, &meta(), &initial(&Board::new()))
            .unwrap();
        assert!(matches!(a.claim(board).unwrap(), Lease::Held(_)));
    }
    // The room that loads "loaded" takes the claim up (and keeps the token).
    assert!(matches!(a.acquire("loaded").unwrap(), Lease::Held(_)));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(b.acquire("claimed").unwrap(), Lease::Held(_)) {
        assert!(
            Instant::now() < deadline,
            "the unused claim was never let go"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!a.owns("claimed"));
    assert!(a.owns("loaded"));
    assert!(matches!(b.acquire("loaded").unwrap(), Lease::Elsewhere(h) if h == a.holder()));
}

/// A room that closes and one that opens the same board at once on one node (a reload): the
/// first one's release, still queued, must not delete the lease the second then holds, or
/// another node could take the board until the next renewal.
#[test]
fn a_board_let_go_and_taken_again_at_once_stays_with_its_node() {
    let redis = TestRedis::start();
    let a = RedisStore::open(&redis.url(), "a").unwrap();
    let b = RedisStore::open(&redis.url(), "b").unwrap();
    let mut raw = raw_redis(&redis);
    for round in 0..20 {
        let board = format!("board{round}");
        a.insert_board(&board, &meta(), &initial(&Board::new()))
            .unwrap();
        assert!(matches!(a.acquire(&board).unwrap(), Lease::Held(_)));
        a.release(&board);
        assert!(matches!(a.acquire(&board).unwrap(), Lease::Held(_)));
        wait_durable(&a);
        let holder: Option<String> = redis::cmd("GET")
            .arg(format!("huddle:{{{board}}}:lease"))
            .query(&mut raw)
            .unwrap();
        assert_eq!(holder.as_deref(), Some(a.holder()), "round {round}");
        assert!(
            matches!(b.claim(&board).unwrap(), Lease::Elsewhere(h) if h == a.holder()),
            "round {round}: another node took the board"
        );
    }
}

/// Ballots, comments, facilitation and the journal are a board's trees: in Redis each write
/// carries the board's fencing token, so a node that does not own the board, or lost it
/// while paused, writes nothing there (and learns it lost the board).
#[test]
fn a_board_tree_is_written_only_by_the_board_owner() {
    use huddle_server::store::kv::{Batch, Db};
    let redis = TestRedis::start();
    let (a, b) = a_owns_board(&redis);
    let on_a = Db::Redis(a.clone()).open_board_tree("comments").unwrap();
    let on_b = Db::Redis(b.clone()).open_board_tree("comments").unwrap();
    on_a.insert("board/t1", b"from a".to_vec()).unwrap();
    assert!(matches!(
        on_b.insert("board/t2", b"from b".to_vec()),
        Err(StoreError::NotOwner(_))
    ));

    // a pauses past its lease; b takes the board.
    b_takes_board(&redis, &b);
    assert!(a.owns("board"), "a has not noticed yet");
    assert!(matches!(
        on_a.insert("board/t3", b"stale".to_vec()),
        Err(StoreError::NotOwner(_))
    ));
    assert!(!a.owns("board"), "a learnt it lost the board");
    assert!(matches!(
        on_a.insert_behind("board/t4", b"stale".to_vec()),
        Err(StoreError::NotOwner(_))
    ));
    let mut batch = Batch::default();
    batch.remove("board/t1");
    assert!(matches!(
        on_a.apply_batch(batch),
        Err(StoreError::NotOwner(_))
    ));

    // b writes on: in place, behind, and as a batch.
    on_b.insert("board/t5", b"from b".to_vec()).unwrap();
    on_b.insert_behind("board/t6", b"behind".to_vec()).unwrap();
    let mut batch = Batch::default();
    batch.insert("board/t7", b"batch".to_vec());
    on_b.apply_batch(batch).unwrap();
    wait_durable(&b);
    let keys: Vec<String> = on_b
        .iter()
        .keys()
        .map(|k| String::from_utf8(k.unwrap().to_vec()).unwrap())
        .collect();
    assert_eq!(keys, ["board/t1", "board/t5", "board/t6", "board/t7"]);
    // Other trees are not a board's: any node writes them.
    let people = Db::Redis(a.clone()).open_tree("people").unwrap();
    people.insert("someone", b"x".to_vec()).unwrap();
}

/// A stale owner's write behind (the change journal) is refused in Redis too: written behind
/// before the node knew, and fenced there.
#[test]
fn a_board_tree_write_behind_is_fenced_in_redis() {
    use huddle_server::store::kv::Db;
    let redis = TestRedis::start();
    let (a, b) = a_owns_board(&redis);
    let on_a = Db::Redis(a.clone()).open_board_tree("since_log").unwrap();
    b_takes_board(&redis, &b);
    on_a.insert_behind("board/entry", b"stale".to_vec())
        .unwrap();
    wait_durable(&a);
    assert!(!a.owns("board"));
    assert!(on_a.get("board/entry").unwrap().is_none());
}

/// Nodes a and b on `redis`; a stored "board" and owns it.
fn a_owns_board(redis: &TestRedis) -> (RedisStore, RedisStore) {
    let a = RedisStore::open(&redis.url(), "a").unwrap();
    let b = RedisStore::open(&redis.url(), "b").unwrap();
    a.insert_board("board", &meta(), &initial(&Board::new()))
        .unwrap();
    assert!(matches!(a.acquire("board").unwrap(), Lease::Held(_)));
    (a, b)
}

/// a's lease on "board" runs out (its key removed, as expiry would) and b takes the board.
fn b_takes_board(redis: &TestRedis, b: &RedisStore) {
    let _: () = redis::cmd("DEL")
        .arg("huddle:{board}:lease")
        .query(&mut raw_redis(redis))
        .unwrap();
    assert!(matches!(b.acquire("board").unwrap(), Lease::Held(_)));
}
