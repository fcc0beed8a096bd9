//! Notifications: a person's inbox and a board's webhooks.
//!
//! Rooms and the API tell the [`Notifier`] what happened ([`Notice`]) and go on at once: it
//! is a bounded channel and `try_send`, so a slow disk or a receiver that is down can never
//! hold up a room. One background task (`dispatch`) takes each notice, writes the inbox
//! entries of the people it concerns and queues a delivery to every webhook of the board
//! subscribed to it; each delivery is its own task (`deliver`, on a thread of its own), which tries, waits with
//! backoff and tries again, recording every try in the board's delivery log. A delivery
//! still pending when the server stops is sent again when it starts.
//!
//! If the channel is full (thousands of notices waiting), a notice is dropped and counted
//! rather than block the room; the counter is in [`Notifier::dropped`].
//!
//! # Layout
//!
//! - this file: [`Notifier`], its flags ([`NotifyArgs`]) and what rooms call;
//! - `dispatch`: notices -> inbox entries and deliveries; grants -> "board shared";
//! - `deliver`: one delivery's tries over HTTP(S), with backoff;
//! - [`target`]: which URLs a webhook may have, and the resolver that refuses internal
//!   addresses at delivery time.
//!
//! How callers report events (the comments of issue 14 call the last two):
//!
//! ```ignore
//! ctx.notifier.notify(notify::notice(board, What::Decision { .. }));
//! ctx.notifier.notify(notify::notice(board, What::Mention { recipients, author_person, .. }));
//! ctx.notifier.notify(notify::notice(board, What::Reply { recipients, author_person, .. }));
//! ```

mod deliver;
mod dispatch;
pub mod target;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use clap::Args;
use huddle_shared::notify::backoff::Backoff;
use huddle_shared::notify::{Notice, What};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::store::notify::NotifyTrees;
use crate::store::{Store, StoreError, now_ms};

/// Notices waiting for the dispatcher. Each is a few hundred bytes; a burst of this many
/// (a big board's every person mentioned at once) still fits.
const QUEUE: usize = 4096;

/// Deliveries sent at the same time; the rest wait their turn (a waiting retry holds none).
const PARALLEL_DELIVERIES: usize = 64;

/// Deliveries sent to one webhook at the same time: a receiver that never answers holds at
/// most this many of the [`PARALLEL_DELIVERIES`] (each for the [`TRY_TIMEOUT`]), so it cannot
/// hold up the deliveries to other webhooks.
const PARALLEL_PER_WEBHOOK: usize = 4;

/// How long one try may take, connecting included.
const TRY_TIMEOUT: Duration = Duration::from_secs(10);

/// The flags of notifications (part of `huddle serve`'s).
#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    /// Let webhooks point at loopback, private and link-local addresses (a receiver on the
    /// LAN or this machine). Off by default: a board's owner could otherwise make the server
    /// call internal services (cloud metadata, databases, routers).
    #[arg(long, env = "HUDDLE_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: bool,

    /// The address people reach Huddle at, for the board links in notifications (default:
    /// the address the server listens on).
    #[arg(long, env = "HUDDLE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Wait before a failed webhook delivery is tried again, in milliseconds; it doubles
    /// after every failed try.
    #[arg(long, env = "HUDDLE_WEBHOOK_RETRY_MS", default_value_t = 10_000)]
    pub webhook_retry_ms: u64,

    /// Longest wait between two tries of a delivery, in seconds.
    #[arg(long, env = "HUDDLE_WEBHOOK_RETRY_CAP_SECS", default_value_t = 600)]
    pub webhook_retry_cap_secs: u64,

    /// Tries of one delivery in all, the first included, before it is marked failed.
    #[arg(long, env = "HUDDLE_WEBHOOK_ATTEMPTS", default_value_t = 8)]
    pub webhook_attempts: u32,
}

