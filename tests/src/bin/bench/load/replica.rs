//! A participant's replica and its bookkeeping, without I/O: applies what the server sends,
//! tells through the [`Ledger`] which edit of which sender each update is, checks that every
//! sender's edits arrive in order with none skipped, and records latencies. Also makes the
//! participant's own edits and cursors.

use std::collections::HashMap;
use std::ops::Range;

use huddle_shared::model::{Board, ItemKind};
use huddle_shared::wire::{self, HuddleMessage, Message};
use yrs::block::ClientID;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::{ReadTxn, Transact};

use super::latency::micros_between;
use super::ledger::{Ledger, SentEdit};
use super::light::{self, Light};

/// Origin of transactions that apply what the server sent.
const REMOTE: &str = "remote";
/// Errors kept word for word per participant; the rest are only counted.
const MAX_ERRORS_KEPT: usize = 5;
/// Board coordinates a note is moved within (the seeded boards are about 22,000 wide).
const BOARD_EXTENT: f64 = 20_000.0;
/// Draws before an edit gives up finding a note: the boards are notes but for a story map's
/// few dozen parts (the `locks` scenario), so one draw almost always is.
const NOTE_DRAWS: usize = 64;

/// What one participant measured and found.
#[derive(Debug, Default)]
pub struct Stats {
    pub edit_latency_us: Vec<u32>,
    /// Per latency sample, when the edit was sent (ledger milliseconds): W6 splits its
    /// latencies at the kill and the resync.
    pub edit_sent_ms: Vec<u32>,
    pub cursor_latency_us: Vec<u32>,
    /// Live updates that began inside edits already held: a sender re-sending after a
    /// restart what the server had relayed but not kept (W6); not an error, not timed.
    pub resent: u64,
    /// Live updates ahead of an edit not yet held, received on a new connection before its
    /// sync step 2: the server forwards to a joining connection at once, and the step 2 that
    /// follows carries what comes before (W6's reconnections); not an error, not timed.
    pub before_sync: u64,
    /// Edits received one by one as live updates.
    pub live: u64,
    /// Edits received in a sync step 2 after the first sync (after a reconnect).
    pub resynced: u64,
    /// Cursors received (a later cursor of the same sender counts once).
    pub cursors: u64,
    /// The participant's own edits sent back to it by the server (y-websocket sends every
    /// update to every connection of the room, its sender's included); not deliveries.
    pub echoes: u64,
    /// Live updates the server itself wrote (since issue 12: a revealed round's result in
    /// the board's `rounds` map); not edits of anyone's, not timed as such.
    pub server_writes: u64,
    /// When the first of those arrived (ledger time): the `vote` scenario's reveal reaching
    /// this participant.
    pub results_at_ns: Option<u64>,
    /// The first few errors in full.
    pub errors: Vec<String>,
    pub error_count: u64,
}

impl Stats {
    /// Times an edit received at `at_ns` (ledger time), keeping when it was sent.
    fn edit_received(&mut self, sent: &SentEdit, at_ns: u64) {
        self.edit_latency_us.push(micros_between(sent.at_ns, at_ns));
        let sent_ms = u32::try_from(sent.at_ns / 1_000_000).unwrap_or(u32::MAX);
        self.edit_sent_ms.push(sent_ms);
    }

    pub fn error(&mut self, e: String) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS_KEPT {
            self.errors.push(e);
        }
    }
}

/// What handling one frame gave.
#[derive(Debug, Default)]
pub struct Received {
    /// Frames to send back (the answer to the server's sync step 1).
    pub replies: Vec<Vec<u8>>,
    /// A sync step 2 arrived: the replica is in sync with the server.
    pub synced: bool,
    /// Edits of others this replica newly holds.
    pub delivered: u64,
    /// The server confirmed durable everything sent before the save request with this `seq`.
    pub saved: Option<u64>,
}

