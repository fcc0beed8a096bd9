//! Private writing, on the wire: while it is on, each person's notes reach only their own
//! connections (in the `private` event); nobody else receives a byte of them, not the
//! facilitator, not a viewer, not a late joiner, not a stock Yjs client, not any HTTP answer.
//! At the end they appear in every replica at once, where their authors put them, under their
//! authors' names. A note written in a session that ended while its author was away is
//! published when they send it; the notes survive a restart of the server.
//!
//! Each note's text is a marker nothing else on the board carries and its id is one only its
//! author knows, so finding either in what someone else received means it was sent. Each
//! recorder first shows the search would find one: its own marker is in what it received.
//! The end's moment in each recording is a note with a marker text the facilitator adds just
//! before ending: everything received before it was received while writing was private.

use anyhow::{Context, bail, ensure};
use huddle_shared::facilitation::{Command, Event, PrivateNote, Request};
use huddle_shared::model::{Board, BoardSnapshot};
use huddle_shared::wire::{self, HuddleMessage};
use huddle_tests::client::Client;
use huddle_tests::http;
use huddle_tests::js;
use huddle_tests::rounds::{
    Secret, Team, board_answers, find_secrets, js_frames, labelled, sources, split_at,
};
use huddle_tests::server::TestServer;
use huddle_tests::visitor::Visitor;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

/// The text of the note the facilitator adds right before ending private writing.
const END_MARKER: &str = "MARK-BEFORE-END-p7w";

/// One connection of a person that speaks facilitation and records every frame it receives.
struct Tab {
    client: Client,
    next_req: AtomicU64,
}

impl Tab {
    /// A recording tab of `person`, synced; it says hello if `hello`.
    async fn open(server: &TestServer, team: &Team, person: &Visitor) -> anyhow::Result<Tab> {
        let client = Client::connect_recording(
            &server.ws_url_bare(&team.board),
            Board::new(),
            &[("Cookie", &person.cookie)],
        )
        .await?;
        client.wait_synced().await?;
        let tab = Tab {
            client,
            next_req: AtomicU64::new(1),
        };
        tab.ask(Command::Hello).await?.map_err(anyhow::Error::msg)?;
        Ok(tab)
    }

    /// Sends `cmd` and waits for its answer: `Ok(())` or the refusal's reason.
    async fn ask(&self, cmd: Command) -> anyhow::Result<Result<(), String>> {
        let req = self.next_req.fetch_add(1, SeqCst);
        let frame = wire::encode_huddle(&HuddleMessage::FacilitationRequest(Request { req, cmd }));
        self.client.send_raw(frame);
        let answer = |e: &Event| match e {
            Event::Ack { req: r } if *r == req => Some(Ok(())),
            Event::Refused { req: r, reason } if *r == req => Some(Err(reason.clone())),
            _ => None,
        };
        let state = self
            .client
            .wait_state_for(|s| s.fac_events.iter().any(|e| answer(e).is_some()))
            .await
            .with_context(|| format!("no answer to request {req}"))?;
        state
            .fac_events
            .iter()
            .find_map(answer)
            .context("answer vanished")
    }

    async fn ack(&self, cmd: Command) -> anyhow::Result<()> {
        match self.ask(cmd.clone()).await? {
            Ok(()) => Ok(()),
            Err(reason) => bail!("{cmd:?} was refused: {reason}"),
        }
    }

    async fn refused(&self, cmd: Command) -> anyhow::Result<String> {
        match self.ask(cmd.clone()).await? {
            Err(reason) if !reason.trim().is_empty() => Ok(reason),
            Err(_) => bail!("{cmd:?} was refused without a reason"),
            Ok(()) => bail!("{cmd:?} was acknowledged, but the server should refuse it"),
        }
    }

    async fn put(&self, note: &PrivateNote) -> anyhow::Result<Result<(), String>> {
        self.ask(Command::PrivatePut { note: note.clone() }).await
    }

