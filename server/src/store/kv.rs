//! The ordered key-value trees the store keeps beside the boards (people and grants, rounds,
//! facilitation, comments, the change journal, versions, notifications), on one node's sled
//! or, in cluster mode, in Redis, shared by every node. [`Tree`] has the part of sled's
//! `Tree` interface the store uses, so the code above it reads the same on both.
//!
//! In Redis a tree is a hash (`huddle:kv:{NAME}:vals`, key -> value) and a sorted set of its
//! keys, all with score 0 (`huddle:kv:{NAME}:keys`), which Redis orders byte by byte as sled
//! orders its keys: prefix scans and ranges are `ZRANGEBYLEX`. Every change of one key is
//! one Lua script (the hash and the set change together); a [`Batch`] is one `MULTI`. Reads
//! of a range are one script that returns the keys with their values, a snapshot of one
//! moment. The calls are blocking: a round trip to Redis each (tens of microseconds on a
//! loopback or LAN), where sled's are in memory.

use std::ops::{Bound, RangeBounds};
use std::sync::{Arc, Mutex};

use ::redis::Script;
use sled::IVec;
use tokio::sync::mpsc;

use super::StoreError;
use super::redis::RedisStore;

/// Where a store's trees live: one node's sled database, or Redis.
#[derive(Clone)]
pub enum Db {
    Sled(sled::Db),
    Redis(RedisStore),
}

impl Db {
    pub fn open_tree(&self, name: &str) -> Result<Tree, StoreError> {
        Ok(match self {
            Db::Sled(db) => Tree::sled(db.open_tree(name)?),
            Db::Redis(store) => Tree::redis(store, name, false),
        })
    }

    /// A tree whose keys start with a board id (up to the first `/`, or the whole key): in
    /// Redis each write carries the board's fencing token and fails, as the board's log
    /// appends do, once another node has taken the board; a node that does not own the
    /// board cannot write there at all. Ballots, comments and facilitation are written by
    /// the board's owner only.
    pub fn open_board_tree(&self, name: &str) -> Result<Tree, StoreError> {
        Ok(match self {
            Db::Sled(db) => Tree::sled(db.open_tree(name)?),
            Db::Redis(store) => Tree::redis(store, name, true),
        })
    }

    /// Writes everything to disk (sled); nothing to do in Redis, which has every write
    /// persisted (per its `appendfsync`) before it answers.
    pub fn flush(&self) -> Result<(), StoreError> {
        if let Db::Sled(db) = self {
            db.flush()?;
        }
        Ok(())
    }

    /// A number unique to this database, larger than every one given before, also after a
    /// restart (and, in Redis, on every node).
    pub fn generate_id(&self) -> Result<u64, StoreError> {
        match self {
            Db::Sled(db) => Ok(db.generate_id()?),
            Db::Redis(store) => {
                let id: u64 = store
                    .with_conn(|c| ::redis::cmd("INCR").arg(super::redis::IDS_KEY).query(c))?;
                Ok(id)
            }
        }
    }
}

/// One key and its value.
pub type Entry = (IVec, IVec);

/// An ordered tree of byte keys and values; see the module's docs. Cheap to clone.
#[derive(Clone)]
pub struct Tree {
    backend: Backend,
    /// Inserts made through this process's handles, for [`Tree::watch_inserts`].
    watchers: Arc<Mutex<Vec<mpsc::UnboundedSender<Entry>>>>,
}

#[derive(Clone)]
enum Backend {
    Sled(sled::Tree),
    Redis(RedisTree),
}

#[derive(Clone)]
struct RedisTree {
    store: RedisStore,
    vals: String,
    keys: String,
    /// A board's tree ([`Db::open_board_tree`]).
    fenced: bool,
}

/// The board a fenced write is for, and the token it carries.
struct Fence {
    board: String,
    token: u64,
}

/// Writes applied together ([`Tree::apply_batch`]).
#[derive(Default)]
pub struct Batch {
    ops: Vec<(IVec, Option<IVec>)>,
}

impl Batch {
    pub fn insert(&mut self, key: impl AsRef<[u8]>, value: impl Into<IVec>) {
        self.ops.push((key.as_ref().into(), Some(value.into())));
    }

    pub fn remove(&mut self, key: impl AsRef<[u8]>) {
        self.ops.push((key.as_ref().into(), None));
    }
}