impl NotifyArgs {
    fn backoff(&self) -> Backoff {
        Backoff {
            base: Duration::from_millis(self.webhook_retry_ms.max(1)),
            cap: Duration::from_secs(self.webhook_retry_cap_secs.max(1)),
            attempts: self.webhook_attempts.max(1),
        }
    }
}

/// What the dispatcher is asked to do.
enum Job {
    Notice(Notice),
    /// `person` cast their ballot in `round`: their inbox's request for it is done.
    BallotCast {
        board: String,
        round: String,
        person: String,
    },
}

/// The handle rooms and the API report events to; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    tx: mpsc::Sender<Job>,
    /// Taken by [`Notifier::start`].
    rx: std::sync::Mutex<Option<mpsc::Receiver<Job>>>,
    store: Store,
    trees: NotifyTrees,
    allow_private: bool,
    /// Set by [`Notifier::start`] (the listening address is known only then).
    public_url: OnceLock<String>,
    configured_url: Option<String>,
    backoff: Backoff,
    client: reqwest::Client,
    /// Deliveries trying at this moment.
    sending: Arc<Semaphore>,
    /// Deliveries trying at this moment, per webhook (`{board}/{webhook}`); an entry goes
    /// when no delivery holds or waits for it.
    per_webhook: std::sync::Mutex<HashMap<String, Arc<Semaphore>>>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    /// The runtime deliveries run on: one thread of their own (see [`Notifier::start`]).
    senders: OnceLock<tokio::runtime::Handle>,
    dropped: AtomicU64,
}

/// Why the notifier could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot make the HTTP client for webhooks: {0}")]
    Client(#[from] reqwest::Error),
}