    /// The latest `private` event (the person's own notes as the server holds them).
    fn private(&self) -> Option<Vec<PrivateNote>> {
        self.client
            .state()
            .fac_events
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::Private { notes } => Some(notes.clone()),
                _ => None,
            })
    }

    /// Waits until the latest `private` event satisfies `pred`.
    async fn wait_private(&self, pred: impl Fn(&[PrivateNote]) -> bool) -> anyhow::Result<()> {
        let latest = |s: &huddle_tests::client::State| {
            s.fac_events.iter().rev().find_map(|e| match e {
                Event::Private { notes } => Some(notes.clone()),
                _ => None,
            })
        };
        self.client
            .wait_state_for(|s| latest(s).is_some_and(|n| pred(&n)))
            .await
            .with_context(|| format!("waiting for a private event; last {:?}", self.private()))
            .map(drop)
    }

    /// The private-writing session in this tab's replica, waiting until it is `on` (or off).
    async fn wait_session(&self, on: bool) -> anyhow::Result<Option<String>> {
        let snap = self
            .client
            .wait_until(|b| b.facilitation.private.is_some() == on)
            .await?;
        Ok(snap.facilitation.private.map(|p| p.session))
    }

    fn snapshot(&self) -> BoardSnapshot {
        self.client.snapshot()
    }

    fn frames(&self) -> Vec<Vec<u8>> {
        self.client.frames()
    }
}

/// A person's private note: its id and text are theirs alone.
fn private_note(id: &str, text: &str, pos: [f64; 2]) -> PrivateNote {
    PrivateNote {
        id: id.into(),
        pos,
        size: [160.0, 120.0],
        color: "pink".into(),
        text: text.into(),
        session: String::new(),
    }
}

/// Who recorded, every frame they received, and their own private note (if any).
type Recording<'a> = (&'a str, Vec<Vec<u8>>, Option<&'a PrivateNote>);

/// The secrets of a note: its text and its id.
fn secrets(who: &str, note: &PrivateNote) -> Vec<Secret> {
    vec![
        Secret::text(format!("{who}'s private text"), &note.text),
        Secret::text(format!("{who}'s private note id"), &note.id),
    ]
}

/// Waits until `tab`'s replica holds each of `notes` as a published note, where its author put
/// it, with its text and its author's name.
async fn wait_published(tab: &Tab, notes: &[(&PrivateNote, &str)]) -> anyhow::Result<()> {
    let fits = |b: &BoardSnapshot| {
        notes.iter().all(|(n, author)| {
            b.items.get(&n.id).is_some_and(|i| {
                i.text == n.text && i.pos == n.pos && i.author == *author && i.color == n.color
            })
        })
    };
    tab.client
        .wait_until(fits)
        .await
        .context("waiting for the published notes")
        .map(drop)
}

fn ensure_none(hits: Vec<String>, when: &str) -> anyhow::Result<()> {
    ensure!(hits.is_empty(), "{when}:\n{}", hits.join("\n"));
    Ok(())
}