/// Entries in key order (both ends).
pub struct Iter(IterInner);

enum IterInner {
    Sled(Box<sled::Iter>),
    Read(std::vec::IntoIter<Entry>),
    Failed(Option<StoreError>),
}

impl Iterator for Iter {
    type Item = Result<Entry, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterInner::Sled(i) => i.next().map(|e| e.map_err(StoreError::from)),
            IterInner::Read(i) => i.next().map(Ok),
            IterInner::Failed(e) => e.take().map(Err),
        }
    }
}

impl DoubleEndedIterator for Iter {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterInner::Sled(i) => i.next_back().map(|e| e.map_err(StoreError::from)),
            IterInner::Read(i) => i.next_back().map(Ok),
            IterInner::Failed(e) => e.take().map(Err),
        }
    }
}

impl Iter {
    fn read(entries: Result<Vec<Entry>, StoreError>) -> Iter {
        Iter(match entries {
            Ok(entries) => IterInner::Read(entries.into_iter()),
            Err(e) => IterInner::Failed(Some(e)),
        })
    }

    /// The keys alone.
    pub fn keys(self) -> impl DoubleEndedIterator<Item = Result<IVec, StoreError>> {
        self.map(|e| e.map(|(k, _)| k))
    }
}

mod scripts {
    /// KEYS: vals, keys[, fence]. ARGV: key, value[, token]. -> the old value or nil.
    pub const INSERT: &str = r#"
if #KEYS > 2 and redis.call('GET', KEYS[3]) ~= ARGV[#ARGV] then return redis.error_reply('HUDDLE_FENCED') end
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return old
"#;
    /// KEYS: vals, keys[, fence]. ARGV: key[, token]. -> the old value or nil.
    pub const REMOVE: &str = r#"
if #KEYS > 2 and redis.call('GET', KEYS[3]) ~= ARGV[#ARGV] then return redis.error_reply('HUDDLE_FENCED') end
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return old
"#;
    /// KEYS: vals, keys. ARGV: min, max (ZRANGEBYLEX bounds), rev ('1' for descending),
    /// limit (0: all). -> {key, value, key, value, ...}.
    pub const RANGE: &str = r#"
local ks
local limit = tonumber(ARGV[4])
if ARGV[3] == '1' then
  if limit > 0 then ks = redis.call('ZREVRANGEBYLEX', KEYS[2], ARGV[2], ARGV[1], 'LIMIT', 0, limit)
  else ks = redis.call('ZREVRANGEBYLEX', KEYS[2], ARGV[2], ARGV[1]) end
else
  if limit > 0 then ks = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], ARGV[2], 'LIMIT', 0, limit)
  else ks = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], ARGV[2]) end
end
local out = {}
for _, k in ipairs(ks) do
  local v = redis.call('HGET', KEYS[1], k)
  if v then out[#out + 1] = k; out[#out + 1] = v end
end
return out
"#;
    /// KEYS: vals, keys[, fence]. ARGV: key, old present ('0'/'1'), old, new present, new[,
    /// token]. -> {1} swapped, or {0, current or nil}.
    pub const CAS: &str = r#"
if #KEYS > 2 and redis.call('GET', KEYS[3]) ~= ARGV[#ARGV] then return redis.error_reply('HUDDLE_FENCED') end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (ARGV[2] == '0' and cur) or (ARGV[2] == '1' and cur ~= ARGV[3]) then return {0, cur} end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[5])
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return {1}
"#;
    /// A board tree's batch, atomic with its fence check. KEYS: vals, keys, fence. ARGV:
    /// ('1', key, value) or ('0', key, '') per write, then the token. -> 1.
    pub const BATCH: &str = r#"
if #KEYS > 2 and redis.call('GET', KEYS[3]) ~= ARGV[#ARGV] then return redis.error_reply('HUDDLE_FENCED') end
for i = 1, #ARGV - 1, 3 do
  if ARGV[i] == '1' then
    redis.call('HSET', KEYS[1], ARGV[i + 1], ARGV[i + 2])
    redis.call('ZADD', KEYS[2], 0, ARGV[i + 1])
  else
    redis.call('HDEL', KEYS[1], ARGV[i + 1])
    redis.call('ZREM', KEYS[2], ARGV[i + 1])
  end
end
return 1
"#;
}

