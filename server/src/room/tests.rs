//! A room on the in-memory board store: edits are stored, "saved" is answered, the store's
//! rule schedules compactions, and closing the room folds the rest of the log.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use huddle_shared::access::Role;
use huddle_shared::model::Board;
use huddle_shared::wire::{self, HuddleMessage, Limits, Message};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use yrs::{ReadTxn, StateVector, Transact};

use super::{Member, RoomConfig, RoomContext, RoomHandle};
use crate::notify::{Notifier, NotifyArgs};
use crate::outbox::{Closer, Linger, Outbound, Outbox, frame_queue};
use crate::rooms::Rooms;
use crate::store::{BoardMeta, BoardStore, CompactionRule, MemoryStore, Store, note_update};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    notify: NotifyArgs,
}

/// A room context whose boards live in `boards`; the other trees in a sled store in `dir`.
fn context(boards: Arc<MemoryStore>, rule: CompactionRule, dir: &tempfile::TempDir) -> RoomContext {
    let store = Store::open(dir.path(), Arc::default()).unwrap();
    let (shutdown, tracker) = (CancellationToken::new(), TaskTracker::new());
    let args = Args::parse_from(["huddle"]);
    let notifier = Notifier::new(
        store.clone(),
        &args.notify,
        shutdown.clone(),
        tracker.clone(),
    )
    .unwrap();
    RoomContext {
        boards,
        store,
        metrics: Arc::default(),
        config: Arc::new(RoomConfig {
            idle_unload: Duration::from_secs(60),
            store_view_after: Duration::from_secs(10),
            compaction: rule,
            versions: Default::default(),
        }),
        rooms: Rooms::default(),
        shutdown,
        tracker,
        notifier,
    }
}

/// The board's document as the store holds it now.
fn stored(boards: &MemoryStore) -> Board {
    Board::from_doc(boards.read("b").unwrap().build("b").unwrap())
}

async fn next_saved(frames: &mut Outbound) -> u64 {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), frames.recv())
            .await
            .expect("no frame within 5 s")
            .expect("the room closed the connection");
        for message in wire::decode_frame(&frame, &Limits::default()).unwrap() {
            if let Message::Huddle(HuddleMessage::Saved { seq }) = message {
                return seq;
            }
        }
    }
}

/// A room for board "b" on `boards` with one member joined: what the tests drive.
struct Started {
    ctx: RoomContext,
    room: tokio::task::JoinHandle<()>,
    handle: RoomHandle,
    frames: Outbound,
    /// Closes the member's connection (the room does, when it stops).
    closer: Arc<Closer>,
    /// The member's copy of the board.
    client: Board,
}

async fn start(
    boards: &Arc<MemoryStore>,
    rule: CompactionRule,
    dir: &tempfile::TempDir,
) -> Started {
    let client = Board::new();
    let initial = client
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let meta = BoardMeta {
        title: client.title(&client.doc().transact()).unwrap_or_default(),
        created_at: 1,
        updated_at: 1,
    };
    boards.insert_board("b", &meta, &initial).unwrap();
    let ctx = context(boards.clone(), rule, dir);

    let (tx, rx) = mpsc::channel(64);
    let room = tokio::spawn(super::run("b".into(), 1, rx, ctx.clone()));
    let handle = RoomHandle::new(tx);
    let (frames_tx, frames) = frame_queue(1024);
    let closer = Arc::new(Closer::default());
    let outbox = Outbox {
        frames: frames_tx,
        closer: closer.clone(),
        linger: Linger::default(),
    };
    let member = Member {
        person: "p".into(),
        role: Role::Owner,
        name: "P".into(),
        epoch: ctx.rooms.access_epoch(),
    };
    assert!(handle.join(1, member, outbox).await);
    Started {
        ctx,
        room,
        handle,
        frames,
        closer,
        client,
    }
}

/// The member moves one note `edits` times, each edit its own update.
async fn edit(started: &Started, edits: usize) {
    for i in 0..edits {
        let update = note_update(&started.client, i as f64);
        let raw = Bytes::from(wire::encode_update(&update));
        started
            .handle
            .frame(1, vec![Message::Update(update)], raw)
            .await
            .unwrap();
    }
}