/// The facilitator (owner), an editor, a commenter, a viewer, a late joiner and a stock Yjs
/// client with an editor link: three people write privately, nobody receives another's notes
/// before the end, and at the end every replica has them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_one_receives_another_persons_private_notes_before_the_end() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Fay Facilitator").await?;
    let dan = team.member(&server, "editor", "Dan Editwright").await?;
    let cleo = team
        .member(&server, "commenter", "Cleo Commentsworth")
        .await?;
    let vic = team.member(&server, "viewer", "Vic Lookonly").await?;
    let leo = team.member(&server, "commenter", "Leo Latecomer").await?;
    let fay_tab = Tab::open(&server, &team, &team.owner).await?;
    let dan_tab = Tab::open(&server, &team, &dan).await?;
    let cleo_tab = Tab::open(&server, &team, &cleo).await?;
    let vic_tab = Tab::open(&server, &team, &vic).await?;

    // Only the facilitator starts private writing.
    let reason = dan_tab.refused(Command::PrivateStart).await?;
    ensure!(reason.contains("facilitator"), "{reason}");
    // Nobody writes privately while it is off (and there is no ended session to name).
    let early = private_note("early0Xq9", "EARLY-NOTE-zz1", [0.0, 0.0]);
    dan_tab.refused(Command::PrivatePut { note: early }).await?;
    fay_tab.ack(Command::PrivateStart).await?;
    let session = dan_tab.wait_session(true).await?.context("no session")?;

    // The stock client joins now and records until the end marker and the notes are in.
    let script = json!([
        {"op": "wait_synced"},
        {"op": "wait_for_map_size", "map": "items", "size": 5, "timeout_ms": 40000},
        {"op": "dump_received"},
    ]);
    let (base, board, key) = (
        server.ws_base(),
        team.board.clone(),
        team.key("editor")?.to_owned(),
    );
    let open = http::metric(server.addr(), "huddle_connections_open").await?;
    let js_peer = tokio::spawn(async move { js::run(&base, &board, Some(&key), script).await });
    // In the room before anyone writes: a stock client whose sync came after the end would
    // first get the end's own update (the published notes) and only then its sync step 2
    // with the marker, and the search would count that update as received before the end.
    http::wait_metric(server.addr(), "huddle_connections_open", |n| n > open).await?;

    let fay_note = private_note("fayPriv7Kq2Lw", "FAY-PRIVATE-r4Tq", [100.0, 50.0]);
    let dan_note = private_note("danPriv3Zx8Mn", "DAN-PRIVATE-w9Yv", [400.0, 50.0]);
    let cleo_note = private_note("cleoPriv5Jh1", "CLEO-PRIVATE-k2Bn", [700.0, 350.0]);
    for (tab, note) in [
        (&fay_tab, &fay_note),
        (&dan_tab, &dan_note),
        (&cleo_tab, &cleo_note),
    ] {
        // First a draft, then the note as it ends up (a page sends it again as one types).
        let draft = PrivateNote {
            text: format!("{} (draft)", note.text),
            ..note.clone()
        };
        tab.put(&draft).await?.map_err(anyhow::Error::msg)?;
        tab.put(note).await?.map_err(anyhow::Error::msg)?;
        // The author gets its own notes back, in the current session.
        let id = note.id.clone();
        let text = note.text.clone();
        let session = session.clone();
        tab.wait_private(move |n| {
            n.len() == 1 && n[0].id == id && n[0].text == text && n[0].session == session
        })
        .await?;
    }

    // A commenter's note that she deletes again: it is never published.
    let gone = private_note("cleoGone4Rt", "CLEO-DELETED-u8Pp", [0.0, 600.0]);
    cleo_tab.put(&gone).await?.map_err(anyhow::Error::msg)?;
    cleo_tab.wait_private(|n| n.len() == 2).await?;
    // Nobody else deletes or overwrites her notes.
    let taken = PrivateNote {
        text: "DAN-OVERWRITE".into(),
        ..gone.clone()
    };
    dan_tab.refused(Command::PrivatePut { note: taken }).await?;
    dan_tab
        .refused(Command::PrivateDelete {
            id: gone.id.clone(),
        })
        .await?;
    cleo_tab
        .ack(Command::PrivateDelete {
            id: gone.id.clone(),
        })
        .await?;
    cleo_tab.wait_private(|n| n.len() == 1).await?;

    // A viewer may not write privately; an id already on the board is refused.
    let vic_note = private_note("vicPriv1", "VIC-PRIVATE", [0.0, 0.0]);
    vic_tab
        .refused(Command::PrivatePut { note: vic_note })
        .await?;
    let on_board = add_notes_tab(&fay_tab, "a public note").await?;
    let clash = private_note(&on_board, "CLASH", [0.0, 0.0]);
    dan_tab.refused(Command::PrivatePut { note: clash }).await?;
    // Only the facilitator ends it.
    dan_tab.refused(Command::PrivateEnd).await?;

    // A late joiner sees private writing on and writes privately too.
    let leo_tab = Tab::open(&server, &team, &leo).await?;
    ensure!(leo_tab.wait_session(true).await? == Some(session.clone()));
    let leo_note = private_note("leoPriv6Ws3", "LEO-PRIVATE-h5Dc", [100.0, 400.0]);
    leo_tab.put(&leo_note).await?.map_err(anyhow::Error::msg)?;

    // No HTTP answer holds anyone's private note, not even its author's.
    let everyone: Vec<Secret> = [
        ("Fay", &fay_note),
        ("Dan", &dan_note),
        ("Cleo", &cleo_note),
        ("Leo", &leo_note),
    ]
    .iter()
    .flat_map(|(who, n)| secrets(who, n))
    .collect();
    for who in [&team.owner, &dan, &cleo, &vic] {
        let answers = board_answers(who, &team.board).await?;
        ensure_none(
            find_secrets(sources(&answers), &everyone),
            "a private note in an HTTP answer while writing was private",
        )?;
    }

    // The end: a marker, then everyone's notes appear.
    let marker_id = add_notes_tab(&fay_tab, END_MARKER).await?;
    let fay_cut = fay_tab.frames().len();
    fay_tab.ack(Command::PrivateEnd).await?;
    let published = [
        (&fay_note, "Fay Facilitator"),
        (&dan_note, "Dan Editwright"),
        (&cleo_note, "Cleo Commentsworth"),
        (&leo_note, "Leo Latecomer"),
    ];
    for tab in [&fay_tab, &dan_tab, &cleo_tab, &vic_tab, &leo_tab] {
        wait_published(tab, &published).await?;
        tab.wait_session(false).await?;
        ensure!(
            !tab.snapshot().items.contains_key(&gone.id),
            "the deleted private note was published"
        );
        // Everyone who said hello is told their private list is empty now.
        tab.wait_private(|n| n.is_empty()).await?;
    }
    ensure!(fay_tab.snapshot().items.contains_key(&marker_id));
    // The server wrote the notes, yet the contribution balance (the facilitator's) counts each
    // for its author.
    let counted = |e: &Event| match e {
        Event::Balance { people, .. } => published
            .iter()
            .all(|(_, author)| people.iter().any(|c| c.name == *author && c.notes >= 1)),
        _ => false,
    };
    fay_tab
        .client
        .wait_state_for(|s| s.fac_events.iter().any(counted))
        .await
        .context("the balance does not count the published private notes for their authors")?;
    let dump = js_peer.await??;
    let js_dump = dump.last().context("the JS peer printed nothing")?;
    let js_recording = js_frames(js_dump)?;

    // Who recorded what, and their own note (none for the viewer and the stock client).
    let mut fay_frames = fay_tab.frames();
    fay_frames.insert(
        fay_cut.min(fay_frames.len()),
        END_MARKER.as_bytes().to_vec(),
    );
    let recorders: [Recording; 6] = [
        ("Fay (facilitator)", fay_frames, Some(&fay_note)),
        ("Dan (editor)", dan_tab.frames(), Some(&dan_note)),
        ("Cleo (commenter)", cleo_tab.frames(), Some(&cleo_note)),
        ("Vic (viewer)", vic_tab.frames(), None),
        ("Leo (late joiner)", leo_tab.frames(), Some(&leo_note)),
        ("the stock Yjs client", js_recording, None),
    ];
    let all: Vec<(&str, &PrivateNote)> = vec![
        ("Fay", &fay_note),
        ("Dan", &dan_note),
        ("Cleo", &cleo_note),
        ("Leo", &leo_note),
        ("Cleo (deleted)", &gone),
    ];
    for (who, frames, own) in &recorders {
        let (before, after) = split_at(frames, END_MARKER);
        ensure!(!after.is_empty(), "{who}'s recording never reached the end");
        // The search finds what is there: one's own note while private, everyone's after.
        if let Some(own) = own {
            ensure!(
                !find_secrets(labelled(who, before), &secrets(who, own)).is_empty(),
                "{who}'s own private note is not in what {who} received: the search would miss a leak"
            );
        }
        for (whose, note) in &all[..4] {
            ensure!(
                !find_secrets(labelled(who, after), &secrets(whose, note)).is_empty(),
                "{whose}'s published note is not in what {who} received after the end"
            );
        }
        let others: Vec<Secret> = all
            .iter()
            .filter(|(whose, _)| !who.starts_with(whose.split(' ').next().unwrap_or(whose)))
            .flat_map(|(whose, n)| secrets(whose, n))
            .collect();
        ensure_none(
            find_secrets(labelled(who, before), &others),
            &format!("{who} received another person's private note before the end"),
        )?;
        // The deleted note never reaches anyone but its author, ever.
        if !who.starts_with("Cleo") {
            ensure_none(
                find_secrets(labelled(who, after), &secrets("Cleo (deleted)", &gone)),
                &format!("{who} received a deleted private note"),
            )?;
        }
    }
    Ok(())
}

