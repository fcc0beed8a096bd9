//! A [`BoardStore`] in Redis, for cluster mode (DESIGN.md, "Many nodes"): each board's update
//! log is a Redis stream, its snapshot a string beside it, and the node that runs the board's
//! room holds a lease on it with a fencing token.
//!
//! # Keys
//!
//! The board list is the store's `boards` tree ([`super::kv`]: board id -> [`BoardMeta`] JSON),
//! shared with the API. A board's own keys carry its id as a hash tag, `huddle:{BOARD}:…`:
//!
//! - `log`: a stream; update `seq` is the entry `0-{seq + 1}` with one field `u`;
//! - `snapshot`: 8 bytes (big-endian seq of the last update it covers), then an update v1, the
//!   same value as sled's;
//! - `lease`: the id of the node that owns the board, with a time to live ([`LEASE_TTL`]);
//! - `owner`: the node that took the lease last, until it lets go (so a node that takes a
//!   board whose owner never let go knows it took it over: `/metrics`);
//! - `fence`: the fencing token, a counter incremented by every node that takes the lease and
//!   by deleting the board. It is never deleted.
//!
//! # Ownership
//!
//! [`RedisStore::acquire`] takes the lease if no other node holds it and increments the fence;
//! the new value is this node's token for the board. Every write (an append, the meta, a
//! compaction) is a Lua script that first checks that the fence still holds the writer's token,
//! so a node that lost its lease (paused past it, cut off) and whose board another node then
//! took cannot write: its writes come back fenced, the board is marked lost
//! ([`BoardStore::owns`] turns false) before any of them is counted durable, and the room stops
//! and sends its clients away to reconnect. A thread renews the leases every third of
//! [`LEASE_TTL`]; a node that dies stops renewing, so its boards are free again within it.
//!
//! # Durability
//!
//! Appends and meta writes are queued, in write-mark order, to one writer thread, which sends
//! everything queued as one pipeline (the group commit) and then publishes the durable mark.
//! What "durable" means is Redis's persistence: with `appendonly yes` and `appendfsync always`
//! Redis answers a write only once it is fsynced, so "saved" survives a crash of Redis or its
//! machine; with `appendfsync everysec` (Redis's default for the AOF) it survives a crash of
//! Redis but up to a second of saves can be lost with the machine. README, "Running several
//! nodes".
//!
//! Blocking calls (reading a board, compaction, leases) take a connection from a small pool;
//! they belong on blocking threads, as sled's do.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use ::redis::{Client, Connection, ConnectionLike, RedisResult, Script, Value};
use tokio::sync::watch;

use super::boards::{self, BoardStore, RawBoard};
use super::{BoardMeta, StoreError, corrupt};

/// How long a lease lasts without renewal: a dead node's boards are free again this long
/// after its last renewal (the issue's "within a few seconds").
pub const LEASE_TTL: Duration = Duration::from_secs(3);
/// How long a blocking call waits for Redis before it fails.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// The most writes one pipeline carries.
const MAX_BATCH: usize = 1024;

/// Whether this node holds a board's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// This node owns the board; every write carries this fencing token.
    Held(u64),
    /// Another node holds the lease: its id.
    Elsewhere(String),
}

/// The Lua scripts; each checks the fence before it writes. `KEYS` and `ARGV` are listed above
/// each.
mod scripts {
    /// KEYS: lease, fence, owner. ARGV: holder, ttl ms. -> {1, token, 1 if the board was
    /// taken over (its last owner's lease ran out, it never let go)} or {0, holder}. A lease
    /// this process still holds in Redis (its room closed and one reopened before the
    /// release went out) keeps its token: the writes queued under it are still to go.
    pub const ACQUIRE: &str = r#"
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {0, holder} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if holder then return {1, tonumber(redis.call('GET', KEYS[2])), 0} end
local last = redis.call('GET', KEYS[3])
redis.call('SET', KEYS[3], ARGV[1])
local taken_over = 0
if last and last ~= ARGV[1] then taken_over = 1 end
return {1, redis.call('INCR', KEYS[2]), taken_over}
"#;
    /// KEYS: lease, fence. ARGV: node, token, ttl ms. -> 1 renewed, 0 lost. A lease that
    /// expired while nobody else took it (the fence still holds our token) is taken again.
    pub const RENEW: &str = r#"
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
"#;
    /// KEYS: lease, fence, owner. ARGV: node, token. -> 1.
    pub const RELEASE: &str = r#"
if redis.call('GET', KEYS[2]) == ARGV[2] and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[3])
end
return 1
"#;
    /// KEYS: a tree's values, its keys[, the board's fence]. ARGV: key, '1' and the value to
    /// set it, '0' to remove it[, token]. -> 1, or -1 fenced.
    pub const TREE_WRITE: &str = r#"
if #KEYS > 2 and redis.call('GET', KEYS[3]) ~= ARGV[4] then return -1 end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
"#;
    /// KEYS: fence, log. ARGV: token, entry id, update. -> 1 written, 0 already there (a
    /// pipeline retried after a lost connection), -1 fenced.
    pub const APPEND: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local ok = redis.pcall('XADD', KEYS[2], ARGV[2], 'u', ARGV[3])
