//! Command-line options of the load scenarios (scenario names are handled by `main`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

/// Options after the scenario names, e.g. `bench w1 w3 --secs 30 --full --compare`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--secs N`: how long each load scenario sends, instead of its default.
    pub secs: Option<u64>,
    /// `--full`: W3 at the full scale (1,000 boards x 5 clients) instead of 200 x 5.
    pub full: bool,
    /// `--clients N`: W2's room at N participants instead of 500 (to find where a 2-core
    /// machine's generator or server saturates), W1's (and W7's) at N instead of 50 (cursor
    /// latency in small rooms).
    pub clients: Option<usize>,
    /// `--no-pin`: do not pin the server and the generator to different cores.
    pub no_pin: bool,
    /// `--server huddle|y-websocket|y-sweet|relay[,...]` (default huddle), or `--compare` for
    /// Huddle, y-websocket and y-sweet in turn; `--baseline-bin` adds
    /// [`ServerKind::HuddleBaseline`] right after Huddle.
    pub servers: Vec<ServerKind>,
    /// `--baseline-bin PATH`: a previous release's `huddle`, run beside the current one in the
    /// same invocation (issue 11: the new checks must cost at most 10%).
    pub baseline_bin: Option<PathBuf>,
    /// `--huddle-arg ARG` (repeatable): passed to the current `huddle serve` only, never to the
    /// baseline, which may not know the flag (a later release's limits, for instance).
    pub huddle_args: Vec<String>,
}

/// The server a load scenario runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    Huddle,
    /// Huddle again, from the binary of `--baseline-bin` (a previous release): the same
    /// seeding, checks and measures as Huddle, without the admin key older releases lack.
    HuddleBaseline,
    /// npm `y-websocket@1.5.4`'s `bin/server.js` with LevelDB persistence (`tests/bench-servers`).
    YWebsocket,
    /// y-sweet 0.9.1 (Rust, yrs) with its filesystem store (`cargo install`ed on first use).
    YSweet,
    /// The null relay ([`relay`](super::relay)): a baseline, not a competitor.
    Relay,
    /// npm `@hocuspocus/server@2.15.3`, in memory (`tests/bench-servers/hocuspocus.mjs`); not
    /// part of `--compare` (it keeps nothing on disk, so W4, W6 and W8 do not apply).
    Hocuspocus,
    /// The binary under test as a cluster: Redis and three nodes on the server's cores, the
    /// clients of each board spread over the nodes (issue 15). Not part of `--compare`.
    HuddleCluster,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Huddle => "huddle",
            ServerKind::HuddleBaseline => "huddle-baseline",
            ServerKind::YWebsocket => "y-websocket",
            ServerKind::YSweet => "y-sweet",
            ServerKind::Relay => "relay",
            ServerKind::Hocuspocus => "hocuspocus",
            ServerKind::HuddleCluster => "huddle-cluster",
        }
    }

    /// Either Huddle binary: what Huddle has and the others lack (boards seeded on disk,
    /// "saved", `/metrics`, a clean exit on SIGTERM) holds for both.
    pub fn is_huddle(self) -> bool {
        matches!(
            self,
            ServerKind::Huddle | ServerKind::HuddleBaseline | ServerKind::HuddleCluster
        )
    }

    /// Every server a scenario can run against, in the order `--compare` runs them.
    pub const ALL: [ServerKind; 3] = [
        ServerKind::Huddle,
        ServerKind::YWebsocket,
        ServerKind::YSweet,
    ];

    /// One name, or several separated by commas (`--server huddle,y-sweet`).
    fn parse_list(value: &str) -> anyhow::Result<Vec<ServerKind>> {
        value
            .split(',')
            .map(|name| match name.trim() {
                "huddle" => Ok(ServerKind::Huddle),
                "y-websocket" | "yws" => Ok(ServerKind::YWebsocket),
                "y-sweet" | "ysweet" => Ok(ServerKind::YSweet),
                "relay" => Ok(ServerKind::Relay),
                "hocuspocus" => Ok(ServerKind::Hocuspocus),
                "huddle-cluster" | "cluster" => Ok(ServerKind::HuddleCluster),
                other => bail!(
                    "--server {other:?}: known servers are huddle, huddle-cluster (three nodes on Redis), y-websocket, y-sweet, hocuspocus and relay (the null relay, a baseline)"
                ),
            })
            .collect()
    }
}