/// The Redis scripts, hashed once per process.
struct Scripts {
    insert: Script,
    remove: Script,
    range: Script,
    cas: Script,
    batch: Script,
}

fn scripts() -> &'static Scripts {
    static SCRIPTS: std::sync::OnceLock<Scripts> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| Scripts {
        insert: Script::new(scripts::INSERT),
        remove: Script::new(scripts::REMOVE),
        range: Script::new(scripts::RANGE),
        cas: Script::new(scripts::CAS),
        batch: Script::new(scripts::BATCH),
    })
}

/// A lexicographic bound for ZRANGEBYLEX: `[key`, `(key`, `-` or `+`.
fn lex(bound: Bound<&[u8]>, low: bool) -> Vec<u8> {
    match bound {
        Bound::Included(k) => [b"[".as_slice(), k].concat(),
        Bound::Excluded(k) => [b"(".as_slice(), k].concat(),
        Bound::Unbounded => if low { b"-" } else { b"+" }.to_vec(),
    }
}

/// The smallest key greater than every key that starts with `prefix` (`None`: there is none,
/// the prefix is empty or all 0xff).
fn after_prefix(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl Tree {
    pub(super) fn sled(tree: sled::Tree) -> Tree {
        Tree {
            backend: Backend::Sled(tree),
            watchers: Arc::default(),
        }
    }

    pub(super) fn redis(store: &RedisStore, name: &str, fenced: bool) -> Tree {
        Tree {
            backend: Backend::Redis(RedisTree {
                store: store.clone(),
                vals: format!("huddle:kv:{{{name}}}:vals"),
                keys: format!("huddle:kv:{{{name}}}:keys"),
                fenced,
            }),
            watchers: Arc::default(),
        }
    }

    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<IVec>, StoreError> {
        match &self.backend {
            Backend::Sled(t) => Ok(t.get(key)?),
            Backend::Redis(t) => {
                let v: Option<Vec<u8>> = t
                    .store
                    .with_conn(|c| ::redis::cmd("HGET").arg(&t.vals).arg(key.as_ref()).query(c))?;
                Ok(v.map(IVec::from))
            }
        }
    }

    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Sled(t) => Ok(t.contains_key(key)?),
            // Without moving the value.
            Backend::Redis(t) => Ok(t.store.with_conn(|c| {
                ::redis::cmd("HEXISTS")
                    .arg(&t.vals)
                    .arg(key.as_ref())
                    .query(c)
            })?),
        }
    }

    /// Sets `key` to `value`; the value it had.
    pub fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl Into<IVec>,
    ) -> Result<Option<IVec>, StoreError> {
        let value = value.into();
        let old = match &self.backend {
            Backend::Sled(t) => t.insert(key.as_ref(), value.clone())?,
            Backend::Redis(t) => {
                let fence = t.fence(key.as_ref())?;
                let old: Option<Vec<u8>> = t.call(&fence, |c| {
                    let mut call = scripts().insert.prepare_invoke();
                    call.key(&t.vals).key(&t.keys);
                    Fence::key_and_token(&fence, &mut call, |call| {
                        call.arg(key.as_ref()).arg(value.as_ref());
                    });
                    call.invoke(c)
                })?;
                old.map(IVec::from)
            }
        };
        self.tell_watchers(key.as_ref(), &value);
        Ok(old)
    }

    /// Sets `key` to `value` without waiting for it: for writes on an edit's path whose old
    /// value nobody needs (the change journal). sled's insert is in memory anyway; in Redis it
    /// is queued to the store's writer, in order with the board's updates, and durable with
    /// them (the same write mark).
    pub fn insert_behind(
        &self,
        key: impl AsRef<[u8]>,
        value: impl Into<IVec>,
    ) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sled(_) => self.insert(key, value).map(drop),
            Backend::Redis(t) => {
                let value = value.into();
                let fence = t.fence(key.as_ref())?.map(|f| (f.board, f.token));
                t.store
                    .tree_write(&t.vals, &t.keys, key.as_ref(), Some(&value), fence);
                self.tell_watchers(key.as_ref(), &value);
                Ok(())
            }
        }
    }

    /// Removes `key` without waiting for it (see [`Tree::insert_behind`]).
    pub fn remove_behind(&self, key: impl AsRef<[u8]>) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sled(_) => self.remove(key).map(drop),
            Backend::Redis(t) => {
                let fence = t.fence(key.as_ref())?.map(|f| (f.board, f.token));
                t.store
                    .tree_write(&t.vals, &t.keys, key.as_ref(), None, fence);
                Ok(())
            }
        }
    }

    /// Removes `key`; the value it had.
    pub fn remove(&self, key: impl AsRef<[u8]>) -> Result<Option<IVec>, StoreError> {
        match &self.backend {
            Backend::Sled(t) => Ok(t.remove(key)?),
            Backend::Redis(t) => {
                let fence = t.fence(key.as_ref())?;
                let old: Option<Vec<u8>> = t.call(&fence, |c| {
                    let mut call = scripts().remove.prepare_invoke();
                    call.key(&t.vals).key(&t.keys);
                    Fence::key_and_token(&fence, &mut call, |call| {
                        call.arg(key.as_ref());
                    });
                    call.invoke(c)
                })?;
                Ok(old.map(IVec::from))
            }
        }
    }

    /// Sets `key` to `new` (removes it for `None`) only if its value is `old` (absent for
    /// `None`). `Ok(Err(current))` if it was not.
    pub fn compare_and_swap(
        &self,
        key: impl AsRef<[u8]>,
        old: Option<impl AsRef<[u8]>>,
        new: Option<impl Into<IVec>>,
    ) -> Result<Result<(), Option<IVec>>, StoreError> {
        let new = new.map(Into::into);
        let swapped = match &self.backend {
            Backend::Sled(t) => t
                .compare_and_swap(key.as_ref(), old, new.clone())?
                .map_err(|e| e.current),
            Backend::Redis(t) => {
                let flag = |present: bool| if present { "1" } else { "0" };
                let (old_present, old) = match &old {
                    Some(o) => (true, o.as_ref()),
                    None => (false, &[][..]),
                };
                let (new_present, new_bytes) = match &new {
                    Some(n) => (true, n.as_ref()),
                    None => (false, &[][..]),
                };
                let fence = t.fence(key.as_ref())?;
                let reply: Vec<::redis::Value> = t.call(&fence, |c| {
                    let mut call = scripts().cas.prepare_invoke();
                    call.key(&t.vals).key(&t.keys);
                    Fence::key_and_token(&fence, &mut call, |call| {
                        call.arg(key.as_ref())
                            .arg(flag(old_present))
                            .arg(old)
                            .arg(flag(new_present))
                            .arg(new_bytes);
                    });
                    call.invoke(c)
                })?;
                // {1}, or {0} with the current value after it when there is one (a Lua
                // table ends at its first nil).
                match reply.as_slice() {
                    [::redis::Value::Int(1)] => Ok(()),
                    [_, ::redis::Value::BulkString(current)] => {
                        Err(Some(current.as_slice().into()))
                    }
                    _ => Err(None),
                }
            }
        };
        if let (Ok(()), Some(new)) = (&swapped, &new) {
            self.tell_watchers(key.as_ref(), new);
        }
        Ok(swapped)
    }

    /// Every entry, in key order.
    pub fn iter(&self) -> Iter {
        self.range::<&[u8], _>(..)
    }

    /// The entries whose keys start with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Iter {
        let prefix = prefix.as_ref();
        match &self.backend {
            Backend::Sled(t) => Iter(IterInner::Sled(Box::new(t.scan_prefix(prefix)))),
            Backend::Redis(t) => {
                let end = after_prefix(prefix);
                let high = match &end {
                    Some(e) => Bound::Excluded(e.as_slice()),
                    None => Bound::Unbounded,
                };
                Iter::read(t.range(Bound::Included(prefix), high, false, 0))
            }
        }
    }

    /// The entries with keys in `range`, in key order.
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Iter {
        match &self.backend {
            Backend::Sled(t) => Iter(IterInner::Sled(Box::new(t.range(range)))),
            Backend::Redis(t) => {
                let low = bound(range.start_bound());
                let high = bound(range.end_bound());
                Iter::read(t.range(low, high, false, 0))
            }
        }
    }

    /// The entry with the smallest key.
    pub fn first(&self) -> Result<Option<Entry>, StoreError> {
        match &self.backend {
            Backend::Sled(t) => Ok(t.first()?),
            Backend::Redis(t) => Ok(t.range(Bound::Unbounded, Bound::Unbounded, false, 1)?.pop()),
        }
    }

    /// The entry with the greatest key.
    pub fn last(&self) -> Result<Option<Entry>, StoreError> {
        match &self.backend {
            Backend::Sled(t) => Ok(t.last()?),
            Backend::Redis(t) => Ok(t.range(Bound::Unbounded, Bound::Unbounded, true, 1)?.pop()),
        }
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.first()?.is_none())
    }

    /// How many entries there are. O(1) in Redis, O(entries) in sled.
    pub fn len(&self) -> Result<usize, StoreError> {
        match &self.backend {
            Backend::Sled(t) => Ok(t.len()),
            Backend::Redis(t) => Ok(t
                .store
                .with_conn(|c| ::redis::cmd("ZCARD").arg(&t.keys).query(c))?),
        }
    }

    /// Applies the batch atomically.
    pub fn apply_batch(&self, batch: Batch) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sled(t) => {
                let mut sled_batch = sled::Batch::default();
                for (k, v) in &batch.ops {
                    match v {
                        Some(v) => sled_batch.insert(k, v.clone()),
                        None => sled_batch.remove(k),
                    }
                }
                t.apply_batch(sled_batch)?;
            }
            Backend::Redis(_) if batch.ops.is_empty() => {}
            Backend::Redis(t) if t.fenced => {
                let fence = t.batch_fence(&batch)?;
                t.call(&fence, |c| {
                    let mut call = scripts().batch.prepare_invoke();
                    call.key(&t.vals).key(&t.keys);
                    Fence::key_and_token(&fence, &mut call, |call| {
                        for (k, v) in &batch.ops {
                            call.arg(if v.is_some() { "1" } else { "0" })
                                .arg(k.as_ref())
                                .arg(v.as_deref().unwrap_or_default());
                        }
                    });
                    call.invoke::<i64>(c)
                })?;
            }
            Backend::Redis(t) => {
                let mut pipe = ::redis::pipe();
                pipe.atomic();
                t.queue(&mut pipe, &batch);
                t.store.with_conn(|c| pipe.query::<()>(c))?;
            }
        }
        for (k, v) in &batch.ops {
            if let Some(v) = v {
                self.tell_watchers(k, v);
            }
        }
        Ok(())
    }

    /// Applies `a` to this tree and `b` to `other` as one atomic write (both indexes of a
    /// grant). Both trees must be on the same backend.
    pub fn apply_pair(&self, a: Batch, other: &Tree, b: Batch) -> Result<(), StoreError> {
        match (&self.backend, &other.backend) {
            (Backend::Sled(t), Backend::Sled(u)) => {
                use sled::Transactional;
                use sled::transaction::ConflictableTransactionError;
                (t, u)
                    .transaction(|(t, u)| {
                        for (tree, batch) in [(t, &a), (u, &b)] {
                            for (k, v) in &batch.ops {
                                match v {
                                    Some(v) => tree.insert(k, v.clone())?,
                                    None => tree.remove(k)?,
                                };
                            }
                        }
                        Ok::<_, ConflictableTransactionError<()>>(())
                    })
                    .map_err(|e| match e {
                        sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
                        sled::transaction::TransactionError::Abort(()) => StoreError::Corrupt {
                            board: String::new(),
                            what: "aborted transaction".into(),
                        },
                    })?;
            }
            (Backend::Redis(t), Backend::Redis(u)) => {
                let mut pipe = ::redis::pipe();
                pipe.atomic();
                t.queue(&mut pipe, &a);
                u.queue(&mut pipe, &b);
                t.store.with_conn(|c| pipe.query::<()>(c))?;
            }
            _ => unreachable!("the trees of one store share its backend"),
        }
        for (tree, batch) in [(self, &a), (other, &b)] {
            for (k, v) in &batch.ops {
                if let Some(v) = v {
                    tree.tell_watchers(k, v);
                }
            }
        }
        Ok(())
    }

    /// Every later insert (or swap to a value) made through this process's handles of the
    /// tree. In a cluster each node sees its own writes: each write is made by one node.
    pub fn watch_inserts(&self) -> mpsc::UnboundedReceiver<Entry> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }

    fn tell_watchers(&self, key: &[u8], value: &IVec) {
        let mut watchers = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        if !watchers.is_empty() {
            watchers.retain(|w| w.send((key.into(), value.clone())).is_ok());
        }
    }
}

