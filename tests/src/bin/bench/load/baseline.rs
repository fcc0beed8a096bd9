//! The current Huddle against a previous release (`--baseline-bin`), run in the same
//! invocation: the machine is shared and noisy, so the two are compared as a ratio measured
//! minutes apart, never against figures from another day.
//!
//! Issue 11 put role checks on the join path (who the person is, their role on the board) and
//! a gate on every message in the room, and gives them 10%: note-move p99, memory per idle
//! connection and join time must stay within [`BUDGET`] times the previous release's. The
//! table shows current / baseline for those three, with the verdict, and for figures shown
//! beside them without a budget (p50, CPU, RSS), which help read where a cost went.

use super::options::ServerKind;
use super::report::Row;

/// Issue 11's budget: current / baseline at most this, on each budgeted figure.
pub const BUDGET: f64 = 1.10;

/// One figure of both binaries.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub what: &'static str,
    pub unit: &'static str,
    pub current: f64,
    pub baseline: f64,
    /// One of issue 11's three (a verdict), or shown for context only.
    pub budgeted: bool,
}

impl Figure {
    fn ratio(&self) -> Option<f64> {
        (self.baseline > 0.0).then(|| self.current / self.baseline)
    }

    /// `Some(true)` within the budget, `Some(false)` over it, `None` without a budget (or
    /// without a baseline figure to divide by).
    pub fn within_budget(&self) -> Option<bool> {
        self.budgeted
            .then(|| self.ratio().map(|r| r <= BUDGET))
            .flatten()
    }
}

/// The figures of a load scenario's two Huddle rows (`None` unless both ran).
pub fn run_figures(rows: &[Row]) -> Option<(Vec<Figure>, bool)> {
    let current = rows.iter().find(|r| r.server == ServerKind::Huddle)?;
    let baseline = rows
        .iter()
        .find(|r| r.server == ServerKind::HuddleBaseline)?;
    let figure = |what, unit, current, baseline, budgeted| Figure {
        what,
        unit,
        current,
        baseline,
        budgeted,
    };
    let mib = |kib: u64| kib as f64 / 1024.0;
    let mut figures = vec![
        figure(
            "note moves p50",
            "ms",
            current.edits.p50,
            baseline.edits.p50,
            false,
        ),
        figure(
            "note moves p99",
            "ms",
            current.edits.p99,
            baseline.edits.p99,
            true,
        ),
        figure(
            "server CPU while sending (mean)",
            "cores",
            current.cpu_mean,
            baseline.cpu_mean,
            false,
        ),
        figure(
            "server RSS peak while sending",
            "MiB",
            mib(current.rss_peak_kib),
            mib(baseline.rss_peak_kib),
            false,
        ),
    ];
    if let (Some(c), Some(b)) = (current.idle_kib_per_conn, baseline.idle_kib_per_conn) {
        figures.push(figure("memory per idle connection", "KiB", c, b, true));
    }
    if let (Some(c), Some(b)) = (current.join_waves_secs, baseline.join_waves_secs) {
        // Join time is W4's budget; these waves include the generator's own work (each
        // client applies its board) on its one core: shown, not judged.
        figures.push(figure(
            "first wave of joins (a client per board, loading it), until all synced",
            "s",
            c.0,
            b.0,
            false,
        ));
        figures.push(figure(
            "second wave of joins (the other clients, boards loaded), until all synced",
            "s",
            c.1,
            b.1,
            false,
        ));
    }
    if let (Some(c), Some(b)) = (current.join_cpu_ms, baseline.join_cpu_ms) {
        figures.push(figure(
            "server CPU per join, first wave (loads the board)",
            "ms",
            c.0,
            b.0,
            false,
        ));
        figures.push(figure(
            "server CPU per join, second wave (board loaded)",
            "ms",
            c.1,
            b.1,
            false,
        ));
    }
    if let (Some(c), Some(b)) = (current.rss_all_kib, baseline.rss_all_kib) {
        figures.push(figure(
            "server RSS with every client connected",
            "MiB",
            mib(c),
            mib(b),
            false,
        ));
    }
    Some((figures, current.passed && baseline.passed))
}

/// W4's medians of one binary (ms): each join from connecting until the whole board was
/// received, and its WebSocket upgrade alone (where the role check runs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Joins {
    pub first: f64,
    pub first_upgrade: f64,
    pub second: f64,
    pub second_upgrade: f64,
}

/// W4's figures of both binaries: the joins have the budget, their upgrades are shown.
pub fn join_figures(current: Joins, baseline: Joins) -> Vec<Figure> {
    let figure = |what, current, baseline, budgeted| Figure {
        what,
        unit: "ms",
        current,
        baseline,
        budgeted,
    };
    vec![
        figure(
            "first join (loads the board from disk), connect -> whole board received",
            current.first,
            baseline.first,
            true,
        ),
        figure(
            "second join (board loaded), connect -> whole board received",
            current.second,
            baseline.second,
            true,
        ),
        figure(
            "first join's WebSocket upgrade (the role check is in it)",
            current.first_upgrade,
            baseline.first_upgrade,
            false,
        ),
        figure(
            "second join's WebSocket upgrade",
            current.second_upgrade,
            baseline.second_upgrade,
            false,
        ),
    ]
}

