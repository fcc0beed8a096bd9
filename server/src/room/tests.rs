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

#[tokio::test]
async fn a_room_on_the_memory_store_saves_compacts_and_folds_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let boards = Arc::new(MemoryStore::new());
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
    let ctx = context(boards.clone(), CompactionRule::after_updates(10), &dir);

    let (tx, rx) = mpsc::channel(64);
    let room = tokio::spawn(super::run("b".into(), 1, rx, ctx.clone()));
    let handle = RoomHandle::new(tx);
    let (frames_tx, mut frames) = frame_queue(1024);
    let outbox = Outbox {
        frames: frames_tx,
        closer: Arc::new(Closer::default()),
        linger: Linger::default(),
    };
    let member = Member {
        person: "p".into(),
        role: Role::Owner,
        name: "P".into(),
        epoch: ctx.rooms.access_epoch(),
    };
    assert!(handle.join(1, member, outbox).await);

    // 25 edits: with the initial update, the log reaches the cap of 10 on the 9th.
    for i in 0..25 {
        let update = note_update(&client, i as f64);
        let raw = Bytes::from(wire::encode_update(&update));
        handle
            .frame(1, vec![Message::Update(update)], raw)
            .await
            .unwrap();
    }
    let save = HuddleMessage::SaveRequest { seq: 7 };
    let raw = Bytes::from(wire::encode_huddle(&save));
    handle
        .frame(1, vec![Message::Huddle(save)], raw)
        .await
        .unwrap();
    // Memory is durable at once: the room answers without any flusher running.
    assert_eq!(next_saved(&mut frames).await, 7);

    // The first compaction started at the cap, on a blocking thread.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while boards.compactions() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no compaction ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let want = client.snapshot(&client.doc().transact());
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
    drop(handle);
    room.await.unwrap();
    ctx.tracker.close();
    ctx.tracker.wait().await;
    let raw = boards.read("b").unwrap();
    assert_eq!((raw.log.len(), raw.next_seq), (0, 26));
    let after = stored(&boards);
    assert_eq!(after.snapshot(&after.doc().transact()), want);
}
