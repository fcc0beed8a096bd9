//! `cargo xtask bench`: a thin wrapper that runs `huddle-tests`' `bench` binary in release mode,
//! after building what it needs: the server (release), the web client (release, as served) and
//! Chromium for the client benchmark.

use std::process::Command;

use anyhow::Context;

use crate::Workspace;
use crate::cmd::{self, step};

/// The package and binary of the benchmark harness.
const BENCH_PACKAGE: &str = "huddle-tests";
const BENCH_BIN: &str = "bench";

pub fn run(ws: &Workspace, extra: &[String]) -> anyhow::Result<()> {
    if !bench_exists(ws)? {
        step(&format!(
            "no `{BENCH_BIN}` binary in the {BENCH_PACKAGE} package yet: nothing to benchmark \
             (add tests/src/bin/{BENCH_BIN}.rs)"
        ));
        return Ok(());
    }
    let assets = crate::client::build(ws, crate::client::Flavour::Shipped)?;
    let chromium = crate::deps::ensure_chromium()?;
    step("building the server in release mode...");
    let server = ws.build_release_server()?;
    step("running the benchmarks...");
    cmd::run(
        cmd::cargo(ws)
            .args([
                "run",
                "--release",
                "--package",
                BENCH_PACKAGE,
                "--bin",
                BENCH_BIN,
                "--",
            ])
            .args(extra)
            .env("HUDDLE_BIN", server)
            .env("HUDDLE_ASSETS", assets)
            .env("HUDDLE_CHROMIUM", chromium),
    )
}

/// Whether cargo knows a `bench` binary target in the harness package.
fn bench_exists(ws: &Workspace) -> anyhow::Result<bool> {
    let metadata = cmd::output(
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["metadata", "--no-deps", "--format-version", "1"])
            .current_dir(&ws.root),
    )?;
    let metadata: serde_json::Value =
        serde_json::from_str(&metadata).context("cargo metadata printed invalid JSON")?;
    let packages = metadata["packages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    Ok(packages
        .iter()
        .filter(|p| p["name"] == BENCH_PACKAGE)
        .flat_map(|p| {
            p["targets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
        })
        .any(|t| {
            t["name"] == BENCH_BIN
                && t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
        }))
}
