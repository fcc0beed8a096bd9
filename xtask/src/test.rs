//! `cargo xtask test`: install what the tests need when missing, then run the whole suite.
//!
//! The end-to-end tests in `tests/` find their tools through environment variables set here:
//! `HUDDLE_BIN` (the debug server binary), `HUDDLE_ASSETS` (the built web client),
//! `HUDDLE_CHROMIUM` and `HUDDLE_FIREFOX` (the browsers), `HUDDLE_REDIS` (`redis-server`, for
//! the cluster tests) and `HUDDLE_JS_DIR` (the stock Yjs
//! peer and the Firefox driver, with node_modules).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::Workspace;
use crate::cmd::{self, step};
use crate::{client, deps};

/// The client crate: its native unit tests run in a separate `cargo test`, see [`run`].
const CLIENT_PACKAGE: &str = "huddle-client";

/// `cargo test` options that pick packages or targets; with them the client's own run is skipped,
/// since they would not make sense for (or would fail on) the client crate.
const TARGET_SELECTORS: &[&str] = &[
    "-p",
    "--package",
    "--workspace",
    "--lib",
    "--bin",
    "--bins",
    "--test",
    "--tests",
    "--example",
    "--examples",
    "--bench",
    "--benches",
    "--doc",
    "--all-targets",
];

pub fn run(ws: &Workspace, extra: &[String]) -> anyhow::Result<()> {
    // (a) the web client, so the browser tests have something to load.
    let assets = client::build(ws, client::Flavour::Shipped)?;
    // (b) the browser.
    let chromium = deps::ensure_chromium()?;
    let firefox = deps::ensure_firefox()?;
    // (b') Redis, for the cluster tests (each starts its own on a free loopback port).
    let redis = deps::ensure_redis()?;
    // (c) the stock Yjs peer's packages.
    let js_dir = ws.root.join("tests").join("js");
    deps::ensure_node()?;
    deps::ensure_npm_packages(&js_dir)?;
    // (d) the server binary the tests spawn.
    step("building the server...");
    cmd::run(cmd::cargo(ws).args(["build", "--package", "huddle-server", "--bin", "huddle"]))?;
    let server = ws.debug_server_bin();

    // (e) the suite. The client's native tests get their own run, so the client is built with
    // its own features (as for the browser), not unified with the server's (yrs `sync`).
    let env = [
        ("HUDDLE_BIN", server.into_os_string()),
        ("HUDDLE_ASSETS", assets.into_os_string()),
        ("HUDDLE_CHROMIUM", chromium.into_os_string()),
        ("HUDDLE_FIREFOX", firefox.into_os_string()),
        ("HUDDLE_REDIS", redis.into_os_string()),
        ("HUDDLE_JS_DIR", js_dir.into_os_string()),
    ];
    step("running the tests...");
    let mut workspace_tests = cmd::cargo(ws);
    workspace_tests
        // --no-fail-fast: one run reports every failing test binary, not just the first.
        .args([
            "test",
            "--no-fail-fast",
            "--workspace",
            "--exclude",
            CLIENT_PACKAGE,
        ])
        .args(extra)
        .envs(env.iter().cloned());
    let mut tally = Tally::default();
    let workspace_result = run_tallied(&mut workspace_tests, &mut tally);

    let selects_targets = extra
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| TARGET_SELECTORS.contains(&a.split('=').next().unwrap_or(a)));
    let client_result = if selects_targets {
        step("skipping the client's native tests (the extra arguments select targets)");
        Ok(())
    } else {
        step("running the client's native tests...");
        run_tallied(
            cmd::cargo(ws)
                .args(["test", "--package", CLIENT_PACKAGE])
                .args(extra)
                .envs(env.iter().cloned()),
            &mut tally,
        )
    };
    // One line for the whole suite (cargo prints one per test binary, the last often a
    // doc-test run with nothing in it).
    println!(
        "tests: {} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.ignored
    );
    // Both runs happen even if the first fails, so one `cargo xtask test` shows every failure.
    workspace_result.and(client_result)
}

/// Test counts summed over every `test result:` line cargo printed.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Tally {
    /// Adds the counts of a line like `test result: ok. 9 passed; 0 failed; 1 ignored; ...`.
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(['.', ';']) {
            let mut words = part.split_whitespace();
            if let (Some(n), Some(what)) = (
                words.next().and_then(|n| n.parse::<u64>().ok()),
                words.next(),
            ) {
                match what {
                    "passed" => self.passed += n,
                    "failed" => self.failed += n,
                    "ignored" => self.ignored += n,
                    _ => {}
                }
            }
        }
    }
}

/// Runs `cargo test`, echoing its standard output line by line while counting the results.
fn run_tallied(cmd: &mut Command, tally: &mut Tally) -> anyhow::Result<()> {
    eprintln!("$ {}", cmd::describe(cmd));
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start cargo test")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut out = std::io::stdout().lock();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        tally.add_line(&line);
        writeln!(out, "{line}")?;
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("cargo test failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_sums_cargo_result_lines() {
        let mut t = Tally::default();
        t.add_line("test result: ok. 9 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 5.80s");
        t.add_line("test result: FAILED. 2 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.1s");
        t.add_line("running 4 tests");
        assert_eq!(
            t,
            Tally {
                passed: 11,
                failed: 3,
                ignored: 1
            }
        );
    }
}