fn bound<K: AsRef<[u8]>>(b: Bound<&K>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_ref()),
        Bound::Excluded(k) => Bound::Excluded(k.as_ref()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl Fence {
    /// Adds the fence's key to `call`, the write's own arguments, then the token (last, where
    /// the scripts' guard reads it).
    fn key_and_token(
        fence: &Option<Fence>,
        call: &mut ::redis::ScriptInvocation<'_>,
        args: impl FnOnce(&mut ::redis::ScriptInvocation<'_>),
    ) {
        if let Some(f) = fence {
            call.key(super::redis::fence_key(&f.board));
        }
        args(call);
        if let Some(f) = fence {
            call.arg(f.token);
        }
    }
}

/// The board id a board tree's key starts with.
fn board_of(key: &[u8]) -> &[u8] {
    key.split(|b| *b == b'/').next().unwrap_or(key)
}

impl RedisTree {
    /// For a board's tree: the board the key belongs to and this node's token for it;
    /// [`StoreError::NotOwner`] if this node does not own the board.
    fn fence(&self, key: &[u8]) -> Result<Option<Fence>, StoreError> {
        if !self.fenced {
            return Ok(None);
        }
        let board = String::from_utf8_lossy(board_of(key)).into_owned();
        let token = self.store.token_of(&board)?;
        Ok(Some(Fence { board, token }))
    }

    /// The fence of a batch, whose writes must all be for one board.
    fn batch_fence(&self, batch: &Batch) -> Result<Option<Fence>, StoreError> {
        let first = batch.ops.first().map_or(&[][..], |(k, _)| k.as_ref());
        if batch
            .ops
            .iter()
            .any(|(k, _)| board_of(k) != board_of(first))
        {
            return Err(super::corrupt(
                &String::from_utf8_lossy(board_of(first)),
                "a batch of a board's tree spans boards",
            ));
        }
        self.fence(first)
    }

    /// Runs a write; a fenced one refused by Redis is [`StoreError::NotOwner`], and this node
    /// lets go of the board (its room stops).
    fn call<T>(
        &self,
        fence: &Option<Fence>,
        f: impl FnMut(&mut ::redis::Connection) -> ::redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        match self.store.with_conn(f) {
            // The scripts' guard answers with this error (the redis crate reports it as a
            // response error carrying the text).
            Err(e) if e.to_string().contains("HUDDLE_FENCED") => {
                let fence = fence.as_ref().expect("only fenced writes are refused so");
                self.store.fenced(&fence.board, fence.token);
                Err(StoreError::NotOwner(fence.board.clone()))
            }
            other => Ok(other?),
        }
    }

    fn range(
        &self,
        low: Bound<&[u8]>,
        high: Bound<&[u8]>,
        rev: bool,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let flat: Vec<Vec<u8>> = self.store.with_conn(|c| {
            scripts()
                .range
                .key(&self.vals)
                .key(&self.keys)
                .arg(lex(low, true))
                .arg(lex(high, false))
                .arg(if rev { "1" } else { "0" })
                .arg(limit)
                .invoke(c)
        })?;
        let mut entries = Vec::with_capacity(flat.len() / 2);
        let mut flat = flat.into_iter();
        while let (Some(k), Some(v)) = (flat.next(), flat.next()) {
            entries.push((IVec::from(k), IVec::from(v)));
        }
        Ok(entries)
    }

    /// The batch's writes as plain commands (inside a MULTI).
    fn queue(&self, pipe: &mut ::redis::Pipeline, batch: &Batch) {
        for (k, v) in &batch.ops {
            match v {
                Some(v) => {
                    pipe.cmd("HSET")
                        .arg(&self.vals)
                        .arg(k.as_ref())
                        .arg(v.as_ref())
                        .ignore();
                    pipe.cmd("ZADD")
                        .arg(&self.keys)
                        .arg(0)
                        .arg(k.as_ref())
                        .ignore();
                }
                None => {
                    pipe.cmd("HDEL").arg(&self.vals).arg(k.as_ref()).ignore();
                    pipe.cmd("ZREM").arg(&self.keys).arg(k.as_ref()).ignore();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_prefix_is_the_first_key_past_the_prefix() {
        assert_eq!(after_prefix(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(after_prefix(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(after_prefix(b"\xff\xff"), None);
        assert_eq!(after_prefix(b""), None);
    }
}
