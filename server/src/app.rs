//! The server: routes, startup and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router, middleware};
use huddle_shared::ids::is_valid_board_id;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceBuilder;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::api;
use crate::config::{Config, ServeArgs};
use crate::guard::{self, Guard};
use crate::metrics::Metrics;
use crate::people::{self, People, Person};
use crate::relay::Cluster;
use crate::room::RoomConfig;
use crate::rooms::Rooms;
use crate::sharing;
use crate::state::AppState;
use crate::store::{CompactionRule, RedisStore, Store};
use crate::ws;

/// How long shutdown waits for rooms and connections to finish before flushing anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub fn router(state: AppState) -> Router {
    // A release build of the app has each file brotli'd and gzip'd beside it (`cargo xtask
    // build-client`): the browser gets the smallest it takes. Caches must key on the encoding.
    let assets = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        .service(
            ServeDir::new(&state.config.assets)
                .precompressed_br()
                .precompressed_gzip(),
        );
    // Everything a person does goes through `identify`; health checks, metrics and the static
    // files of the app need no person (a proxy's health check carries no user header).
    let personal = Router::new()
        .route("/ws/{board}", get(ws::upgrade))
        .route("/", get(index))
        .route("/b/{board}", get(board_page))
        .route("/admin", get(admin))
        .nest("/api", api::routes(&state))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            people::identify,
        ));
    // Outermost first: every response gets the security headers; other sites' pages are
    // turned away before anything else happens.
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/sw.js", get(service_worker))
        .route("/favicon.ico", get(favicon))
        .merge(personal)
        .fallback_service(assets)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::relay::uncap_relayed,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::origin::check,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::headers::add,
        ))
        .with_state(state)
}

