//! `cargo xtask fuzz [--secs N] [TARGET...]`: runs the cargo-fuzz targets of `shared/fuzz`
//! (every parser of untrusted bytes) one after the other, each for N seconds, and prints a
//! table: target, seconds, inputs tried, inputs a second, crashes.
//!
//! Installs what it needs when missing: the nightly toolchain (`rustup toolchain install
//! nightly --profile minimal`; cargo-fuzz needs nightly's sanitizer flags) and `cargo-fuzz`
//! (`cargo install cargo-fuzz`). A target's corpus (`shared/fuzz/corpus/<target>`, not in
//! git) starts from seeds made by Huddle's own code (`shared/fuzz/examples/seeds.rs`). A crash
//! leaves its input in `shared/fuzz/artifacts/<target>/`; copy it into
//! `shared/tests/fuzz_regressions/<target>/` once fixed, so CI replays it. Fuzzing stays out
//! of CI (`.ci/run` runs the tests only), which replay those inputs instead.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

use crate::Workspace;
use crate::cmd::{self, step};

/// Every target, in the order they run.
pub const TARGETS: [&str; 9] = [
    "wire_frame",
    "update_validator",
    "awareness",
    "csv_import",
    "json_import",
    "access",
    "rounds",
    "facilitation",
    "locks",
];

/// Seconds per target by default: the issue asks for at least ten minutes each.
const DEFAULT_SECS: u64 = 600;
/// Longest a single input may run before libFuzzer calls it a hang, in seconds.
const INPUT_TIMEOUT_SECS: u64 = 25;
/// Memory a target may use before libFuzzer calls it a leak or an allocation bomb, in MB.
const RSS_LIMIT_MB: u64 = 4096;

/// One target's run.
struct Run {
    target: &'static str,
    secs: f64,
    execs: Option<u64>,
    crashes: Vec<PathBuf>,
}

pub fn run(ws: &Workspace, args: &[String]) -> anyhow::Result<()> {
    let (secs, targets) = parse(args)?;
    ensure_nightly()?;
    ensure_cargo_fuzz()?;
    let fuzz_dir = ws.root.join("shared").join("fuzz");
    seed(&fuzz_dir, &targets)?;
    let mut runs = Vec::new();
    for target in targets {
        runs.push(fuzz(&fuzz_dir, target, secs)?);
    }
    println!(
        "\n{:<18} {:>8} {:>14} {:>10} {:>8}",
        "target", "seconds", "inputs", "inputs/s", "crashes"
    );
    for run in &runs {
        let execs = run.execs.map_or("?".to_owned(), |e| e.to_string());
        let rate = run.execs.map_or("?".to_owned(), |e| {
            format!("{:.0}", e as f64 / run.secs.max(1.0))
        });
        println!(
            "{:<18} {:>8.0} {:>14} {:>10} {:>8}",
            run.target,
            run.secs,
            execs,
            rate,
            run.crashes.len()
        );
    }
    let crashes: Vec<&PathBuf> = runs.iter().flat_map(|r| &r.crashes).collect();
    if !crashes.is_empty() {
        for crash in &crashes {
            eprintln!("crash input: {}", crash.display());
        }
        bail!("{} crash(es) found (inputs listed above)", crashes.len());
    }
    Ok(())
}

fn parse(args: &[String]) -> anyhow::Result<(u64, Vec<&'static str>)> {
    let mut secs = DEFAULT_SECS;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secs" => {
                let value = args.next().context("--secs needs a number of seconds")?;
                secs = value
                    .parse()
                    .with_context(|| format!("--secs {value:?} is not a number of seconds"))?;
            }
            other => match TARGETS.iter().find(|t| **t == other) {
                Some(target) => targets.push(*target),
                None => bail!(
                    "unknown fuzz target {other:?}: use one of {}",
                    TARGETS.join(", ")
                ),
            },
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    Ok((secs, targets))
}

/// `cargo` through rustup's proxy, so that `+nightly` picks the toolchain.
fn rustup_cargo() -> Command {
    let mut command = Command::new("cargo");
    // Set by the stable cargo that runs xtask; it would override `+nightly`.
    command.env_remove("RUSTUP_TOOLCHAIN").env_remove("CARGO");
    command
}

fn ensure_nightly() -> anyhow::Result<()> {
    let toolchains = cmd::output(Command::new("rustup").args(["toolchain", "list"]))?;
    if toolchains.lines().any(|l| l.starts_with("nightly")) {
        return Ok(());
    }
    step("installing the nightly toolchain (cargo fuzz needs it)...");
    cmd::run(Command::new("rustup").args([
        "toolchain",
        "install",
        "nightly",
        "--profile",
        "minimal",
    ]))
}

fn ensure_cargo_fuzz() -> anyhow::Result<()> {
    if rustup_cargo()
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(());
    }
    step("installing cargo-fuzz...");
    // `--locked` can fail on some registry mirrors; the crate's own bounds are enough.
    cmd::run(rustup_cargo().args(["install", "cargo-fuzz"]))
}

/// Writes seed inputs for targets whose corpus is empty.
fn seed(fuzz_dir: &Path, targets: &[&str]) -> anyhow::Result<()> {
    let corpus = fuzz_dir.join("corpus");
    let empty =
        |t: &&str| std::fs::read_dir(corpus.join(t)).map_or(true, |mut d| d.next().is_none());
    if !targets.iter().any(empty) {
        return Ok(());
    }
    step("writing seed inputs...");
    cmd::run(
        rustup_cargo()
            .current_dir(fuzz_dir)
            .args(["+nightly", "run", "--release", "--example", "seeds", "--"])
            .arg(&corpus),
    )
}

/// Runs one target for `secs` seconds, echoing libFuzzer's progress, and reads its totals.
fn fuzz(fuzz_dir: &Path, target: &'static str, secs: u64) -> anyhow::Result<Run> {
    step(&format!("fuzzing {target} for {secs} s..."));
    let artifacts = fuzz_dir.join("artifacts").join(target);
    let before = files(&artifacts);
    let mut command = rustup_cargo();
    command
        .current_dir(fuzz_dir)
        .args(["+nightly", "fuzz", "run", "--release", target])
        .arg(fuzz_dir.join("corpus").join(target))
        .arg("--")
        .arg(format!("-max_total_time={secs}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECS}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg("-print_final_stats=1")
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped());
    let dict = fuzz_dir.join(format!("{target}.dict"));
    if dict.exists() {
        command.arg(format!("-dict={}", dict.display()));
    }
    eprintln!("$ {}", cmd::describe(&command));
    let started = Instant::now();
    let mut child = command.spawn().context("could not start cargo fuzz")?;
    let stderr = child.stderr.take().context("no stderr")?;
    let mut execs = None;
    for line in BufReader::new(stderr).lines() {
        let line = line?;
        if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
            execs = n.trim().parse().ok();
        }
        // libFuzzer's progress lines double in spacing; show them all, they are few.
        eprintln!("{line}");
    }
    let status = child.wait()?;
    let crashes: Vec<PathBuf> = files(&artifacts)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    if !status.success() && crashes.is_empty() {
        bail!("cargo fuzz run {target} failed ({status}) without leaving a crash input");
    }
    Ok(Run {
        target,
        secs: started.elapsed().as_secs_f64(),
        execs,
        crashes,
    })
}

fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}