/// When a replica integrates the live updates it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Apply {
    /// As each arrives, as a browser does.
    #[default]
    Now,
    /// Reads each one's header as it arrives (which edit of whom: enough to time, count and
    /// order-check it) and keeps its bytes; integrates them all at [`Replica::settle`], after
    /// the run, or before anything that needs the document (a resync, an unexpected update).
    /// For rooms so big that integrating everything live would saturate the generator (W2):
    /// the server's work and what is measured are the same, the generator's CPU is not.
    /// The own edits are made on a document that lacks the others' recent moves; yrs
    /// resolves such concurrent writes like any others, and every replica still ends equal.
    Later,
}

pub struct Replica {
    pub index: usize,
    /// Participant indexes of the board's participants (this one included).
    room: Range<usize>,
    pub board: Board,
    client: ClientID,
    /// Own clock: where the next own edit starts.
    clock: u32,
    item_ids: Vec<String>,
    rng: fastrand::Rng,
    /// Per room member: how many of its edits this replica holds, in the order they were sent.
    pub held: Vec<usize>,
    /// Per room member: its clock in this replica's document (the end of what it holds).
    clocks: Vec<u32>,
    /// Per room member: the last cursor clock seen.
    cursor_seen: Vec<u32>,
    /// Whether the first sync has happened (later step 2s are resyncs).
    synced_once: bool,
    /// A connection is open whose sync step 2 has not arrived yet.
    awaiting_sync: bool,
    apply: Apply,
    /// Live updates received and not yet integrated ([`Apply::Later`]).
    deferred: Vec<Vec<u8>>,
    pub stats: Stats,
}

