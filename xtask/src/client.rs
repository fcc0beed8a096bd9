//! `cargo xtask build-client`: the web client into `client/dist/`.
//!
//! cargo builds `huddle-client` for wasm32; wasm-bindgen (as a library, so there is no CLI to
//! install or keep in step with the pinned version) writes `dist/pkg/huddle_client{.js,_bg.wasm}`
//! for ES-module loading; `client/static/*` is copied next to it. A release build's wasm then
//! has its functions ordered by name ([`wasm_order`]), which gzip compresses 6% smaller. No
//! wasm-opt: Debian's is known to miscompile, and npm's makes the gzip'd file larger.
//!
//! The service worker (`static/sw.js`) names its cache after the build: the copy in `dist`
//! gets a hash of the files it caches in place of [`BUILD_ID_PLACEHOLDER`], so every build
//! that changes them installs a new worker that replaces the old cache.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::Workspace;
use crate::cmd::{self, step};
use crate::deps::{self, WASM_TARGET};
use crate::wasm_order;

/// The client's package name, and the stem of the generated files.
const PACKAGE: &str = "huddle-client";
const OUT_NAME: &str = "huddle_client";

/// The size-optimised profile defined in the root Cargo.toml for release builds of the client.
const RELEASE_PROFILE: &str = "wasm-release";

/// Which build of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// What visitors download: the size profile, functions ordered by name, no names.
    Shipped,
    /// The size profile with the functions' names kept (in wasm-bindgen's order), so that a
    /// CPU profile in the browser's DevTools names them; compressed like a shipped build.
    Named,
    /// The dev profile: faster to compile, larger, with debug assertions and names.
    Debug,
}

/// Builds the client and returns the `dist` directory.
pub fn build(ws: &Workspace, flavour: Flavour) -> anyhow::Result<PathBuf> {
    deps::ensure_wasm_target(ws)?;
    let debug = flavour == Flavour::Debug;
    let (profile, profile_dir) = if debug {
        ("dev", "debug")
    } else {
        (RELEASE_PROFILE, RELEASE_PROFILE)
    };

    step(&format!("building the wasm client ({profile} profile)..."));
    cmd::run(cmd::cargo(ws).args([
        "build",
        "--package",
        PACKAGE,
        "--lib",
        "--target",
        WASM_TARGET,
        "--profile",
        profile,
    ]))?;
    let wasm = ws
        .target_dir
        .join(WASM_TARGET)
        .join(profile_dir)
        .join(format!("{OUT_NAME}.wasm"));
    if !wasm.exists() {
        bail!("cargo built the client but {} is missing", wasm.display());
    }

    let dist = ws.client_dist();
    let pkg = dist.join("pkg");
    step(&format!("generating JS bindings into {}...", pkg.display()));
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg).with_context(|| format!("removing {}", pkg.display()))?;
    }
    std::fs::create_dir_all(&pkg).with_context(|| format!("creating {}", pkg.display()))?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .out_name(OUT_NAME)
        .debug(debug)
        .keep_debug(debug)
        // Function names are a third of the module: a shipped build orders its functions by
        // them, then leaves them out; a named one keeps them.
        .remove_name_section(false)
        .remove_producers_section(!debug)
        .typescript(false)
        .generate(&pkg)
        .context("wasm-bindgen failed")?;
    if flavour == Flavour::Shipped {
        step("ordering the wasm's functions by name...");
        let shipped = pkg.join(format!("{OUT_NAME}_bg.wasm"));
        let wasm =
            std::fs::read(&shipped).with_context(|| format!("reading {}", shipped.display()))?;
        let ordered = wasm_order::order_by_name(&wasm)?;
        std::fs::write(&shipped, ordered)
            .with_context(|| format!("writing {}", shipped.display()))?;
    }

    step("copying client/static into client/dist...");
    copy_dir(&ws.root.join("client").join("static"), &dist)?;
    stamp_service_worker(&dist)?;

    let sizes = precompress(ws, &dist, !debug)?;
    report_sizes(&sizes);
    Ok(dist)
}

/// The encodings written beside each file the server's static route sends (`FILE.gz`,
/// `FILE.br`): it picks the one the browser takes, so nothing is compressed per request.
const ENCODINGS: [&str; 2] = ["gz", "br"];

/// One file of the app as a visitor downloads it.
struct Sizes {
    name: String,
    raw: usize,
    gzip: usize,
    brotli: usize,
}

