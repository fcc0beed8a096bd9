//! Command-line options of the load scenarios (scenario names are handled by `main`).

use std::time::Duration;

use anyhow::{Context, bail};

/// Options after the scenario names, e.g. `bench w1 w3 --secs 30 --full`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--secs N`: how long each load scenario sends, instead of its default.
    pub secs: Option<u64>,
    /// `--full`: W3 at the full scale (1,000 boards x 5 clients) instead of 200 x 5.
    pub full: bool,
    /// `--no-pin`: do not pin the server and the generator to different cores.
    pub no_pin: bool,
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
                "--full" => options.full = true,
                "--no-pin" => options.no_pin = true,
                s if s.starts_with('-') => {
                    bail!("unknown option {s:?}; known: --secs N, --full, --no-pin")
                }
                name => names.push(name.to_owned()),
            }
        }
        Ok((names, options))
    }

    /// The sending window of a scenario: `--secs` if given, else the scenario's default.
    pub fn duration(&self, default: Duration) -> Duration {
        self.secs.map_or(default, Duration::from_secs)
    }
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
