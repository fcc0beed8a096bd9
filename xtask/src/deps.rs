//! Installing what the build and the tests need, only when it is missing.
//!
//! Everything comes from the usual channels: rustup for the wasm32 target, the system package
//! manager (apt) for Chromium, Firefox ESR, Redis and Node.js, npm for the JavaScript interop peer's packages.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Context, bail};

use crate::Workspace;
use crate::cmd::{self, step};

/// The target the web client compiles to.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Where Debian's `chromium` package puts the browser.
const DEBIAN_CHROMIUM: &str = "/usr/bin/chromium";

/// Adds the wasm32 target to the active toolchain if it is not installed yet.
pub fn ensure_wasm_target(ws: &Workspace) -> anyhow::Result<()> {
    if cmd::which("rustup").is_none() {
        // A toolchain without rustup (a distro rustc): the cargo build says if the target is missing.
        step("rustup not found; assuming the toolchain has the wasm32-unknown-unknown target");
        return Ok(());
    }
    // Run from the workspace root so a rust-toolchain file there picks the same toolchain as cargo.
    let installed = cmd::output(
        Command::new("rustup")
            .args(["target", "list", "--installed"])
            .current_dir(&ws.root),
    )?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    step(&format!(
        "installing the {WASM_TARGET} target with rustup..."
    ));
    cmd::run(
        Command::new("rustup")
            .args(["target", "add", WASM_TARGET])
            .current_dir(&ws.root),
    )
}

/// The Chromium the browser tests drive: `$HUDDLE_CHROMIUM` if set, else Debian's package,
/// installed with apt when missing.
pub fn ensure_chromium() -> anyhow::Result<PathBuf> {
    ensure_apt_program("HUDDLE_CHROMIUM", DEBIAN_CHROMIUM, "chromium", "Chromium")
}

/// Where Debian's `firefox-esr` package puts the browser.
const DEBIAN_FIREFOX: &str = "/usr/bin/firefox-esr";

/// The Firefox the Firefox tests drive (through WebDriver BiDi): `$HUDDLE_FIREFOX` if set,
/// else Debian's `firefox-esr`, installed with apt when missing.
pub fn ensure_firefox() -> anyhow::Result<PathBuf> {
    ensure_apt_program(
        "HUDDLE_FIREFOX",
        DEBIAN_FIREFOX,
        "firefox-esr",
        "Firefox ESR",
    )
}

/// A program: the path in `env_var` if set (which must exist), else `debian_path`,
/// installing the apt `package` (called `name` in messages) when it is missing.
fn ensure_apt_program(
    env_var: &str,
    debian_path: &str,
    package: &str,
    name: &str,
) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os(env_var) {
        let path = PathBuf::from(path);
        if !path.exists() {
            bail!(
                "{env_var} is set to {}, which does not exist",
                path.display()
            );
        }
        return Ok(path);
    }
    let path = PathBuf::from(debian_path);
    if !path.exists() {
        step(&format!("{name} is missing; installing it with apt..."));
        apt_install(&[package])?;
        if !path.exists() {
            bail!(
                "apt installed {package} but {} is still missing",
                path.display()
            );
        }
    }
    Ok(path)
}

/// Where Debian's `redis-server` package puts the server.
const DEBIAN_REDIS: &str = "/usr/bin/redis-server";

/// The Redis the cluster tests start (each its own, on a free loopback port):
/// `$HUDDLE_REDIS` if set, else Debian's `redis-server`, installed with apt when missing.
pub fn ensure_redis() -> anyhow::Result<PathBuf> {
    ensure_apt_program("HUDDLE_REDIS", DEBIAN_REDIS, "redis-server", "Redis")
}

/// Installs Node.js and npm with apt if `npm` is not on the PATH.
pub fn ensure_node() -> anyhow::Result<()> {
    if cmd::which("npm").is_none() || cmd::which("node").is_none() {
        step("Node.js is missing; installing it with apt...");
        apt_install(&["nodejs", "npm"])?;
    }
    Ok(())
}

/// `npm ci` in `js_dir` when `node_modules` is missing or older than `package-lock.json`.
pub fn ensure_npm_packages(js_dir: &Path) -> anyhow::Result<()> {
    let lock = js_dir.join("package-lock.json");
    let modules = js_dir.join("node_modules");
    let stale = match (modified(&modules), modified(&lock)) {
        (None, _) => true,
        (Some(installed), Some(locked)) => installed < locked,
        (Some(_), None) => false,
    };
    if !stale {
        return Ok(());
    }
    step(&format!(
        "installing npm packages in {}...",
        js_dir.display()
    ));
    cmd::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(js_dir),
    )?;
    // npm ci recreates node_modules, but make the freshness check independent of that detail.
    if let Ok(dir) = std::fs::File::open(&modules) {
        let _ = dir.set_modified(SystemTime::now());
    }
    Ok(())
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// `apt-get update && apt-get install -y PACKAGES`, non-interactively, through sudo if not root.
fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    if cmd::which("apt-get").is_none() {
        bail!(
            "apt-get not found: install {} with your system's package manager",
            packages.join(" ")
        );
    }
    let apt = |args: &[&str]| -> anyhow::Result<()> {
        let mut command = if is_root()? {
            Command::new("apt-get")
        } else if cmd::which("sudo").is_some() {
            let mut sudo = Command::new("sudo");
            sudo.args(["--preserve-env=DEBIAN_FRONTEND", "apt-get"]);
            sudo
        } else {
            bail!("installing {} needs root (or sudo)", packages.join(" "));
        };
        cmd::run(command.args(args).env("DEBIAN_FRONTEND", "noninteractive"))
    };
    apt(&["update"])?;
    let mut install = vec!["install", "-y"];
    install.extend_from_slice(packages);
    apt(&install).context("apt-get install failed")
}

fn is_root() -> anyhow::Result<bool> {
    Ok(cmd::output(Command::new("id").arg("-u"))?.trim() == "0")
}