/// Writes the app's files gzip'd (level 9) and brotli'd (quality 11) beside them, when
/// `write` (release builds: a debug build's wasm is large and only ever loaded locally), and
/// removes copies a previous build left otherwise, so that none is ever stale. Returns what
/// each file weighs in each encoding.
fn precompress(ws: &Workspace, dist: &Path, write: bool) -> anyhow::Result<Vec<Sizes>> {
    step(if write {
        "compressing the app's files (gzip, brotli)..."
    } else {
        "measuring the app's files..."
    });
    // Brotli's best takes seconds for the wasm: each result is kept by the hash of what it
    // compressed, so a build that changed nothing (or only some files) reuses it. Results no
    // file of this build has are removed.
    let cache = ws.target_dir.join("xtask-brotli");
    std::fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let mut kept = Vec::new();
    let mut sizes = Vec::new();
    for file in shell_files(dist) {
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let gzip = gzipped(&bytes)?;
        // Named by the settings too: other settings make another result.
        let cached = cache.join(format!(
            "q{BROTLI_QUALITY}w{BROTLI_WINDOW}-{:016x}.br",
            fnv1a([bytes.as_slice()])
        ));
        let brotli = match std::fs::read(&cached) {
            Ok(brotli) => brotli,
            Err(_) => {
                let brotli = brotlied(&bytes)?;
                std::fs::write(&cached, &brotli)
                    .with_context(|| format!("writing {}", cached.display()))?;
                brotli
            }
        };
        kept.push(cached);
        // index.html is sent by the server's own routes (filled in per request), never as a file.
        let served_as_file = !file.ends_with("index.html");
        for (ext, encoded) in ENCODINGS.iter().zip([&gzip, &brotli]) {
            let mut name = file.clone().into_os_string();
            name.push(format!(".{ext}"));
            let path = PathBuf::from(name);
            if write && served_as_file {
                std::fs::write(&path, encoded)
                    .with_context(|| format!("writing {}", path.display()))?;
            } else if path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing {}", path.display()))?;
            }
        }
        sizes.push(Sizes {
            name: file
                .strip_prefix(dist)
                .unwrap_or(&file)
                .display()
                .to_string(),
            raw: bytes.len(),
            gzip: gzip.len(),
            brotli: brotli.len(),
        });
    }
    for entry in std::fs::read_dir(&cache)? {
        let path = entry?.path();
        if !kept.contains(&path) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(sizes)
}

/// FNV-1a: stable across Rust versions, unlike std's hasher.
fn fnv1a<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for chunk in chunks {
        for &byte in chunk {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// What `static/sw.js` says where the build id goes.
const BUILD_ID_PLACEHOLDER: &str = "__HUDDLE_BUILD_ID__";

/// Writes the build id (a hash of the app shell) into `dist/sw.js`.
fn stamp_service_worker(dist: &Path) -> anyhow::Result<()> {
    let sw = dist.join("sw.js");
    let text = std::fs::read_to_string(&sw).with_context(|| format!("reading {}", sw.display()))?;
    if !text.contains(BUILD_ID_PLACEHOLDER) {
        bail!("{} has no {BUILD_ID_PLACEHOLDER} to replace", sw.display());
    }
    // A hash of the files the worker caches.
    let files = shell_files(dist)
        .iter()
        .map(|file| std::fs::read(file).with_context(|| format!("reading {}", file.display())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let hash = fnv1a(files.iter().map(Vec::as_slice));
    let text = text.replace(BUILD_ID_PLACEHOLDER, &format!("{hash:016x}"));
    std::fs::write(&sw, text).with_context(|| format!("writing {}", sw.display()))
}

/// The files a visitor downloads (and the service worker caches).
fn shell_files(dist: &Path) -> [PathBuf; 6] {
    [
        dist.join("pkg").join(format!("{OUT_NAME}_bg.wasm")),
        dist.join("pkg").join(format!("{OUT_NAME}.js")),
        dist.join("style.css"),
        dist.join("index.html"),
        dist.join("boot.js"),
        dist.join("favicon.svg"),
    ]
}

/// Copies every file of `from` (recursively) into `to`.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let entries = std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))?;
    for entry in entries {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Prints what a visitor downloads: each file raw, gzip'd and brotli'd, and the totals.
fn report_sizes(sizes: &[Sizes]) {
    for s in sizes {
        eprintln!(
            "  {:<28} {:>9} bytes, {:>8} gzip'd, {:>8} brotli",
            s.name, s.raw, s.gzip, s.brotli
        );
    }
    let gzip: usize = sizes.iter().map(|s| s.gzip).sum();
    let brotli: usize = sizes.iter().map(|s| s.brotli).sum();
    eprintln!(
        "  {:<28} {:>9}        {gzip:>8} gzip'd, {brotli:>8} brotli",
        "total", ""
    );
}

fn gzipped(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}

/// Brotli at its best quality and largest window (the wasm is 2 MB): browsers all take it.
const BROTLI_QUALITY: i32 = 11;
const BROTLI_WINDOW: i32 = 24;

fn brotlied(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: BROTLI_WINDOW,
        size_hint: bytes.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}
