//! `huddle export` and `huddle import`: the same exports and imports as the HTTP API, run
//! against the data directory directly, for scripts and backups while no server runs.
//!
//! sled lets one process open a database at a time. A running server holds the lock, so
//! these commands then stop with a message that says to stop the server or to use its HTTP
//! API, with the `curl` command that does the same thing.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use huddle_shared::ids::{is_valid_board_id, new_board_id};

use crate::api::MAX_IMPORT_BODY_BYTES;
use crate::config::{AdminLinkArgs, ExportArgs, ImportArgs, MigrateArgs};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError, now_ms};
use crate::transfer;

/// The address in the `curl` hints: `huddle serve`'s default (the user's own may differ).
const ADDR: &str = "127.0.0.1:8080";

/// Opens the store in `data`, or explains that a server holds it (`curl`: the API call that
/// does the same job).
fn open(data: &Path, curl: &str) -> anyhow::Result<Store> {
    match Store::open(data, Arc::new(Metrics::default())) {
        Ok(store) => Ok(store),
        Err(StoreError::Locked(_)) => bail!(
            "the data directory {} is in use by a running Huddle server.\n\
             Stop the server and run this again, or use the HTTP API of the server (at its address):\n  {curl}",
            data.display()
        ),
        Err(e) => Err(e).with_context(|| format!("cannot open the database in {}", data.display())),
    }
}