if type(ok) == 'table' and ok.err then
  if string.find(ok.err, 'equal or smaller', 1, true) then return 0 end
  return redis.error_reply(ok.err)
end
return 1
"#;
    /// KEYS: fence, board list values, board list keys. ARGV: token, board, json. -> 1
    /// written, -1 fenced.
    pub const PUT_META: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
return 1
"#;
    /// KEYS: fence, snapshot, log. ARGV: token, the snapshot header the fold started from ('' for
    /// none), the new snapshot, the first entry id kept. -> 1 written, 0 another compaction
    /// swapped the snapshot meanwhile, -1 fenced.
    pub const COMPACT: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('GETRANGE', KEYS[2], 0, 7) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('XTRIM', KEYS[3], 'MINID', ARGV[4])
return 1
"#;
    /// KEYS: board list values, board list keys, log. ARGV: board, json, first update. -> 1
    /// created, 0 the board exists.
    pub const CREATE: &str = r#"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('DEL', KEYS[3])
redis.call('XADD', KEYS[3], '0-1', 'u', ARGV[3])
return 1
"#;
    /// KEYS: board list values, board list keys, snapshot, log, lease, owner, fence. ARGV:
    /// board.
    /// -> 1 deleted, 0 there was no such board. The fence moves on: an owner's writes after
    /// this fail.
    pub const DELETE: &str = r#"
local existed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('INCR', KEYS[7])
return existed
"#;
}

/// The scripts, hashed once.
struct Scripts {
    acquire: Script,
    release: Script,
    tree_write: Script,
    append: Script,
    put_meta: Script,
    compact: Script,
    create: Script,
    delete: Script,
}

impl Scripts {
    fn new() -> Scripts {
        Scripts {
            acquire: Script::new(scripts::ACQUIRE),
            release: Script::new(scripts::RELEASE),
            tree_write: Script::new(scripts::TREE_WRITE),
            append: Script::new(scripts::APPEND),
            put_meta: Script::new(scripts::PUT_META),
            compact: Script::new(scripts::COMPACT),
            create: Script::new(scripts::CREATE),
            delete: Script::new(scripts::DELETE),
        }
    }

    /// Loads the scripts the writer sends by hash (EVALSHA) into a new connection's server (a
    /// restarted Redis has forgotten them).
    fn load_queued(&self, conn: &mut Connection) -> RedisResult<()> {
        for script in [
            &self.append,
            &self.put_meta,
            &self.release,
            &self.tree_write,
        ] {
            script.prepare_invoke().load(conn)?;
        }
        Ok(())
    }
}

/// A board's key `part`.
fn key(board: &str, part: &str) -> String {
    format!("huddle:{{{board}}}:{part}")
}

/// The key of a board's fencing counter (board trees' writes check it: [`super::kv`]).
pub(super) fn fence_key(board: &str) -> String {
    key(board, "fence")
}

/// The board list, the store's `boards` tree ([`super::kv`]'s layout in Redis): values and
/// keys.
const BOARDS_VALS: &str = "huddle:kv:{boards}:vals";
const BOARDS_KEYS: &str = "huddle:kv:{boards}:keys";

/// The counter behind [`super::kv::Db::generate_id`].
pub(super) const IDS_KEY: &str = "huddle:ids";

/// Where node `node` can be reached.
fn node_key(node: &str) -> String {
    format!("huddle:node:{node}")
}

/// Refreshes this node's address entry (it lives twice a lease's life).
fn announce(shared: &Shared) -> RedisResult<()> {
    let address = shared
        .address
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let Some(address) = address else {
        return Ok(());
    };
    let ttl = (LEASE_TTL * 2).as_millis() as u64;
    shared.with_conn(|c| {
        ::redis::cmd("SET")
            .arg(node_key(&shared.holder))
            .arg(&address)
            .arg("PX")
            .arg(ttl)
            .query::<()>(c)
    })
}

/// The stream entry id of update `seq`.
fn entry_id(seq: u64) -> String {
    format!("0-{}", seq + 1)
}

fn seq_of_entry_id(board: &str, id: &[u8]) -> Result<u64, StoreError> {
    std::str::from_utf8(id)
        .ok()
        .and_then(|id| id.strip_prefix("0-"))
        .and_then(|n| n.parse::<u64>().ok())
        .and_then(|n| n.checked_sub(1))
        .ok_or_else(|| corrupt(board, "log entry id"))
}

/// A queued write, in write-mark order.
enum Write {
    Append {
        board: String,
        token: u64,
        seq: u64,
        update: Vec<u8>,
    },
    Meta {
        board: String,
        token: u64,
        json: Vec<u8>,
    },
    /// Lets go of a lease once everything written before it has gone out.
    Release { board: String, token: u64 },
    /// A tree's key set (`Some`) or removed, written behind ([`super::kv::Tree::insert_behind`]).
    Tree {
        vals: String,
        keys: String,
        key: Vec<u8>,
        value: Option<Vec<u8>>,
        /// A board's tree ([`super::kv::Db::open_board_tree`]): its board and token.
        fence: Option<(String, u64)>,
    },
}