/// Adds one public note on `tab`'s replica and waits until the server has it; its id.
async fn add_notes_tab(tab: &Tab, text: &str) -> anyhow::Result<String> {
    let id = tab.client.edit(|board, txn| {
        board.create_note(
            txn,
            huddle_shared::model::NewNote {
                pos: [0.0, 900.0],
                text: text.into(),
                ..Default::default()
            },
        )
    })?;
    tab.client.save().await?;
    Ok(id)
}

/// Notes survive a restart of the server in the middle of private writing and are published
/// at the end; a note written in the ended session by someone who was away is published
/// straight away when they send it; a made-up session, or someone who was not there, is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_survive_a_restart_and_an_offline_author_publishes_later() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Fay Facilitator").await?;
    let cleo = team
        .member(&server, "commenter", "Cleo Commentsworth")
        .await?;
    let fay_tab = Tab::open(&server, &team, &team.owner).await?;
    let cleo_tab = Tab::open(&server, &team, &cleo).await?;
    fay_tab.ack(Command::PrivateStart).await?;
    let session = cleo_tab.wait_session(true).await?.context("no session")?;
    let kept = private_note("cleoKept2Vb", "CLEO-KEPT-m3Ld", [250.0, 125.0]);
    cleo_tab.put(&kept).await?.map_err(anyhow::Error::msg)?;
    drop((fay_tab, cleo_tab));

    // A crash right after the ack: the note was on disk.
    server.restart()?;
    let fay_tab = Tab::open(&server, &team, &team.owner).await?;
    let cleo_tab = Tab::open(&server, &team, &cleo).await?;
    ensure!(fay_tab.wait_session(true).await? == Some(session.clone()));
    let id = kept.id.clone();
    cleo_tab
        .wait_private(move |n| n.len() == 1 && n[0].id == id)
        .await?;
    ensure!(
        !fay_tab.snapshot().items.contains_key(&kept.id),
        "a private note is in the document before the end"
    );
    fay_tab.ack(Command::PrivateEnd).await?;
    wait_published(&fay_tab, &[(&kept, "Cleo Commentsworth")]).await?;

    // Cleo's page kept a note written offline in the ended session: it goes straight in.
    let offline = PrivateNote {
        session: session.clone(),
        ..private_note("cleoOffline8Qp", "CLEO-OFFLINE-t6Rr", [900.0, 30.0])
    };
    cleo_tab.put(&offline).await?.map_err(anyhow::Error::msg)?;
    wait_published(&fay_tab, &[(&offline, "Cleo Commentsworth")]).await?;
    ensure!(
        cleo_tab.private().unwrap_or_default().is_empty(),
        "a late note was held, not published"
    );
    // Sent again (the page did not see it published yet): refused, not duplicated.
    cleo_tab
        .refused(Command::PrivatePut {
            note: offline.clone(),
        })
        .await?;
    // Someone who was not there while it was on cannot use the ended session's id (it is in
    // the document for all to read) to put notes on the board.
    let dora = team.member(&server, "commenter", "Dora Afterwards").await?;
    let dora_tab = Tab::open(&server, &team, &dora).await?;
    let sneaky = PrivateNote {
        session: session.clone(),
        ..private_note("doraSneaky3Hw", "DORA-SNEAKY", [0.0, 0.0])
    };
    dora_tab
        .refused(Command::PrivatePut { note: sneaky })
        .await?;
    // A session that never was is refused: a commenter cannot create notes this way.
    let forged = PrivateNote {
        session: "0123456789abcdef".into(),
        ..private_note("cleoForged1", "CLEO-FORGED", [0.0, 0.0])
    };
    cleo_tab
        .refused(Command::PrivatePut { note: forged })
        .await?;
    let items = fay_tab.snapshot().items;
    ensure!(!items.contains_key("cleoForged1") && !items.contains_key("doraSneaky3Hw"));

    // And the published notes are on disk: a restart keeps them.
    server.restart()?;
    let fay_tab = Tab::open(&server, &team, &team.owner).await?;
    wait_published(
        &fay_tab,
        &[
            (&kept, "Cleo Commentsworth"),
            (&offline, "Cleo Commentsworth"),
        ],
    )
    .await?;
    ensure!(fay_tab.wait_session(false).await?.is_none());
    Ok(())
}