impl Options {
    /// Splits `args` into scenario names and options.
    pub fn parse(args: &[String]) -> anyhow::Result<(Vec<String>, Options)> {
        let mut names = Vec::new();
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--secs" => {
                    let value = args.next().context("--secs needs a number of seconds")?;
                    options.secs = Some(parse_secs(value)?);
                }
                s if s.starts_with("--secs=") => {
                    options.secs = Some(parse_secs(&s["--secs=".len()..])?)
                }
                "--server" => {
                    let value = args.next().context(
                        "--server needs huddle, y-websocket, y-sweet, hocuspocus or relay",
                    )?;
                    options.servers = ServerKind::parse_list(value)?;
                }
                s if s.starts_with("--server=") => {
                    options.servers = ServerKind::parse_list(&s["--server=".len()..])?
                }
                "--compare" => options.servers = ServerKind::ALL.to_vec(),
                "--clients" => {
                    let value = args.next().context("--clients needs a number")?;
                    let n: usize = value
                        .parse()
                        .with_context(|| format!("--clients {value:?} is not a whole number"))?;
                    if !(2..=5000).contains(&n) {
                        bail!("--clients must be between 2 and 5000");
                    }
                    options.clients = Some(n);
                }
                "--baseline-bin" => {
                    let value = args
                        .next()
                        .context("--baseline-bin needs the path of a huddle binary")?;
                    options.baseline_bin = Some(baseline_bin(value)?);
                }
                s if s.starts_with("--baseline-bin=") => {
                    options.baseline_bin = Some(baseline_bin(&s["--baseline-bin=".len()..])?)
                }
                "--huddle-arg" => {
                    let value = args
                        .next()
                        .context("--huddle-arg needs a flag for huddle serve")?;
                    options.huddle_args.push(value.clone());
                }
                s if s.starts_with("--huddle-arg=") => options
                    .huddle_args
                    .push(s["--huddle-arg=".len()..].to_owned()),
                "--full" => options.full = true,
                "--no-pin" => options.no_pin = true,
                s if s.starts_with('-') => {
                    bail!(
                        "unknown option {s:?}; known: --secs N, --full, --clients N, --no-pin, --server huddle|y-websocket|y-sweet|hocuspocus|relay[,...], --compare, --baseline-bin PATH, --huddle-arg ARG"
                    )
                }
                name => names.push(name.to_owned()),
            }
        }
        if options.servers.is_empty() {
            options.servers = vec![ServerKind::Huddle];
        }
        if options.baseline_bin.is_some() {
            // Right after the current Huddle, so the two run back to back.
            let Some(at) = options
                .servers
                .iter()
                .position(|&k| k == ServerKind::Huddle)
            else {
                bail!("--baseline-bin compares with the current huddle: keep huddle in --server");
            };
            options.servers.insert(at + 1, ServerKind::HuddleBaseline);
        }
        Ok((names, options))
    }

    /// The sending window of a scenario: `--secs` if given, else the scenario's default.
    pub fn duration(&self, default: Duration) -> Duration {
        self.secs.map_or(default, Duration::from_secs)
    }
}

/// The baseline binary's path, which must be a file (checked now, not minutes into a run).
fn baseline_bin(value: &str) -> anyhow::Result<PathBuf> {
    let path = PathBuf::from(value);
    if !path.is_file() {
        bail!("--baseline-bin {value:?}: no such file");
    }
    Ok(path)
}

fn parse_secs(value: &str) -> anyhow::Result<u64> {
    let secs: u64 = value
        .parse()
        .with_context(|| format!("--secs {value:?} is not a whole number"))?;
    if secs == 0 || secs > 3600 {
        bail!("--secs must be between 1 and 3600");
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<(Vec<String>, Options)> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        Options::parse(&args)
    }

    #[test]
    fn the_baseline_runs_right_after_huddle() {
        let bin = std::env::current_exe().expect("the test binary");
        let bin = bin.to_str().expect("a UTF-8 path");
        let (names, o) = parse(&["w1", "--baseline-bin", bin, "--compare"]).unwrap();
        assert_eq!(names, ["w1"]);
        assert_eq!(
            o.servers,
            [
                ServerKind::Huddle,
                ServerKind::HuddleBaseline,
                ServerKind::YWebsocket,
                ServerKind::YSweet
            ]
        );
        assert_eq!(o.baseline_bin.as_deref(), Some(std::path::Path::new(bin)));
        let flag = format!("--baseline-bin={bin}");
        let (_, o) = parse(&["w4", &flag]).unwrap();
        assert_eq!(o.servers, [ServerKind::Huddle, ServerKind::HuddleBaseline]);
        assert!(o.servers.iter().all(|k| k.is_huddle()));
    }

    #[test]
    fn a_baseline_needs_a_file_and_the_current_huddle() {
        assert!(parse(&["w1", "--baseline-bin", "/no/such/huddle"]).is_err());
        let bin = std::env::current_exe().expect("the test binary");
        let bin = bin.to_str().expect("a UTF-8 path");
        assert!(parse(&["w1", "--server", "y-websocket", "--baseline-bin", bin]).is_err());
        assert!(parse(&["w1", "--baseline-bin"]).is_err());
    }

    #[test]
    fn huddle_args_are_kept_verbatim_and_in_order() {
        let (names, o) = parse(&[
            "w3",
            "--huddle-arg",
            "--idle-unload-secs",
            "--huddle-arg=60",
            "--full",
            "--huddle-arg=--ping-interval-secs=20",
        ])
        .unwrap();
        assert_eq!(names, ["w3"]);
        assert_eq!(
            o.huddle_args,
            ["--idle-unload-secs", "60", "--ping-interval-secs=20"]
        );
        assert!(o.full);
        assert_eq!(o.servers, [ServerKind::Huddle]);
    }
}
