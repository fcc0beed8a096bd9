//! `cargo xtask build-client`: the web client into `client/dist/`.
//!
//! cargo builds `huddle-client` for wasm32; wasm-bindgen (as a library, so there is no CLI to
//! install or keep in step with the pinned version) writes `dist/pkg/huddle_client{.js,_bg.wasm}`
//! for ES-module loading; `client/static/*` is copied next to it. No wasm-opt: Debian's is
//! known to miscompile, and the size profile gets most of the way.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::Workspace;
use crate::cmd::{self, step};
use crate::deps::{self, WASM_TARGET};

/// The client's package name, and the stem of the generated files.
const PACKAGE: &str = "huddle-client";
const OUT_NAME: &str = "huddle_client";

/// The size-optimised profile defined in the root Cargo.toml for release builds of the client.
const RELEASE_PROFILE: &str = "wasm-release";

/// Builds the client and returns the `dist` directory.
pub fn build(ws: &Workspace, debug: bool) -> anyhow::Result<PathBuf> {
    deps::ensure_wasm_target(ws)?;
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
        // Function names are a third of the module; release builds do without them.
        .remove_name_section(!debug)
        .remove_producers_section(!debug)
        .typescript(false)
        .generate(&pkg)
        .context("wasm-bindgen failed")?;

    step("copying client/static into client/dist...");
    copy_dir(&ws.root.join("client").join("static"), &dist)?;

    report_sizes(&dist)?;
    Ok(dist)
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

/// Prints what a visitor downloads: each file raw and gzip'd, and the gzip'd total.
fn report_sizes(dist: &Path) -> anyhow::Result<()> {
    let files = [
        dist.join("pkg").join(format!("{OUT_NAME}_bg.wasm")),
        dist.join("pkg").join(format!("{OUT_NAME}.js")),
        dist.join("style.css"),
        dist.join("index.html"),
    ];
    let mut total = 0;
    for file in &files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let gz = gzip_len(&bytes)?;
        total += gz;
        let name = file.strip_prefix(dist).unwrap_or(file).display();
        eprintln!("  {name:<28} {:>9} bytes, {gz:>8} gzip'd", bytes.len());
    }
    eprintln!("  {:<28} {:>9}        {total:>8} gzip'd", "total", "");
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> anyhow::Result<usize> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?.len())
}
