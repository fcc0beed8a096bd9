//! CPU and memory of a process from `/proc`: the server's, sampled every second while a
//! scenario runs, and the generator's own (to see whether the generator was the bottleneck).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the background sampler reads `/proc`: the issue asks for every second.
const PERIOD: Duration = Duration::from_secs(1);

/// CPU time (user + system) and resident memory of a process at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub at: Instant,
    /// Clock ticks (`utime + stime`).
    pub cpu_ticks: u64,
    pub rss_kib: u64,
    /// Threads of the process: a runtime's blocking pool grows under a burst of blocking
    /// calls, and every thread keeps a stack (and perhaps a malloc arena) in the RSS.
    pub threads: u64,
}

/// Reads `/proc/PID/stat` and `/proc/PID/status`; `None` if the process is gone.
pub fn read(pid: u32) -> Option<Reading> {
    let at = Instant::now();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(Reading {
        at,
        cpu_ticks: utime + stime,
        rss_kib: field("VmRSS:")?,
        threads: field("Threads:").unwrap_or(0),
    })
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux this runs on).
pub fn ticks_per_sec() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// Cores used between two readings (1.0 = one core fully busy).
pub fn cores_between(a: &Reading, b: &Reading, ticks_per_sec: f64) -> f64 {
    let secs = b.at.duration_since(a.at).as_secs_f64();
    if secs <= 0.0 {
        return 0.0;
    }
    b.cpu_ticks.saturating_sub(a.cpu_ticks) as f64 / ticks_per_sec / secs
}

/// A thread reading a process every [`PERIOD`] until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Reading>>,
}

impl Sampler {
    pub fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut readings = Vec::new();
                while !stop.load(Relaxed) {
                    match read(pid) {
                        Some(r) => readings.push(r),
                        None => break,
                    }
                    // Sleep in small steps so that stopping is prompt.
                    let until = Instant::now() + PERIOD;
                    while Instant::now() < until && !stop.load(Relaxed) {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
                readings
            })
        };
        Sampler { stop, thread }
    }

    pub fn stop(self) -> Vec<Reading> {
        self.stop.store(true, Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Peak one-second CPU (cores) and peak RSS of the readings taken in `[from, to]`.
pub fn peaks(readings: &[Reading], from: Instant, to: Instant, tps: f64) -> (f64, u64) {
    let inside: Vec<&Reading> = readings
        .iter()
        .filter(|r| r.at >= from && r.at <= to)
        .collect();
    let cpu = inside
        .windows(2)
        .map(|w| cores_between(w[0], w[1], tps))
        .fold(0.0, f64::max);
    let rss = inside.iter().map(|r| r.rss_kib).max().unwrap_or(0);
    (cpu, rss)
}
