//! `cargo xtask serve`: build the web client, then run the server with it.

use std::process::Command;

use crate::Workspace;
use crate::client;
use crate::cmd::{self, step};

pub fn run(ws: &Workspace, extra: &[String]) -> anyhow::Result<()> {
    let dist = client::build(ws, client::Flavour::Shipped)?;
    step("starting the server (cargo run --release)...");
    let mut command = cmd::cargo(ws);
    command.args([
        "run",
        "--release",
        "--package",
        "huddle-server",
        "--bin",
        "huddle",
        "--",
        "serve",
    ]);
    // The server's own defaults are --addr 127.0.0.1:8080 --data ./huddle-data; running from the
    // workspace root puts the data next to the checkout whatever directory xtask was run from.
    let has_assets = extra
        .iter()
        .any(|a| a == "--assets" || a.starts_with("--assets="));
    if !has_assets {
        command.arg("--assets").arg(&dist);
    }
    command.args(extra);
    exec(command)
}

/// Hands the terminal to the server: Ctrl-C then reaches it alone and it shuts down gracefully.
#[cfg(unix)]
fn exec(mut command: Command) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    eprintln!("$ {}", cmd::describe(&command));
    let err = command.exec();
    Err(anyhow::Error::new(err).context("could not start cargo"))
}

#[cfg(not(unix))]
fn exec(mut command: Command) -> anyhow::Result<()> {
    cmd::run(&mut command)
}
