//! Pinning the server and the load generator to different cores with `taskset` (util-linux),
//! so that neither steals the other's CPU and the server's figures are its own.
//!
//! The server is started under `taskset -c` (see [`server`](super::server)), so it sizes its
//! runtime for the core it has. The generator pins itself (`taskset -a -p`, all threads)
//! before building its runtime, sized for the cores left, and gets its own affinity back when
//! the scenario ends.

use std::process::Command;

/// Which cores the server and the generator use, or why they are not pinned.
#[derive(Debug, Clone)]
pub struct Pinning {
    /// `Some((server cores, generator cores))` as taskset lists, e.g. `("0", "1")`.
    cores: Option<(String, String)>,
    /// The generator's affinity before pinning, restored afterwards.
    original: String,
    /// Cores the generator may use (sizes its runtime).
    generator_cores: usize,
    why_not: String,
}

impl Pinning {
    /// Plans pinning: the first allowed core for the server, the others for the generator.
    pub fn plan(enabled: bool) -> Pinning {
        let original = allowed_cpus().unwrap_or_default();
        let cpus = parse_list(&original);
        let all = cpus.len().max(1);
        let unpinned = |why: &str| Pinning {
            cores: None,
            original: original.clone(),
            generator_cores: all,
            why_not: why.to_owned(),
        };
        if !enabled {
            return unpinned("not pinned (--no-pin)");
        }
        if cpus.len() < 2 {
            return unpinned("not pinned: fewer than 2 cores available");
        }
        if !taskset_works() {
            return unpinned("not pinned: `taskset` (util-linux) is not available");
        }
        let rest: Vec<String> = cpus[1..].iter().map(usize::to_string).collect();
        Pinning {
            cores: Some((cpus[0].to_string(), rest.join(","))),
            original,
            generator_cores: all - 1,
            why_not: String::new(),
        }
    }

    /// Pins this process (the generator), before its runtime's threads exist.
    pub fn pin_generator(&self) -> anyhow::Result<()> {
        match &self.cores {
            Some((_, generator)) => taskset(generator, std::process::id()),
            None => Ok(()),
        }
    }

    /// The server's cores as a `taskset -c` list, if it is pinned.
    pub fn server_cores(&self) -> Option<&str> {
        self.cores.as_ref().map(|(server, _)| server.as_str())
    }

    /// The command prefix that starts a server on its cores (`taskset -c LIST`), or nothing.
    pub fn server_wrapper(&self) -> Vec<&str> {
        match self.server_cores() {
            Some(cores) => vec!["taskset", "-c", cores],
            None => Vec::new(),
        }
    }

    /// Gives the generator its original affinity back (other scenarios run unpinned).
    pub fn restore(&self) {
        if self.cores.is_some() && !self.original.is_empty() {
            let _ = taskset(&self.original, std::process::id());
        }
    }

    pub fn generator_cores(&self) -> usize {
        self.generator_cores
    }

    /// One line for the report.
    pub fn describe(&self) -> String {
        match &self.cores {
            Some((server, generator)) => format!(
                "server started pinned to core {server} (taskset -c), load generator pinned to core(s) {generator} (taskset -a -p)"
            ),
            None => self.why_not.clone(),
        }
    }
}

fn taskset(cpus: &str, pid: u32) -> anyhow::Result<()> {
    let out = Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .output()?;
    if !out.status.success() {
        anyhow::bail!(
            "taskset -a -p -c {cpus} {pid} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn taskset_works() -> bool {
    Command::new("taskset")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `Cpus_allowed_list` of this process, e.g. `0-1`.
fn allowed_cpus() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(|l| l.trim().to_owned())
}

/// `0-2,5` -> `[0, 1, 2, 5]`; anything unparsable is skipped.
fn parse_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    cpus.extend(a..=b);
                }
            }
            None => cpus.extend(part.parse::<usize>().ok()),
        }
    }
    cpus
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_lists() {
        assert_eq!(super::parse_list("0-2,5"), vec![0, 1, 2, 5]);
        assert_eq!(super::parse_list("3"), vec![3]);
        assert!(super::parse_list("").is_empty());
    }
}