/// `/favicon.ico`: browsers ask for it on every page load; it is the app's SVG icon.
async fn favicon(State(state): State<AppState>) -> Response {
    match tokio::fs::read(state.config.assets.join("favicon.svg")).await {
        Ok(icon) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            icon,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// What [`open_store`] opens: the store, who people are, a new admin key to print, and in
/// cluster mode the node's part in the cluster.
struct Opened {
    store: Store,
    people: People,
    new_admin_key: Option<String>,
    cluster: Option<Arc<Cluster>>,
}

/// Opens the store and makes the server's secrets on first use; the admin key too, if it is
/// new (its link is printed once the address is known).
fn open_store(args: &ServeArgs, metrics: Arc<Metrics>) -> anyhow::Result<Opened> {
    let store = match &args.cluster.redis {
        Some(url) => {
            let node = args
                .cluster
                .node_id
                .clone()
                .map_or_else(|| crate::random::key().map(|k| k[..8].to_owned()), Ok)?;
            let redis = RedisStore::open(url, &node)
                .with_context(|| format!("cannot use Redis at {url}"))?;
            tracing::info!(node, "cluster mode: boards in Redis at {url}");
            Store::open_redis(redis, metrics)?
        }
        None => {
            std::fs::create_dir_all(&args.data)
                .with_context(|| format!("cannot create data directory {}", args.data.display()))?;
            Store::open(&args.data, metrics)
                .with_context(|| format!("cannot open the database in {}", args.data.display()))?
        }
    };
    let secrets = store
        .secrets(crate::random::bytes)
        .context("cannot write the server's secrets")?;
    let trusted = args
        .trusted_user_header
        .as_deref()
        .map(|h| {
            HeaderName::from_bytes(h.trim().as_bytes())
                .with_context(|| format!("--trusted-user-header {h:?} is not a header name"))
        })
        .transpose()?;
    let cluster = store
        .redis()
        .map(|redis| Arc::new(Cluster::new(redis.clone(), &secrets.cookie_secret)));
    let people = People::new(secrets.cookie_secret, secrets.admin_key.clone(), trusted);
    let new_admin_key = secrets.admin_key_created.then_some(secrets.admin_key);
    Ok(Opened {
        store,
        people,
        new_admin_key,
        cluster,
    })
}

/// Prints the admin link of a new admin key, once: `huddle admin-link` prints it again.
fn print_admin_link(addr: SocketAddr, key: &str) {
    let host = match addr.ip().is_unspecified() {
        true => format!("127.0.0.1:{}", addr.port()),
        false => addr.to_string(),
    };
    println!(
        "admin link (opens every board; shown once, `huddle admin-link` shows it again): \
         http://{host}/admin?key={key}"
    );
}

/// Runs the server until `shutdown` is cancelled (or SIGINT/SIGTERM), then flushes.
/// `on_ready` is called with the bound address once the server accepts connections.
pub async fn run(
    args: ServeArgs,
    shutdown: CancellationToken,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::default());
    let guard = Arc::new(Guard::new(&args.guard).map_err(anyhow::Error::msg)?);
    let Opened {
        store,
        people,
        new_admin_key,
        cluster,
    } = open_store(&args, metrics.clone())?;
    let tracker = TaskTracker::new();
    let flusher = tokio::spawn(store.clone().run_flusher(shutdown.child_token()));
    let notifier = crate::notify::Notifier::new(
        store.clone(),
        &args.notify,
        shutdown.clone(),
        tracker.clone(),
    )?;
    let state = AppState {
        config: Arc::new(Config {
            max_frame_bytes: args.max_frame_bytes,
            ping_interval: args.ping_interval(),
            assets: args.assets.clone(),
        }),
        room_config: Arc::new(RoomConfig {
            idle_unload: Duration::from_secs(args.idle_unload_secs),
            store_view_after: Duration::from_secs(args.store_view_after_secs),
            compaction: CompactionRule::after_updates(args.compact_after_updates),
            versions: args.versions.config(),
        }),
        store: store.clone(),
        boards: match store.redis() {
            Some(redis) => Arc::new(redis.clone()),
            None => Arc::new(store.clone()),
        },
        rooms: Rooms::default(),
        people: Arc::new(people),
        guard: guard.clone(),
        metrics: metrics.clone(),
        notifier: notifier.clone(),
        shutdown: shutdown.clone(),
        tracker: tracker.clone(),
        next_conn_id: Arc::new(AtomicU64::new(1)),
        cluster: cluster.clone(),
    };
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    if let Some(cluster) = &cluster {
        // Where the other nodes relay this node's boards' clients.
        let reach = match args.cluster.node_addr {
            Some(reach) => reach,
            None if addr.ip().is_unspecified() => anyhow::bail!(
                "listening on {addr}: give --node-addr, the address the other nodes reach this one at"
            ),
            None => addr,
        };
        let redis = cluster.redis.clone();
        tokio::task::spawn_blocking(move || redis.announce(&reach.to_string()))
            .await?
            .context("cannot announce this node in Redis")?;
    }
    if !args.assets.join("index.html").exists() {
        tracing::warn!(
            "no web client in {}: run `cargo xtask serve` to build it",
            args.assets.display()
        );
    }
    if let Some(key) = new_admin_key {
        print_admin_link(addr, &key);
    }
    on_ready(addr);
    notifier.start(addr);
    tracker.spawn(crate::deadlines::run(state.clone(), shutdown.clone()));

    tokio::spawn(watch_signals(shutdown.clone()));
    crate::serve::serve(listener, router(state), guard, metrics, shutdown.clone()).await;

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

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics.render();
    if let Some(cluster) = state.cluster.clone()
        && let Ok(lines) = tokio::task::spawn_blocking(move || cluster.render_metrics()).await
    {
        text.push_str(&lines);
    }
    ([("content-type", "text/plain; version=0.0.4")], text)
}

/// `/healthz`: `ok`; in cluster mode also whether Redis answers (503 when it does not: the
/// node cannot save anything then, and a load balancer should send people elsewhere).
async fn healthz(State(state): State<AppState>) -> Response {
    let Some(cluster) = state.cluster.clone() else {
        return "ok\n".into_response();
    };
    let node = cluster.redis.node().to_owned();
    match tokio::task::spawn_blocking(move || cluster.redis.ping()).await {
        Ok(Ok(took)) => format!(
            "ok\nnode: {node}\nredis: ok ({:.2} ms)\n",
            took.as_secs_f64() * 1e3
        )
        .into_response(),
        Ok(Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unavailable\nnode: {node}\nredis: {e}\n"),
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

async fn index(State(state): State<AppState>) -> Response {
    serve_index(&state).await
}

/// `/b/{board}`: the app. Opened from a share link (`?key=...`), the link's role is granted
/// to the person first (remembered, so the link need not be kept), then the browser is sent
/// to the plain address, so the key does not stay in the address bar. The admin key works
/// here as the admin link does.
async fn board_page(
    Path(board): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    uri: axum::http::Uri,
) -> Response {
    if !is_valid_board_id(&board) {
        return (
            StatusCode::BAD_REQUEST,
            "board ids are 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'\n",
        )
            .into_response();
    }
    if let Some(key) = people::key_param(uri.query()) {
        let key = key.to_owned();
        let redeemed =
            tokio::task::spawn_blocking(move || -> Result<(), crate::store::StoreError> {
                if state.people.is_admin_key(&key) {
                    return make_admin(&state.store, &person);
                }
                sharing::role_on(&state.store, &board, &person, Some(&key), true).map(drop)
            })
            .await;
        if let Ok(Err(e)) | Err(e) = redeemed.map_err(crate::store::StoreError::Join) {
            tracing::error!("cannot redeem a share link: {e}");
        }
        return Redirect::to(&format!("/b/{board}", board = board_of(&uri))).into_response();
    }
    crate::api::view::prepare(&state, &board, &person);
    serve_index(&state).await
}

/// The board id in a `/b/{board}` request's path.
fn board_of(uri: &axum::http::Uri) -> &str {
    uri.path().strip_prefix("/b/").unwrap_or_default()
}

/// `/admin?key=...`: the admin link. The browser that opens it becomes the admin (sees and
/// manages every board) and goes to the home page; a wrong key is a 404 like any unknown page.
async fn admin(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    uri: axum::http::Uri,
) -> Response {
    let key = people::key_param(uri.query()).map(str::to_owned);
    if !key.is_some_and(|k| state.people.is_admin_key(&k)) {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || make_admin(&store, &person)).await {
        Ok(Ok(())) => Redirect::to("/").into_response(),
        Ok(Err(e)) => crate::error::ApiError::Store(e).into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// Records that `person` is the admin (they presented the admin key).
fn make_admin(store: &Store, person: &Person) -> Result<(), crate::store::StoreError> {
    let mut profile = store.profile(&person.id)?.unwrap_or_default();
    if !profile.admin {
        profile.admin = true;
        store.put_profile(&person.id, &profile)?;
    }
    Ok(())
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