/// Prints the table and the verdict of `figures` for scenario `name`.
pub fn print(name: &str, figures: &[Figure], checks_passed: bool) {
    // A blank line first: the side-by-side table above may end without one.
    println!(
        "\n### {name}: huddle against huddle-baseline (the previous release), issue 11's budget\n"
    );
    println!(
        "| figure | huddle | huddle-baseline | huddle / baseline | issue 11's budget (at most {BUDGET:.2}x) |"
    );
    println!("|---|---|---|---|---|");
    for f in figures {
        let ratio = f
            .ratio()
            .map_or("n/a".to_owned(), |r| format!("**{r:.2}**"));
        let verdict = match f.within_budget() {
            Some(true) => "meets",
            Some(false) => "**MISSES**",
            None if f.budgeted => "n/a (no baseline figure)",
            None => "(no budget: shown for context)",
        };
        println!(
            "| {} | {:.2} {} | {:.2} {} | {ratio} | {verdict} |",
            f.what, f.current, f.unit, f.baseline, f.unit
        );
    }
    let over: Vec<String> = figures
        .iter()
        .filter(|f| f.within_budget() == Some(false))
        .map(|f| format!("{} {:.2}x", f.what, f.ratio().unwrap_or(f64::NAN)))
        .collect();
    let budgeted = figures.iter().filter(|f| f.budgeted).count();
    if over.is_empty() {
        println!("\n- issue 11's budget: **meets** on all {budgeted} budgeted figure(s)");
    } else {
        println!(
            "\n- issue 11's budget: **MISSES** on {} of {budgeted}: {} (one run on a shared machine: run it again before reading a cause into it)",
            over.len(),
            over.join(", ")
        );
    }
    if !checks_passed {
        println!("- one of the two runs FAILED its checks (above): its figures are not comparable");
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::super::latency::Summary;
    use super::*;

    fn row(server: ServerKind, p99: f64, idle: Option<f64>) -> Row {
        Row {
            server,
            edits: Summary {
                count: 100,
                p50: 1.0,
                p95: 2.0,
                p99,
                max: 9.0,
            },
            expected: 100,
            missing: 0,
            passed: true,
            cpu_mean: 0.2,
            rss_peak_kib: 40 * 1024,
            generator_cpu: 0.5,
            idle_kib_per_conn: idle,
            rss_all_kib: idle.map(|_| 600 * 1024),
            join_waves_secs: idle.map(|_| (3.0, 4.0)),
            join_cpu_ms: idle.map(|_| (1.0, 0.5)),
        }
    }

    #[test]
    fn ten_percent_more_meets_and_more_than_that_misses() {
        let f = |current, budgeted| Figure {
            what: "x",
            unit: "ms",
            current,
            baseline: 2.0,
            budgeted,
        };
        assert_eq!(f(2.2, true).within_budget(), Some(true));
        assert_eq!(f(1.0, true).within_budget(), Some(true));
        assert_eq!(f(2.21, true).within_budget(), Some(false));
        assert_eq!(f(9.0, false).within_budget(), None);
        let no_baseline = Figure {
            baseline: 0.0,
            ..f(1.0, true)
        };
        assert_eq!(no_baseline.within_budget(), None);
    }

    #[test]
    fn the_budgeted_figures_of_a_run_are_p99_and_idle_memory() {
        let rows = [
            row(ServerKind::Huddle, 3.0, Some(23.0)),
            row(ServerKind::HuddleBaseline, 2.0, Some(22.0)),
        ];
        let (figures, passed) = run_figures(&rows).expect("both ran");
        assert!(passed);
        let budgeted: Vec<(&str, Option<bool>)> = figures
            .iter()
            .filter(|f| f.budgeted)
            .map(|f| (f.what, f.within_budget()))
            .collect();
        assert_eq!(
            budgeted,
            [
                ("note moves p99", Some(false)),
                ("memory per idle connection", Some(true))
            ]
        );
        // W1 has no idle-memory phase: p99 alone has a budget there.
        let w1 = [
            row(ServerKind::Huddle, 2.0, None),
            row(ServerKind::HuddleBaseline, 2.0, None),
        ];
        let (figures, _) = run_figures(&w1).expect("both ran");
        assert_eq!(figures.iter().filter(|f| f.budgeted).count(), 1);
        // Without the baseline's row there is nothing to compare.
        assert!(run_figures(&w1[..1]).is_none());
    }

    #[test]
    fn both_joins_have_a_budget_and_their_upgrades_are_shown() {
        let joins = |first, second| Joins {
            first,
            first_upgrade: 0.5,
            second,
            second_upgrade: 0.9,
        };
        let figures = join_figures(joins(13.0, 3.5), joins(12.0, 3.0));
        let verdicts: Vec<Option<bool>> = figures.iter().map(Figure::within_budget).collect();
        assert_eq!(verdicts, [Some(true), Some(false), None, None]);
    }
}