async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_room_on_the_memory_store_saves_compacts_and_folds_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let boards = Arc::new(MemoryStore::new());
    let mut started = start(&boards, CompactionRule::after_updates(Some(10)), &dir).await;

    // 25 edits: with the initial update, the log reaches the cap of 10 on the 9th.
    edit(&started, 25).await;
    let save = HuddleMessage::SaveRequest { seq: 7 };
    let raw = Bytes::from(wire::encode_huddle(&save));
    started
        .handle
        .frame(1, vec![Message::Huddle(save)], raw)
        .await
        .unwrap();
    // Memory is durable at once: the room answers without any flusher running.
    assert_eq!(next_saved(&mut started.frames).await, 7);

    // The first compaction started at the cap, on a blocking thread.
    eventually("no compaction ran", || boards.compactions() > 0).await;
    let want = started.client.snapshot(&started.client.doc().transact());
    let raw = boards.read("b").unwrap();
    assert!(raw.snapshot().is_some());
    assert!(
        raw.log.len() < 26,
        "the log still holds {} updates",
        raw.log.len()
    );
    assert_eq!(raw.next_seq, 26);
    let now = stored(&boards);
    assert_eq!(now.snapshot(&now.doc().transact()), want);

    // Closing the room folds what is left, whatever the rule.
    close(started).await;
    let raw = boards.read("b").unwrap();
    assert_eq!((raw.log.len(), raw.next_seq), (0, 26));
    let after = stored(&boards);
    assert_eq!(after.snapshot(&after.doc().transact()), want);
}

/// Closes the room (its last member leaves) and waits for its last compaction.
async fn close(started: Started) {
    drop(started.handle);
    started.room.await.unwrap();
    started.ctx.tracker.close();
    started.ctx.tracker.wait().await;
}

/// Below the compaction threshold, runs of single updates are merged into one log entry as
/// they come, and the log still makes the board.
#[tokio::test]
async fn a_room_merges_runs_of_its_log_between_compactions() {
    let dir = tempfile::tempdir().unwrap();
    let boards = Arc::new(MemoryStore::new());
    // A floor far above what the edits add up to: no compaction before the room closes.
    let rule = CompactionRule {
        after_updates: None,
        floor_bytes: 10 << 20,
    };
    let started = start(&boards, rule, &dir).await;
    let run = crate::store::compaction::MERGE_RUN as usize;
    edit(&started, run + 10).await;
    eventually("no merge ran", || boards.merges() > 0).await;
    assert_eq!(boards.compactions(), 0, "the log is below the floor");
    let raw = boards.read("b").unwrap();
    assert!(raw.snapshot().is_none());
    assert!(
        raw.log.len() <= 1 + 10 + 1,
        "the log holds {} entries",
        raw.log.len()
    );
    assert_eq!(raw.next_seq, 1 + run as u64 + 10);
    let want = started.client.snapshot(&started.client.doc().transact());
    let now = stored(&boards);
    assert_eq!(now.snapshot(&now.doc().transact()), want);
    close(started).await;
    assert_eq!(boards.read("b").unwrap().log.len(), 0);
}

/// Cluster mode's rule, on the memory store: once another node has taken the board (its
/// lease), the room acknowledges no save, writes nothing more, and sends its clients away to
/// reconnect (to the owner).
#[tokio::test]
async fn a_room_whose_board_moved_acknowledges_nothing_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let boards = Arc::new(MemoryStore::new());
    let mut started = start(&boards, CompactionRule::default(), &dir).await;
    edit(&started, 3).await;
    boards.disown("b");
    let save = HuddleMessage::SaveRequest { seq: 3 };
    let raw = Bytes::from(wire::encode_huddle(&save));
    // The room may already have stopped on its tick: then the frame finds it gone.
    let _ = started
        .handle
        .frame(1, vec![Message::Huddle(save)], raw)
        .await;
    tokio::time::timeout(Duration::from_secs(5), started.closer.closed())
        .await
        .expect("the room did not close the connection");
    assert_eq!(
        started.closer.reason(),
        (
            crate::outbox::code::TRY_AGAIN,
            "the board moved to another server; reconnect".to_owned()
        )
    );
    while let Some(frame) = started.frames.try_recv() {
        for message in wire::decode_frame(&frame, &Limits::default()).unwrap() {
            assert!(
                !matches!(message, Message::Huddle(HuddleMessage::Saved { .. })),
                "a save was acknowledged after the board moved"
            );
        }
    }
    let log_before = boards.read("b").unwrap().log.len();
    close(started).await;
    assert_eq!(
        boards.compactions(),
        0,
        "the room folded a board it does not own"
    );
    assert_eq!(boards.read("b").unwrap().log.len(), log_before);
}