impl Notifier {
    /// A notifier on `store`; it takes notices at once, and handles them once started.
    pub fn new(
        store: Store,
        args: &NotifyArgs,
        shutdown: CancellationToken,
        tracker: TaskTracker,
    ) -> Result<Notifier, NotifyError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let client = reqwest::Client::builder()
            .user_agent(concat!("Huddle-Webhooks/", env!("CARGO_PKG_VERSION")))
            .timeout(TRY_TIMEOUT)
            .connect_timeout(TRY_TIMEOUT)
            // A redirect could lead anywhere, past the checks of the target.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve names itself, past the resolver's check.
            .no_proxy()
            .dns_resolver(Arc::new(target::Resolver {
                allow_private: args.webhooks_allow_private,
            }))
            .build()?;
        Ok(Notifier {
            inner: Arc::new(Inner {
                tx,
                rx: std::sync::Mutex::new(Some(rx)),
                trees: store.notify_trees()?,
                store,
                allow_private: args.webhooks_allow_private,
                public_url: OnceLock::new(),
                configured_url: args
                    .public_url
                    .as_ref()
                    .map(|u| u.trim_end_matches('/').to_owned()),
                backoff: args.backoff(),
                client,
                sending: Arc::new(Semaphore::new(PARALLEL_DELIVERIES)),
                per_webhook: Default::default(),
                shutdown,
                tracker,
                senders: OnceLock::new(),
                dropped: AtomicU64::new(0),
            }),
        })
    }

    /// Starts the dispatcher, the watch on grants and the deliveries left pending by the last
    /// run. `addr` is where the server listens (the default public address).
    pub fn start(&self, addr: SocketAddr) {
        let url = self.inner.configured_url.clone().unwrap_or_else(|| {
            let host = match addr.ip().is_unspecified() {
                true => format!("127.0.0.1:{}", addr.port()),
                false => addr.to_string(),
            };
            format!("http://{host}")
        });
        let _ = self.inner.public_url.set(url);
        match self.sender_thread() {
            Ok(handle) => {
                let _ = self.inner.senders.set(handle);
            }
            Err(e) => tracing::warn!(
                "no thread of their own for webhook deliveries ({e}); they share the rooms'"
            ),
        }
        let rx = self
            .inner
            .rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(rx) = rx {
            self.inner.tracker.spawn(dispatch::run(self.clone(), rx));
            self.inner
                .tracker
                .spawn(dispatch::watch_grants(self.clone()));
            self.resume_pending();
        }
    }

    /// A thread with its own runtime for the deliveries. Tries cost CPU (TLS, HTTP, the log);
    /// on the rooms' runtime, thousands of them retrying would queue before the rooms' tasks
    /// (tokio schedules its tasks in turn). On a thread of their own they get at most one
    /// core's share, and the operating system shares the cores fairly with the rooms'
    /// threads. It runs until shutdown; tasks still on it then are dropped.
    fn sender_thread(&self) -> std::io::Result<tokio::runtime::Handle> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let shutdown = self.inner.shutdown.clone();
        std::thread::Builder::new()
            .name("huddle-webhooks".into())
            .spawn(move || runtime.block_on(shutdown.cancelled()))?;
        Ok(handle)
    }

    /// Runs a delivery on the deliveries' thread (or here, if it could not be made).
    fn spawn_delivery(&self, delivery: impl std::future::Future<Output = ()> + Send + 'static) {
        match self.inner.senders.get() {
            Some(handle) => {
                self.inner.tracker.spawn_on(delivery, handle);
            }
            None => {
                self.inner.tracker.spawn(delivery);
            }
        }
    }

    /// Reports `notice`; never waits. Dropped (and counted) only if thousands are waiting.
    pub fn notify(&self, notice: Notice) {
        self.send(Job::Notice(notice));
    }

    /// `person` cast a ballot in `round` on `board`: the inbox entry asking for it is read.
    pub fn ballot_cast(&self, board: &str, round: &str, person: &str) {
        self.send(Job::BallotCast {
            board: board.to_owned(),
            round: round.to_owned(),
            person: person.to_owned(),
        });
    }

    fn send(&self, job: Job) {
        if self.inner.tx.try_send(job).is_err() {
            let n = self.inner.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!("notification queue full or closed: a notice was dropped ({n} so far)");
        }
    }

    /// The turn of a delivery to `webhook` of `board` to try: one of the webhook's and one
    /// of all. Held until dropped.
    async fn turn(&self, board: &str, webhook: &str) -> Turn {
        let key = format!("{board}/{webhook}");
        let own = {
            let mut map = self
                .inner
                .per_webhook
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            // Forget webhooks nobody holds or waits for (only the map's own reference).
            map.retain(|_, s| Arc::strong_count(s) > 1);
            map.entry(key)
                .or_insert_with(|| Arc::new(Semaphore::new(PARALLEL_PER_WEBHOOK)))
                .clone()
        };
        let own = own.acquire_owned().await.ok();
        let all = self.inner.sending.clone().acquire_owned().await.ok();
        Turn {
            _own: own,
            _all: all,
        }
    }

    /// Notices dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    pub fn trees(&self) -> &NotifyTrees {
        &self.inner.trees
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Webhooks may point at internal addresses (`--webhooks-allow-private`).
    pub fn allow_private(&self) -> bool {
        self.inner.allow_private
    }

    /// The page of `board`, as an absolute URL.
    pub fn board_url(&self, board: &str) -> String {
        let base = self
            .inner
            .public_url
            .get()
            .or(self.inner.configured_url.as_ref())
            .map_or("http://127.0.0.1:8080", |u| u.as_str());
        format!("{base}/b/{board}")
    }
}

/// A notice about `board` that happens now.
pub fn notice(board: &str, what: What) -> Notice {
    Notice {
        board: board.to_owned(),
        board_title: String::new(),
        at: now_ms(),
        what,
    }
}

/// A delivery's turn to try (see [`Notifier::turn`]): permits given back when dropped.
struct Turn {
    _own: Option<tokio::sync::OwnedSemaphorePermit>,
    _all: Option<tokio::sync::OwnedSemaphorePermit>,
}