/// `huddle export BOARD --format F [--out FILE]`.
pub fn export(args: &ExportArgs) -> anyhow::Result<()> {
    if crate::pictures::Format::parse(&args.format).is_some() {
        return picture(args);
    }
    let format = transfer::parse_format(&args.format)?;
    if !is_valid_board_id(&args.board) {
        bail!(
            "{:?} is not a board id (1 to 64 characters of A-Z, a-z, 0-9, '_' and '-')",
            args.board
        );
    }
    if !args.data.is_dir() {
        bail!("no data directory at {}", args.data.display());
    }
    let curl = format!(
        "curl -o {}.{} 'http://{ADDR}/api/boards/{}/export?format={}'",
        args.board,
        format.extension(),
        args.board,
        format.name()
    );
    let store = open(&args.data, &curl)?;
    if store.board_meta(&args.board)?.is_none() {
        bail!(
            "no board with id {:?} in {}",
            args.board,
            args.data.display()
        );
    }
    let mut snapshot = store.load_snapshot(&args.board)?;
    snapshot.comments = store.comment_threads(&args.board)?;
    let body = format.export(&snapshot);
    match &args.out {
        Some(path) => std::fs::write(path, body)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(body.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

/// `huddle export BOARD --format svg|png|pdf|minutes|minutes-pdf [--scale S] [--frame ID]
/// [--items A,B] [--since MS] [--out FILE]`: a picture or the minutes (see
/// [`crate::pictures`]). Run by whoever may read the data directory, like the other exports.
fn picture(args: &ExportArgs) -> anyhow::Result<()> {
    use crate::pictures::{Request, render};
    let request = Request::parse(&args.format, &args.picture).map_err(anyhow::Error::msg)?;
    if !is_valid_board_id(&args.board) {
        bail!("{:?} is not a board id", args.board);
    }
    if !args.data.is_dir() {
        bail!("no data directory at {}", args.data.display());
    }
    let p = &args.picture;
    let mut query = format!("format={}", args.format);
    for (name, value) in [
        ("scale", &p.scale),
        ("frame", &p.frame),
        ("items", &p.items),
        ("since", &p.since),
    ] {
        if let Some(v) = value {
            query.push_str(&format!("&{name}={}", percent_encode(v)));
        }
    }
    let curl = format!(
        "curl -o picture 'http://{ADDR}/api/boards/{}/export?{query}'",
        args.board
    );
    let store = open(&args.data, &curl)?;
    if store.board_meta(&args.board)?.is_none() {
        bail!(
            "no board with id {:?} in {}",
            args.board,
            args.data.display()
        );
    }
    let snapshot = store.load_snapshot(&args.board)?;
    let out = render(&snapshot, &request, now_ms())?;
    match &args.out {
        Some(path) => std::fs::write(path, &out.body)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&out.body)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// `huddle import FILE --format F [--title T]`: returns the new board's id.
pub fn import(args: &ImportArgs) -> anyhow::Result<String> {
    let text = read_limited(&args.file)?;
    let title_param = args
        .title
        .as_deref()
        .map(|t| format!("&title={}", percent_encode(t)))
        .unwrap_or_default();
    let curl = format!(
        "curl --data-binary @{} 'http://{ADDR}/api/boards/import?format={}{title_param}'",
        args.file.display(),
        args.format
    );
    // Check the whole file before touching the data directory: a bad file changes nothing.
    let new = transfer::from_import(&args.format, &text, args.title.as_deref(), now_ms())
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create data directory {}", args.data.display()))?;
    let store = open(&args.data, &curl)?;
    let id = new_board_id();
    store.insert_board(&id, &new.meta, &new.update)?;
    // Its first open gets its view without loading it.
    store.store_view(&id, &new.view)?;
    // On disk before we say it exists: a server started next reads it from there.
    store.flush_blocking()?;
    Ok(id)
}

/// `huddle admin-link [--rotate]`: the admin link of the data directory (made if it has none).
pub fn admin_link(args: &AdminLinkArgs) -> anyhow::Result<String> {
    if !args.data.is_dir() {
        bail!(
            "no data directory at {} (the first `huddle serve` makes it, and prints the admin link)",
            args.data.display()
        );
    }
    let store = match Store::open(&args.data, Arc::new(Metrics::default())) {
        Ok(store) => store,
        Err(StoreError::Locked(_)) => bail!(
            "the data directory {} is in use by a running Huddle server.\n\
             Stop the server and run this again (the admin link was also printed when the \
             server first started on this directory).",
            args.data.display()
        ),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot open the database in {}", args.data.display()));
        }
    };
    let key = if args.rotate {
        store.rotate_admin_key(crate::random::bytes()?)?
    } else {
        store.secrets(crate::random::bytes)?.admin_key
    };
    store.flush_blocking()?;
    let url = args.url.trim_end_matches('/');
    Ok(format!("{url}/admin?key={key}"))
}

/// `s` for a URL query value: unreserved characters as they are, every other byte as `%XX`.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Reads a file (or standard input for `-`), refusing more than an import may hold.
fn read_limited(path: &Path) -> anyhow::Result<String> {
    let limit = MAX_IMPORT_BODY_BYTES as u64;
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().take(limit + 1).read_to_end(&mut bytes)?;
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        file.take(limit + 1).read_to_end(&mut bytes)?;
    }
    if bytes.len() as u64 > limit {
        bail!(
            "{} is larger than the {limit} bytes an import may hold",
            path.display()
        );
    }
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// `huddle migrate --from-data DIR --to-redis URL`.
pub fn migrate(args: &MigrateArgs) -> anyhow::Result<()> {
    use crate::store::RedisStore;
    use crate::store::migrate::Progress;
    if !args.from_data.is_dir() {
        bail!("no data directory at {}", args.from_data.display());
    }
    let from = open(
        &args.from_data,
        "(stop the server first: a migration needs the data directory to itself)",
    )?;
    let redis = RedisStore::open(&args.to_redis, "migrate")
        .with_context(|| format!("cannot use Redis at {}", args.to_redis))?;
    let to = Store::open_redis(redis, Arc::new(Metrics::default()))?;
    let mut shown = std::time::Instant::now();
    let migrated = from.migrate_into(&to, |progress| match progress {
        Progress::Board { done, of } => {
            if done == of || shown.elapsed() >= std::time::Duration::from_secs(1) {
                eprintln!("boards: {done} of {of}");
                shown = std::time::Instant::now();
            }
        }
        Progress::Tree { name, entries } => eprintln!("{name}: {entries} entries"),
    })?;
    println!(
        "migrated {} boards and {} entries of {} other trees to {}\n\
         start every node with: huddle serve --redis {} --node-id NAME",
        migrated.boards, migrated.entries, migrated.trees, args.to_redis, args.to_redis
    );
    Ok(())
}