impl Replica {
    pub fn new(index: usize, room: Range<usize>, apply: Apply) -> Replica {
        let members = room.len();
        Replica {
            index,
            room,
            board: Board::with_client_id(Ledger::client_id(index)),
            client: ClientID::new(Ledger::client_id(index)),
            clock: 0,
            item_ids: Vec::new(),
            rng: fastrand::Rng::with_seed(index as u64),
            held: vec![0; members],
            clocks: vec![0; members],
            cursor_seen: vec![0; members],
            synced_once: false,
            awaiting_sync: false,
            apply,
            deferred: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// Makes room for `edits` and `cursors` received, so that the sample vectors do not grow
    /// while the run sends: W2's 500 participants' vectors doubling at the same moments
    /// stalled the generator for 100 to 300 ms at each doubling.
    pub fn reserve(&mut self, edits: usize, cursors: usize) {
        self.stats.edit_latency_us.reserve(edits);
        self.stats.edit_sent_ms.reserve(edits);
        self.stats.cursor_latency_us.reserve(cursors);
        if self.apply == Apply::Later {
            self.deferred.reserve(edits);
        }
    }

    /// Handles one frame from the server received at `at_ns` (ledger time). An error means
    /// the server sent something this client cannot accept; the connection is then dropped.
    pub fn on_frame(
        &mut self,
        frame: &[u8],
        at_ns: u64,
        ledger: &Ledger,
    ) -> Result<Received, String> {
        if self.apply == Apply::Later {
            match light::read(frame) {
                Some(Light::Update {
                    payload,
                    client,
                    clock,
                }) => {
                    if let Some(delivered) = self.live_later(payload, client, clock, at_ns, ledger)
                    {
                        return Ok(Received {
                            delivered,
                            ..Received::default()
                        });
                    }
                    // Not simply the next edit of one member: integrate everything first.
                    self.settle()?;
                }
                Some(Light::Awareness(entries)) => {
                    self.cursors(entries, at_ns, ledger);
                    return Ok(Received::default());
                }
                None => self.settle()?,
            }
        }
        let messages = wire::decode_frame(frame, &wire::Limits::default())
            .map_err(|e| format!("undecodable frame from the server: {e}"))?;
        let mut out = Received::default();
        for message in messages {
            match message {
                Message::SyncStep1(sv) => {
                    let update = self.board.doc().transact().encode_state_as_update_v1(&sv);
                    out.replies.push(wire::encode_sync_step2(&update));
                }
                Message::SyncStep2(update) => {
                    self.awaiting_sync = false;
                    self.apply(&update)?;
                    out.delivered += self.catch_up(ledger);
                    out.synced = true;
                    if !self.synced_once {
                        self.synced_once = true;
                        self.item_ids = self.board.item_ids(&self.board.doc().transact());
                    }
                }
                Message::Update(update) => out.delivered += self.live(&update, at_ns, ledger)?,
                Message::Awareness(update) => {
                    let entries = update.clients.iter().map(|(c, e)| (c.get(), e.clock));
                    self.cursors(entries, at_ns, ledger)
                }
                Message::Huddle(HuddleMessage::Saved { seq }) => out.saved = Some(seq),
                Message::AwarenessQuery | Message::Auth(_) | Message::Huddle(_) => {}
            }
        }
        Ok(out)
    }

    /// A live update: must be the next edit of one room member.
    fn live(&mut self, payload: &[u8], at_ns: u64, ledger: &Ledger) -> Result<u64, String> {
        let update = wire::decode_update(payload).map_err(|e| e.to_string())?;
        let firsts: Vec<(ClientID, u32)> = update
            .state_vector_lower()
            .iter()
            .map(|(c, clock)| (*c, *clock))
            .collect();
        // A writer that is none of the participants: the server, writing a round's result.
        let stranger = firsts.iter().any(|(c, _)| {
            c.get() != crate::fixtures::FIXTURE_CLIENT && self.member(c.get(), ledger).is_none()
        });
        let results_before = stranger.then(|| self.results());
        // Per client, the end of the clocks this update inserted.
        let (ends, pending) = {
            let mut txn = self.board.doc().transact_mut_with(REMOTE);
            txn.apply_update(update)
                .map_err(|e| format!("yrs refused a live update: {e}"))?;
            let ends: Vec<(ClientID, u32)> = txn
                .insert_set()
                .iter()
                .map(|(c, ranges)| (*c, ranges.iter().map(|r| r.end).max().unwrap_or(0)))
                .collect();
            (ends, txn.has_missing_updates())
        };
        let mut delivered = 0;
        for (client, first) in firsts {
            if client.get() == crate::fixtures::FIXTURE_CLIENT {
                // The seeded board itself: y-websocket sends a stored board as an update after
                // its sync step 2 (on a restart, to everyone reconnecting). Not an edit.
                continue;
            }
            let Some(member) = self.member(client.get(), ledger) else {
                if results_before
                    .as_ref()
                    .is_some_and(|before| *before != self.results())
                {
                    self.stats.server_writes += 1;
                    self.stats.results_at_ns.get_or_insert(at_ns);
                    continue;
                }
                self.stats.error(format!(
                    "live update from client {} who is not in this board",
                    client.get()
                ));
                continue;
            };
            let sender = self.room.start + member;
            if sender == self.index {
                self.stats.echoes += 1; // already applied when it was made
                continue;
            }
            let k = self.held[member];
            match ledger.edit_at(sender, k) {
                Some(sent) if sent.start == first => self.stats.edit_received(&sent, at_ns),
                Some(sent) if first < sent.start => self.stats.resent += 1,
                None if k > 0 && ledger.edit_at(sender, k - 1).is_some_and(|e| first < e.end) => {
                    self.stats.resent += 1
                }
                Some(sent) if self.awaiting_sync && first > sent.start => {
                    self.stats.before_sync += 1
                }
                expected => self.stats.error(format!(
                    "participant {}: edit of participant {sender} starting at clock {first} \
                     arrived where its edit #{k} (clock {:?}) was due: skipped or out of order",
                    self.index,
                    expected.map(|e| e.start)
                )),
            }
            let before = self.held[member];
            if first <= self.clocks[member] && !pending {
                // Contiguous with what this replica holds of the sender, and fully integrated:
                // its clock is now the update's end. (Computing the whole state vector here
                // instead, for every update at every receiver, took half the generator's CPU
                // in W2's 500-client room.)
                let inserted = ends.iter().find(|(c, _)| *c == client).map_or(0, |e| e.1);
                let end = inserted.max(self.clocks[member]);
                self.clocks[member] = end;
                let covered = ledger.edits_covered(sender, end);
                self.held[member] = self.held[member].max(covered);
            } else {
                self.hold_from_doc(member, ledger);
            }
            let got = (self.held[member] - before) as u64;
            self.stats.live += got;
            delivered += got;
        }
        Ok(delivered)
    }

    /// After a sync step 2: recounts what this replica holds of every member's edits.
    fn catch_up(&mut self, ledger: &Ledger) -> u64 {
        let mut delivered = 0;
        for member in 0..self.room.len() {
            if self.room.start + member == self.index {
                continue;
            }
            let before = self.held[member];
            self.hold_from_doc(member, ledger);
            delivered += (self.held[member] - before) as u64;
        }
        if self.synced_once {
            self.stats.resynced += delivered;
        }
        delivered
    }

    /// Sets `held[member]` from the document's state vector (never lowers it).
    fn hold_from_doc(&mut self, member: usize, ledger: &Ledger) {
        let sender = self.room.start + member;
        let client = ClientID::new(Ledger::client_id(sender));
        let clock = self.board.doc().transact().state_vector().get(&client);
        self.clocks[member] = clock;
        let covered = ledger.edits_covered(sender, clock);
        self.held[member] = self.held[member].max(covered);
    }

    /// [`Apply::Later`]: a live update that is exactly the next edit of one other member is
    /// timed, counted and kept for [`Replica::settle`]; `None` for anything else (the caller
    /// settles and handles it in full).
    fn live_later(
        &mut self,
        payload: &[u8],
        client: u64,
        first: u32,
        at_ns: u64,
        ledger: &Ledger,
    ) -> Option<u64> {
        let member = self.member(client, ledger)?;
        let sender = self.room.start + member;
        if sender == self.index || self.awaiting_sync {
            return None;
        }
        let k = self.held[member];
        let sent = ledger.edit_at(sender, k)?;
        if sent.start != first || first != self.clocks[member] {
            return None;
        }
        self.stats.edit_received(&sent, at_ns);
        self.held[member] = k + 1;
        self.clocks[member] = sent.end;
        self.stats.live += 1;
        self.deferred.push(payload.to_vec());
        Some(1)
    }

    /// Integrates the live updates kept by [`Apply::Later`], in one transaction (merging them
    /// first with `yrs::merge_updates_v1` took minutes for W2's 500 replicas).
    pub fn settle(&mut self) -> Result<(), String> {
        if self.deferred.is_empty() {
            return Ok(());
        }
        let mut txn = self.board.doc().transact_mut_with(REMOTE);
        for payload in std::mem::take(&mut self.deferred) {
            let update = wire::decode_update(&payload).map_err(|e| e.to_string())?;
            txn.apply_update(update)
                .map_err(|e| format!("yrs refused a kept update: {e}"))?;
        }
        Ok(())
    }

    fn cursors(
        &mut self,
        entries: impl IntoIterator<Item = (u64, u32)>,
        at_ns: u64,
        ledger: &Ledger,
    ) {
        for (client, clock) in entries {
            let Some(member) = self.member(client, ledger) else {
                continue; // a stranger's cursor is not ours to measure
            };
            let sender = self.room.start + member;
            if sender == self.index || clock <= self.cursor_seen[member] {
                continue;
            }
            self.cursor_seen[member] = clock;
            // Removals (a member left) carry a clock that was never logged: not a cursor.
            if let Some(sent) = ledger.cursor_at(sender, clock) {
                self.stats.cursors += 1;
                self.stats
                    .cursor_latency_us
                    .push(micros_between(sent, at_ns));
            }
        }
    }

    /// The maps only the server writes (round results, decisions), entry by entry as stored
    /// (not parsed: 50 replicas parsing a 200-voter result twice each would time the
    /// generator's one core, not the reveal).
    fn results(&self) -> Vec<(String, String)> {
        use yrs::Map;
        let txn = self.board.doc().transact();
        self.board
            .results_roots()
            .iter()
            .flat_map(|map| {
                map.iter(&txn)
                    .map(|(key, value)| (key.to_owned(), value.to_string(&txn)))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Offset in the room of the participant using `client`, if it is in this board.
    fn member(&self, client: u64, ledger: &Ledger) -> Option<usize> {
        let p = ledger.participant(client)?;
        self.room.contains(&p).then(|| p - self.room.start)
    }

    fn apply(&self, payload: &[u8]) -> Result<(), String> {
        let update = wire::decode_update(payload).map_err(|e| e.to_string())?;
        self.board
            .doc()
            .transact_mut_with(REMOTE)
            .apply_update(update)
            .map_err(|e| format!("yrs refused an update from the server: {e}"))
    }

    /// Makes one edit (a note move, or one character typed at the start of a note's text),
    /// logs it and returns the frame to send.
    pub fn edit(&mut self, text: bool, ledger: &Ledger) -> anyhow::Result<Vec<u8>> {
        if self.item_ids.is_empty() {
            anyhow::bail!("the board has no notes to edit");
        }
        let update = {
            let mut txn = self.board.transact_mut();
            // Notes only: a story map's parts on the board (the `locks` scenario) may be
            // locked, and the workloads are people moving notes.
            let id = (0..NOTE_DRAWS)
                .map(|_| &self.item_ids[self.rng.usize(..self.item_ids.len())])
                .find(|id| self.board.kind_of(&txn, id) == Some(ItemKind::Note))
                .ok_or_else(|| anyhow::anyhow!("no note among {NOTE_DRAWS} items drawn"))?;
            if text {
                self.board.insert_text(&mut txn, id, 0, "x")?;
            } else {
                let pos = [self.rng.f64() * BOARD_EXTENT, self.rng.f64() * BOARD_EXTENT];
                self.board.move_item(&mut txn, id, pos)?;
            }
            txn.encode_update_v1()
        };
        let end = self.board.doc().transact().state_vector().get(&self.client);
        ledger.record_edit(self.index, self.clock, end);
        self.clock = end;
        Ok(wire::encode_update(&update))
    }

    /// A new connection is open: until its sync step 2, updates may run ahead of it.
    pub fn connection_opened(&mut self) {
        self.awaiting_sync = true;
    }

    /// This participant's own clock: a save request with it as `seq` asks for every own
    /// edit so far.
    pub fn own_clock(&self) -> u32 {
        self.clock
    }

    /// Moves this participant's cursor, logs it and returns the awareness frame to send.
    pub fn cursor(&mut self, ledger: &Ledger) -> Vec<u8> {
        let json = format!(
            r#"{{"cursor":[{:.0},{:.0}],"name":"participant {}"}}"#,
            self.rng.f64() * BOARD_EXTENT,
            self.rng.f64() * BOARD_EXTENT,
            self.index
        );
        let clock = ledger.record_cursor(self.index);
        let update = AwarenessUpdate {
            clients: HashMap::from([(
                self.client,
                AwarenessUpdateEntry {
                    clock,
                    json: json.into(),
                },
            )]),
        };
        wire::encode_awareness(&update)
    }

    /// Whether yrs holds updates it could not integrate (something they depend on is missing).
    /// Not every gap shows here: yrs 0.28 integrates a block whose dependencies are present
    /// even if earlier blocks of its sender are missing; the ledger's order check sees those.
    pub fn has_missing_updates(&self) -> bool {
        self.board.doc().transact().has_missing_updates()
    }
}

#[cfg(test)]
#[path = "replica_tests.rs"]
mod tests;