impl Write {
    /// The board and token of a write that carries them (the ones that can be fenced).
    fn fenced_as(&self) -> Option<(&str, u64)> {
        match self {
            Write::Append { board, token, .. }
            | Write::Meta { board, token, .. }
            | Write::Release { board, token }
            | Write::Tree {
                fence: Some((board, token)),
                ..
            } => Some((board, *token)),
            Write::Tree { fence: None, .. } => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Held {
    token: u64,
    rooms: usize,
    /// When a connection claimed the board for this node ([`RedisStore::claim`]); a claim
    /// no room took up is let go after [`CLAIM_GRACE`].
    since: std::time::Instant,
}

/// How long a board claimed for a connection may stay held with no room running it (the
/// connection was refused, say) before the lease keeper lets it go.
const CLAIM_GRACE: Duration = Duration::from_secs(10);

/// What the writer and the lease keeper share with the store's handles.
struct Shared {
    client: Client,
    /// This node's id (`--node-id`).
    node: String,
    /// What this process writes as a lease's holder: the node id and a number drawn at
    /// start, so that a node restarted under the same id is another holder (the old
    /// process's leases are not its own, whatever it is called).
    holder: String,
    scripts: Scripts,
    /// Idle connections for blocking calls.
    pool: Mutex<Vec<Connection>>,
    /// The boards this node owns: their fencing tokens, and how many of this node's rooms
    /// acquired each and have not released it (a room reopening a board may start before
    /// the closing one let go).
    held: Mutex<HashMap<String, Held>>,
    /// Releases queued for the writer and not yet answered, per board: a room taking a
    /// board back on this node waits for them, or the late release would delete the lease
    /// it then holds (until the next renewal, long enough for another node to take it).
    releasing: Mutex<HashMap<String, usize>>,
    /// Incremented for every queued write: "how much has been written".
    written: AtomicU64,
    /// The `written` value Redis has acknowledged everything up to.
    durable: watch::Sender<u64>,
    /// Writes refused because another node holds the board (tests and `/metrics`).
    fenced_writes: AtomicU64,
    /// Boards this node took from a node whose lease had run out (`/metrics`).
    takeovers: AtomicU64,
    /// The address other nodes relay this node's boards' clients to, once it listens.
    address: Mutex<Option<String>>,
}

impl Shared {
    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, Held>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lock order: [`Shared::held`] first when both are taken.
    fn releasing(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.releasing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a release about to be queued (call with [`Shared::held`] locked, the board
    /// just removed from it).
    fn will_release(&self, board: &str) {
        *self.releasing().entry(board.to_owned()).or_default() += 1;
    }

    /// The writer has Redis's answer to a queued release.
    fn released(&self, board: &str) {
        let mut releasing = self.releasing();
        if let Some(n) = releasing.get_mut(board) {
            *n -= 1;
            if *n == 0 {
                releasing.remove(board);
            }
        }
    }

    /// The board's token, if this node owns it.
    fn token(&self, board: &str) -> Result<u64, StoreError> {
        self.held()
            .get(board)
            .map(|h| h.token)
            .ok_or_else(|| StoreError::NotOwner(board.to_owned()))
    }

    /// A write with `token` was fenced: another node owns the board now.
    fn fenced(&self, board: &str, token: u64) {
        self.fenced_writes.fetch_add(1, SeqCst);
        self.lose(board, token);
    }

    /// Forgets the board's lease if it is still the one with `token`.
    fn lose(&self, board: &str, token: u64) {
        let mut held = self.held();
        if held.get(board).is_some_and(|h| h.token == token) {
            held.remove(board);
            tracing::warn!(board, token, "lost the board's lease to another node");
        }
    }

    fn connect(&self) -> RedisResult<Connection> {
        let conn = self.client.get_connection_with_timeout(IO_TIMEOUT)?;
        conn.set_read_timeout(Some(IO_TIMEOUT))?;
        conn.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(conn)
    }

    /// Runs `f` on a pooled connection, or a new one if none is idle. A connection that
    /// failed with an I/O error is dropped, not pooled again; if it was a pooled one (which
    /// may have gone stale, as when Redis restarted), `f` runs once more on a new connection.
    ///
    /// The round trip blocks, so called from async code (a request's middleware, a room's
    /// task) it runs in [`off_async_threads`]: a Redis that stops answering then holds up the
    /// callers waiting for it, never the node's other requests and rooms.
    fn with_conn<T>(&self, f: impl FnMut(&mut Connection) -> RedisResult<T>) -> RedisResult<T> {
        off_async_threads(|| self.with_conn_here(f))
    }

    fn with_conn_here<T>(
        &self,
        mut f: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> RedisResult<T> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(mut conn) = pooled.filter(|c| c.is_open()) {
            match f(&mut conn) {
                Err(e) if broken(&e) => {}
                result => {
                    self.pool_again(conn);
                    return result;
                }
            }
        }
        let mut conn = self.connect()?;
        let result = f(&mut conn);
        if !matches!(&result, Err(e) if broken(e)) {
            self.pool_again(conn);
        }
        result
    }

    fn pool_again(&self, conn: Connection) {
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
    }
}

/// Runs blocking `f`, handing this thread's async work to another thread first when it is
/// one of tokio's async worker threads (`block_in_place`); elsewhere (a blocking task, the
/// writer's thread, a test's runtime of one thread, no runtime) it just runs `f`.
fn off_async_threads<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Whether the error leaves the connection unusable.
fn broken(e: &::redis::RedisError) -> bool {
    e.is_io_error() || e.is_unrecoverable_error() || e.is_connection_dropped()
}

/// Boards in Redis; see the module's docs. Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
    /// Queued writes; locked while a write takes its mark and is queued, so that the queue is
    /// in mark order.
    queue: Arc<Mutex<mpsc::Sender<Write>>>,
}

impl RedisStore {
    /// Connects to Redis at `url` as node `node` and starts the writer and the lease keeper.
    pub fn open(url: &str, node: &str) -> Result<RedisStore, StoreError> {
        let client = Client::open(url)?;
        let shared = Arc::new(Shared {
            client,
            node: node.to_owned(),
            holder: format!("{node}#{}", getrandom::u32().map_err(StoreError::Random)?),
            scripts: Scripts::new(),
            pool: Mutex::default(),
            held: Mutex::default(),
            releasing: Mutex::default(),
            written: AtomicU64::new(0),
            durable: watch::Sender::new(0),
            fenced_writes: AtomicU64::new(0),
            takeovers: AtomicU64::new(0),
            address: Mutex::default(),
        });
        // Fail now, with Redis's own message, if it cannot be reached.
        shared.with_conn(|c| ::redis::cmd("PING").query::<String>(c))?;
        let (tx, rx) = mpsc::channel();
        let writer = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("huddle-redis-writer".into())
            .spawn(move || run_writer(&writer, rx))
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        let queue = Arc::new(Mutex::new(tx));
        let (keeper, keeper_queue) = (Arc::downgrade(&shared), Arc::downgrade(&queue));
        std::thread::Builder::new()
            .name("huddle-redis-leases".into())
            .spawn(move || keep_leases(keeper, keeper_queue))
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        Ok(RedisStore { shared, queue })
    }

    /// Runs `f` on a pooled connection (see `Shared::with_conn`). Blocking.
    pub(super) fn with_conn<T>(
        &self,
        f: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> RedisResult<T> {
        self.shared.with_conn(f)
    }

    /// This node's id.
    pub fn node(&self) -> &str {
        &self.shared.node
    }

    /// This process as a lease's holder: `{node id}#{number}` ([`RedisStore::owner`] gives
    /// the holder of a board).
    pub fn holder(&self) -> &str {
        &self.shared.holder
    }

    /// Writes refused so far because another node had taken the board.
    pub fn fenced_writes(&self) -> u64 {
        self.shared.fenced_writes.load(SeqCst)
    }

    /// Boards this node took that another node had owned before (its lease ran out).
    pub fn takeovers(&self) -> u64 {
        self.shared.takeovers.load(SeqCst)
    }

    /// The boards this node owns now.
    pub fn owned_boards(&self) -> Vec<String> {
        self.shared.held().keys().cloned().collect()
    }

    /// Entries in the logs of `boards` (`/metrics`: how much a cold load would read). Blocking.
    pub fn log_entries(&self, boards: &[String]) -> Result<u64, StoreError> {
        if boards.is_empty() {
            return Ok(0);
        }
        let lengths: Vec<u64> = self.shared.with_conn(|c| {
            let mut pipe = ::redis::pipe();
            for board in boards {
                pipe.cmd("XLEN").arg(key(board, "log"));
            }
            pipe.query(c)
        })?;
        Ok(lengths.iter().sum())
    }

    /// Tells the other nodes where to reach this one (`host:port`); the lease keeper keeps the
    /// entry alive while the node lives. Blocking.
    pub fn announce(&self, address: &str) -> Result<(), StoreError> {
        *self
            .shared
            .address
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(address.to_owned());
        announce(&self.shared)?;
        Ok(())
    }

    /// Whether `board` is stored (in the board list). Blocking.
    pub fn board_exists(&self, board: &str) -> Result<bool, StoreError> {
        Ok(self
            .shared
            .with_conn(|c| ::redis::cmd("HEXISTS").arg(BOARDS_VALS).arg(board).query(c))?)
    }

    /// Where node `node` said it can be reached, if it is alive. Blocking.
    pub fn node_address(&self, node: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .shared
            .with_conn(|c| ::redis::cmd("GET").arg(node_key(node)).query(c))?)
    }

    /// Makes the id counter ([`super::kv::Db::generate_id`]) give numbers above `floor`
    /// (`huddle migrate`). Blocking.
    pub fn raise_ids(&self, floor: u64) -> Result<(), StoreError> {
        let script = Script::new(
            "local n = tonumber(redis.call('GET', KEYS[1]) or '0') \
             if n < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 1",
        );
        let _: i64 = self
            .shared
            .with_conn(|c| script.key(IDS_KEY).arg(floor).invoke(c))?;
        Ok(())
    }

    /// Round trip to Redis (`/healthz`, `/metrics`). Blocking.
    pub fn ping(&self) -> Result<Duration, StoreError> {
        let started = std::time::Instant::now();
        self.shared
            .with_conn(|c| ::redis::cmd("PING").query::<String>(c))?;
        Ok(started.elapsed())
    }

    /// Takes the board's lease for a room of this node unless another node holds it (the
    /// room lets go with [`RedisStore::release`]). Blocking.
    pub fn acquire(&self, board: &str) -> Result<Lease, StoreError> {
        self.take(board, 1)
    }

    /// Takes the board's lease for a connection about to join it here, unless another node
    /// holds it: nodes that take connections for one board at once agree on its owner
    /// before any loads it. A claim no room takes up is let go after [`CLAIM_GRACE`].
    /// Blocking.
    pub fn claim(&self, board: &str) -> Result<Lease, StoreError> {
        self.take(board, 0)
    }

    fn take(&self, board: &str, rooms: usize) -> Result<Lease, StoreError> {
        let give_up = std::time::Instant::now() + IO_TIMEOUT;
        loop {
            let mut held = self.shared.held();
            if let Some(held) = held.get_mut(board) {
                held.rooms += rooms;
                if rooms == 0 {
                    held.since = std::time::Instant::now(); // claimed again: a new grace
                }
                return Ok(Lease::Held(held.token));
            }
            // This node let go of the board a moment ago: take it again once Redis has
            // that release (a few milliseconds, the writer's next pipeline).
            if !self.shared.releasing().contains_key(board) || std::time::Instant::now() > give_up {
                break;
            }
            drop(held);
            std::thread::sleep(Duration::from_millis(2));
        }
        let ttl = LEASE_TTL.as_millis() as u64;
        let reply: Vec<Value> = self.shared.with_conn(|c| {
            self.shared
                .scripts
                .acquire
                .key(key(board, "lease"))
                .key(key(board, "fence"))
                .key(key(board, "owner"))
                .arg(&self.shared.holder)
                .arg(ttl)
                .invoke(c)
        })?;
        let bad = || {
            StoreError::Redis(::redis::RedisError::from(std::io::Error::other(
                "unexpected lease reply",
            )))
        };
        let mut reply = reply.into_iter();
        let (Some(taken), Some(value)) = (reply.next(), reply.next()) else {
            return Err(bad());
        };
        let parse =
            |v: Value| ::redis::from_redis_value::<i64>(v).map_err(::redis::RedisError::from);
        if parse(taken)? == 1 {
            let token = parse(value)? as u64;
            if reply.next().map(parse).transpose()? == Some(1) {
                self.shared.takeovers.fetch_add(1, SeqCst);
                tracing::info!(board, "took the board over from a node whose lease ran out");
            }
            let mut held = self.shared.held();
            // Another of this node's rooms may have taken it meanwhile: then it counts twice
            // and keeps the token Redis gave last (the fence holds that one).
            let entry = held.entry(board.to_owned()).or_insert(Held {
                token,
                rooms: 0,
                since: std::time::Instant::now(),
            });
            entry.token = entry.token.max(token);
            entry.rooms += rooms;
            Ok(Lease::Held(token))
        } else {
            Ok(Lease::Elsewhere(
                ::redis::from_redis_value(value).map_err(::redis::RedisError::from)?,
            ))
        }
    }

    /// One room of this node is done with the board: when none is left, lets go of the
    /// lease once the writes queued before this call are in Redis, so the next owner reads
    /// them. Does nothing if this node does not hold it.
    pub fn release(&self, board: &str) {
        let token = {
            let mut held = self.shared.held();
            let Some(h) = held.get_mut(board) else {
                return;
            };
            h.rooms = h.rooms.saturating_sub(1);
            if h.rooms > 0 {
                return;
            }
            let token = h.token;
            held.remove(board);
            self.shared.will_release(board);
            token
        };
        self.queue(Write::Release {
            board: board.to_owned(),
            token,
        });
    }

    /// Creates a board with its meta and first update (seq 0), durable on return. Blocking.
    /// `false` if a board with this id exists.
    pub fn insert_board(
        &self,
        board: &str,
        meta: &BoardMeta,
        initial_update: &[u8],
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_vec(meta).unwrap_or_default();
        let created: i64 = self.shared.with_conn(|c| {
            self.shared
                .scripts
                .create
                .key(BOARDS_VALS)
                .key(BOARDS_KEYS)
                .key(key(board, "log"))
                .arg(board)
                .arg(&json)
                .arg(initial_update)
                .invoke(c)
        })?;
        Ok(created == 1)
    }

    /// Deletes the board; whoever owns it can write no more. Blocking.
    pub fn delete_board(&self, board: &str) -> Result<bool, StoreError> {
        let existed: i64 = self.shared.with_conn(|c| {
            let script = &self.shared.scripts.delete;
            let mut call = script.prepare_invoke();
            call.key(BOARDS_VALS).key(BOARDS_KEYS);
            for part in ["snapshot", "log", "lease", "owner", "fence"] {
                call.key(key(board, part));
            }
            call.arg(board).invoke(c)
        })?;
        Ok(existed == 1)
    }

    /// How many entries the board's log holds (`/metrics`, tests). Blocking.
    pub fn log_len(&self, board: &str) -> Result<u64, StoreError> {
        Ok(self
            .shared
            .with_conn(|c| ::redis::cmd("XLEN").arg(key(board, "log")).query(c))?)
    }

    /// Renews every lease this node holds now (the keeper does it every third of
    /// [`LEASE_TTL`]); returns how many were lost. Blocking.
    pub fn renew_leases(&self) -> Result<usize, StoreError> {
        renew(&self.shared)
    }

    /// The snapshot and the log entries after it up to `upto` (all with `None`), read in one
    /// transaction so that a compaction cannot fall between the two. Blocking.
    #[allow(clippy::type_complexity)]
    fn read_upto(
        &self,
        board: &str,
        upto: Option<u64>,
    ) -> Result<(Option<Vec<u8>>, Vec<(u64, Vec<u8>)>), StoreError> {
        let last = upto.map_or_else(|| "+".to_owned(), entry_id);
        let (snapshot, entries): (Option<Vec<u8>>, Value) = self.shared.with_conn(|c| {
            ::redis::pipe()
                .atomic()
                .get(key(board, "snapshot"))
                .cmd("XRANGE")
                .arg(key(board, "log"))
                .arg("-")
                .arg(&last)
                .query(c)
        })?;
        let covered = snapshot
            .as_deref()
            .map(|s| boards::covered_seq(board, s))
            .transpose()?;
        let mut log = stream_entries(board, entries)?;
        // Entries the snapshot covers are trimmed in the same script that writes it; none
        // should be left, but reading never trusts that.
        log.retain(|(seq, _)| covered.is_none_or(|c| *seq > c));
        Ok((snapshot, log))
    }

    fn queue(&self, write: Write) {
        RedisStore::queue_on(&self.shared, &self.queue, write)
    }

    fn queue_on(shared: &Shared, queue: &Mutex<mpsc::Sender<Write>>, write: Write) {
        let queue = queue.lock().unwrap_or_else(|e| e.into_inner());
        shared.written.fetch_add(1, SeqCst);
        // The writer outlives every handle; should it have died, the durable mark stops and
        // nothing is acknowledged, which is what a failed store must do.
        if queue.send(write).is_err() {
            tracing::error!("the Redis writer has stopped; nothing more is saved");
        }
    }

    /// Writes a tree's key behind, in order with the node's other writes (the change journal,
    /// on every edit's path): counted in the write mark, so a save covers it.
    pub(super) fn tree_write(
        &self,
        vals: &str,
        keys: &str,
        key: &[u8],
        value: Option<&[u8]>,
        fence: Option<(String, u64)>,
    ) {
        self.queue(Write::Tree {
            vals: vals.to_owned(),
            keys: keys.to_owned(),
            key: key.to_vec(),
            value: value.map(<[u8]>::to_vec),
            fence,
        });
    }

    /// The fencing token of a board this node owns; [`StoreError::NotOwner`] otherwise.
    pub(super) fn token_of(&self, board: &str) -> Result<u64, StoreError> {
        self.shared.token(board)
    }

    /// A write with `token` was fenced: another node owns the board now.
    pub(super) fn fenced(&self, board: &str, token: u64) {
        self.shared.fenced(board, token);
    }

    /// Waits until everything queued so far is in Redis (blocking; at most [`IO_TIMEOUT`]
    /// times three, then an error: Redis does not answer).
    fn settle(&self) -> Result<(), StoreError> {
        let mark = self.written();
        let give_up = std::time::Instant::now() + IO_TIMEOUT * 3;
        while !self.is_durable(mark) {
            if std::time::Instant::now() > give_up {
                return Err(StoreError::Redis(::redis::RedisError::from(
                    std::io::Error::other("Redis has not acknowledged this node's earlier writes"),
                )));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }

    /// Queues a write for a board this node owns.
    fn queue_owned(&self, board: &str, write: impl FnOnce(u64) -> Write) -> Result<(), StoreError> {
        let token = self.shared.token(board)?;
        self.queue(write(token));
        Ok(())
    }
}

impl BoardStore for RedisStore {
    fn board_meta(&self, board: &str) -> Result<Option<BoardMeta>, StoreError> {
        let json: Option<Vec<u8>> = self
            .shared
            .with_conn(|c| ::redis::cmd("HGET").arg(BOARDS_VALS).arg(board).query(c))?;
        Ok(json.and_then(|j| serde_json::from_slice(&j).ok()))
    }

    fn put_meta(&self, board: &str, meta: &BoardMeta) -> Result<(), StoreError> {
        let json = serde_json::to_vec(meta).unwrap_or_default();
        self.queue_owned(board, |token| Write::Meta {
            board: board.to_owned(),
            token,
            json,
        })
    }

    fn read(&self, board: &str) -> Result<RawBoard, StoreError> {
        // A room reloading the board on this node must see what the closing one queued.
        self.settle()?;
        let (snapshot, log) = self.read_upto(board, None)?;
        let covered = snapshot
            .as_deref()
            .map(|s| boards::covered_seq(board, s))
            .transpose()?;
        let next_seq = log.last().map(|(seq, _)| seq + 1);
        Ok(RawBoard {
            snapshot: snapshot.map(Into::into),
            log: log.into_iter().map(|(_, update)| update.into()).collect(),
            next_seq: next_seq.or(covered.map(|c| c + 1)).unwrap_or(0),
        })
    }

    fn append(&self, board: &str, seq: u64, update: &[u8]) -> Result<(), StoreError> {
        self.queue_owned(board, |token| Write::Append {
            board: board.to_owned(),
            token,
            seq,
            update: update.to_vec(),
        })
    }

    fn compact(&self, board: &str, upto: u64) -> Result<Option<usize>, StoreError> {
        let token = self.shared.token(board)?;
        // The appends up to `upto` were queued before this compaction started: they must be
        // in Redis before it reads, or the snapshot would claim entries it never folded and the
        // trim would drop them when they land.
        self.settle()?;
        let (snapshot, log) = self.read_upto(board, Some(upto))?;
        // Fold and trim only up to what was read.
        let Some(upto) = log.last().map(|(seq, _)| *seq) else {
            return Ok(None);
        };
        let header = snapshot
            .as_deref()
            .map(|s| s[..boards::SNAPSHOT_HEADER].to_vec())
            .unwrap_or_default();
        let log = log.iter().map(|(_, update)| Ok::<_, StoreError>(update));
        let (value, snapshot_bytes) = boards::fold(board, snapshot.as_deref(), log, upto)?;
        let done: i64 = self.shared.with_conn(|c| {
            self.shared
                .scripts
                .compact
                .key(key(board, "fence"))
                .key(key(board, "snapshot"))
                .key(key(board, "log"))
                .arg(token)
                .arg(&header)
                .arg(&value)
                .arg(entry_id(upto + 1))
                .invoke(c)
        })?;
        match done {
            1 => Ok(Some(snapshot_bytes)),
            -1 => {
                self.shared.fenced(board, token);
                Err(StoreError::NotOwner(board.to_owned()))
            }
            _ => Ok(None),
        }
    }

    /// Not in Redis: a stream cannot put one entry in the place of others. The log is folded
    /// into the snapshot by the rule alone.
    fn merge_log(&self, _board: &str, _from: u64, _upto: u64) -> Result<Option<usize>, StoreError> {
        Ok(None)
    }

    fn written(&self) -> u64 {
        self.shared.written.load(SeqCst)
    }

    fn durable(&self) -> watch::Receiver<u64> {
        self.shared.durable.subscribe()
    }

    fn is_durable(&self, mark: u64) -> bool {
        *self.shared.durable.borrow() >= mark
    }

    /// Nothing to ask: the writer sends whatever is queued at once.
    fn request_flush(&self) {}

    fn owns(&self, board: &str) -> bool {
        self.shared.held().contains_key(board)
    }

    fn acquire(&self, board: &str) -> Result<Option<String>, StoreError> {
        Ok(match RedisStore::acquire(self, board)? {
            Lease::Held(_) => None,
            Lease::Elsewhere(node) => Some(node),
        })
    }

    fn release(&self, board: &str) {
        RedisStore::release(self, board)
    }
}

/// The entries of an XRANGE reply: (seq, update).
fn stream_entries(board: &str, reply: Value) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let bad = || corrupt(board, "log entry");
    let Value::Array(entries) = reply else {
        return Err(bad());
    };
    entries
        .into_iter()
        .map(|entry| {
            let Value::Array(mut parts) = entry else {
                return Err(bad());
            };
            let (Some(Value::Array(mut fields)), Some(Value::BulkString(id))) =
                (parts.pop(), parts.pop())
            else {
                return Err(bad());
            };
            let Some(Value::BulkString(update)) = fields.pop() else {
                return Err(bad());
            };
            Ok((seq_of_entry_id(board, &id)?, update))
        })
        .collect()
}

/// The writer thread: sends what is queued as one pipeline, retries it on a new connection if
/// the connection fails (a retried append finds its entry there), and publishes the durable
/// mark once Redis has answered. Ends when every store handle is gone.
fn run_writer(shared: &Shared, queue: mpsc::Receiver<Write>) {
    let mut conn: Option<Connection> = None;
    let mut done = 0u64;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(write) => batch.push(write),
                Err(_) => break,
            }
        }
        let mut backoff = Duration::from_millis(50);
        let results = loop {
            let sent = conn
                .take()
                .map_or_else(|| connect_writer(shared), Ok)
                .and_then(|mut c| {
                    let results = send(shared, &mut c, &batch);
                    if results.is_ok() {
                        conn = Some(c);
                    }
                    results
                });
            match sent {
                Ok(results) => break results,
                Err(e) => {
                    tracing::warn!("Redis write failed, retrying: {e}");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        };
        for (write, result) in batch.iter().zip(results) {
            if let Write::Release { board, .. } = write {
                shared.released(board);
            }
            if let (true, Some((board, token))) = (result < 0, write.fenced_as()) {
                shared.fenced(board, token);
            }
        }
        // Lost boards are marked before the mark moves: a room checks ownership before it
        // acknowledges a save.
        done += batch.len() as u64;
        shared.durable.send_if_modified(|d| {
            let advanced = done > *d;
            *d = (*d).max(done);
            advanced
        });
    }
}

fn connect_writer(shared: &Shared) -> RedisResult<Connection> {
    let mut conn = shared.connect()?;
    shared.scripts.load_queued(&mut conn)?;
    Ok(conn)
}

/// One pipeline for the batch; each write's script result (1, 0, or -1 for fenced).
fn send(shared: &Shared, conn: &mut Connection, batch: &[Write]) -> RedisResult<Vec<i64>> {
    let scripts = &shared.scripts;
    let mut pipe = ::redis::pipe();
    for write in batch {
        match write {
            Write::Append {
                board,
                token,
                seq,
                update,
            } => pipe
                .cmd("EVALSHA")
                .arg(scripts.append.get_hash())
                .arg(2)
                .arg(key(board, "fence"))
                .arg(key(board, "log"))
                .arg(token)
                .arg(entry_id(*seq))
                .arg(update.as_slice()),
            Write::Meta { board, token, json } => pipe
                .cmd("EVALSHA")
                .arg(scripts.put_meta.get_hash())
                .arg(3)
                .arg(key(board, "fence"))
                .arg(BOARDS_VALS)
                .arg(BOARDS_KEYS)
                .arg(token)
                .arg(board)
                .arg(json.as_slice()),
            Write::Tree {
                vals,
                keys,
                key: k,
                value,
                fence,
            } => {
                pipe.cmd("EVALSHA")
                    .arg(scripts.tree_write.get_hash())
                    .arg(if fence.is_some() { 3 } else { 2 })
                    .arg(vals)
                    .arg(keys);
                if let Some((board, _)) = fence {
                    pipe.arg(key(board, "fence"));
                }
                pipe.arg(k.as_slice())
                    .arg(if value.is_some() { "1" } else { "0" })
                    .arg(value.as_deref().unwrap_or_default());
                if let Some((_, token)) = fence {
                    pipe.arg(token);
                }
                &mut pipe
            }
            Write::Release { board, token } => pipe
                .cmd("EVALSHA")
                .arg(scripts.release.get_hash())
                .arg(3)
                .arg(key(board, "lease"))
                .arg(key(board, "fence"))
                .arg(key(board, "owner"))
                .arg(&shared.holder)
                .arg(token),
        };
    }
    let results: Vec<i64> = pipe.query(conn)?;
    // A release answers 1 whatever it did; only appends and meta writes can be fenced.
    Ok(results)
}

/// Renews the leases of `shared`; how many were lost.
fn renew(shared: &Shared) -> Result<usize, StoreError> {
    let held: Vec<(String, u64)> = shared
        .held()
        .iter()
        .map(|(b, h)| (b.clone(), h.token))
        .collect();
    if held.is_empty() {
        return Ok(0);
    }
    let ttl = LEASE_TTL.as_millis() as u64;
    let renewed: Vec<i64> = shared.with_conn(|c| {
        let mut pipe = ::redis::pipe();
        for (board, token) in &held {
            // Through EVAL with the text: the keeper's pipeline must work on a Redis that has
            // just restarted and forgotten the hashes.
            pipe.cmd("EVAL")
                .arg(scripts::RENEW)
                .arg(2)
                .arg(key(board, "lease"))
                .arg(key(board, "fence"))
                .arg(&shared.holder)
                .arg(token)
                .arg(ttl);
        }
        pipe.query(c)
    })?;
    let mut lost = 0;
    for ((board, token), ok) in held.iter().zip(renewed) {
        if ok != 1 {
            shared.lose(board, *token);
            lost += 1;
        }
    }
    Ok(lost)
}

/// The lease keeper thread: renews every third of the lease's life until the store is gone.
fn keep_leases(shared: Weak<Shared>, queue: Weak<Mutex<mpsc::Sender<Write>>>) {
    loop {
        std::thread::sleep(LEASE_TTL / 3);
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let unused: Vec<(String, u64)> = {
            let mut held = shared.held();
            let unused: Vec<(String, u64)> = held
                .iter()
                .filter(|(_, h)| h.rooms == 0 && h.since.elapsed() >= CLAIM_GRACE)
                .map(|(b, h)| (b.clone(), h.token))
                .collect();
            for (board, _) in &unused {
                held.remove(board);
                shared.will_release(board);
            }
            unused
        };
        for (board, token) in unused {
            // Through the writer, after anything queued for the board.
            if let Some(queue) = queue.upgrade() {
                RedisStore::queue_on(&shared, &queue, Write::Release { board, token });
            }
        }
        if let Err(e) = renew(&shared) {
            tracing::warn!("renewing leases failed: {e}");
        }
        if let Err(e) = announce(&shared) {
            tracing::warn!("announcing this node failed: {e}");
        }
    }
}
