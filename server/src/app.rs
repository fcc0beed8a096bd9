//! The server: shared state, routes, startup and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use huddle_shared::ids::is_valid_board_id;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::services::ServeDir;

use crate::api;
use crate::config::{Config, ServeArgs};
use crate::metrics::Metrics;
use crate::room::RoomConfig;
use crate::rooms::{RoomContext, Rooms};
use crate::store::Store;
use crate::upgrade::WebSocketUpgrade;
use crate::ws;

/// How long shutdown waits for rooms and connections to finish before flushing anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub room_config: Arc<RoomConfig>,
    pub store: Store,
    pub rooms: Rooms,
    pub metrics: Arc<Metrics>,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
    pub next_conn_id: Arc<AtomicU64>,
}

impl AppState {
    pub fn room_context(&self) -> RoomContext {
        RoomContext {
            store: self.store.clone(),
            metrics: self.metrics.clone(),
            config: self.room_config.clone(),
            rooms: self.rooms.clone(),
            shutdown: self.shutdown.clone(),
            tracker: self.tracker.clone(),
        }
    }
}

pub fn router(state: AppState) -> Router {
    let assets = ServeDir::new(&state.config.assets);
    Router::new()
        .route("/ws/{board}", get(websocket))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route("/", get(index))
        .route("/b/{board}", get(board_page))
        .route("/sw.js", get(service_worker))
        .nest("/api", api::routes())
        .fallback_service(assets)
        .with_state(state)
}

/// Runs the server until `shutdown` is cancelled (or SIGINT/SIGTERM), then flushes.
/// `on_ready` is called with the bound address once the server accepts connections.
pub async fn run(
    args: ServeArgs,
    shutdown: CancellationToken,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::default());
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create data directory {}", args.data.display()))?;
    let store = Store::open(&args.data, metrics.clone())
        .with_context(|| format!("cannot open the database in {}", args.data.display()))?;
    let tracker = TaskTracker::new();
    let flusher = tokio::spawn(store.clone().run_flusher(shutdown.child_token()));
    let state = AppState {
        config: Arc::new(Config {
            max_frame_bytes: args.max_frame_bytes,
            ping_interval: args.ping_interval(),
            assets: args.assets.clone(),
        }),
        room_config: Arc::new(RoomConfig {
            idle_unload: Duration::from_secs(args.idle_unload_secs),
            compact_after_updates: args.compact_after_updates.max(1),
            compact_after_bytes: crate::room::DEFAULT_COMPACT_AFTER_BYTES,
        }),
        store: store.clone(),
        rooms: Rooms::default(),
        metrics,
        shutdown: shutdown.clone(),
        tracker: tracker.clone(),
        next_conn_id: Arc::new(AtomicU64::new(1)),
    };
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    if !args.assets.join("index.html").exists() {
        tracing::warn!(
            "no web client in {}: run `cargo xtask serve` to build it",
            args.assets.display()
        );
    }
    on_ready(addr);

    tokio::spawn(watch_signals(shutdown.clone()));
    // Small frames (a note move, a cursor) must go out at once, not wait for Nagle's
    // algorithm to batch them: on the W1 benchmark this took p99 from 21.7 ms to 6.7 ms.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await?;

    // Rooms see the same token: they close their connections and write what they hold.
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close in time");
    }
    flusher.await?;
    store.flush_now().await?;
    tracing::info!("stopped; everything is on disk");
    Ok(())
}

async fn watch_signals(shutdown: CancellationToken) {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
        _ = shutdown.cancelled() => return,
    }
    tracing::info!("shutting down: closing connections and flushing");
    shutdown.cancel();
}

async fn websocket(
    Path(board): Path<String>,
    State(state): State<AppState>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !is_valid_board_id(&board) {
        return (
            StatusCode::BAD_REQUEST,
            "board ids are 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'\n",
        )
            .into_response();
    }
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    let config = ws::transport_config(state.config.max_frame_bytes);
    upgrade.on_upgrade(config, move |socket| ws::serve(socket, board, state))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

async fn index(State(state): State<AppState>) -> Response {
    serve_index(&state).await
}

async fn board_page(Path(board): Path<String>, State(state): State<AppState>) -> Response {
    if !is_valid_board_id(&board) {
        return (
            StatusCode::BAD_REQUEST,
            "board ids are 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'\n",
        )
            .into_response();
    }
    serve_index(&state).await
}

/// The client's service worker. Not through `ServeDir`: browsers must revalidate it on every
/// check (`no-cache`), or a new deploy would wait for an HTTP cache to expire before the
/// worker that caches the app is replaced.
async fn service_worker(State(state): State<AppState>) -> Response {
    match tokio::fs::read(state.config.assets.join("sw.js")).await {
        Ok(script) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            script,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve_index(state: &AppState) -> Response {
    match tokio::fs::read_to_string(state.config.assets.join("index.html")).await {
        Ok(html) => Html(html).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(format!(
                "<h1>Huddle</h1><p>The web client is not built (looked in <code>{}</code>). \
                 Run <code>cargo xtask serve</code>, which builds it and starts the server.</p>",
                state.config.assets.display()
            )),
        )
            .into_response(),
    }
}
