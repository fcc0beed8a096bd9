//! The `vote` scenario (issue 12): a dot vote of 200 people on 100 notes while W1 runs in the
//! same room. Three runs back to back, each on a fresh server: W1 alone (the baseline), W1
//! with the 200 voters and the facilitator present but no round (what 200 more people in a
//! busy room cost by themselves), and W1 while they vote. Measured: each ballot's
//! acknowledgement (sent -> Ack, which the server sends once the ballot is on disk), the
//! reveal reaching everyone (Reveal sent -> the update carrying the result in the `rounds` map
//! received by every voter and every W1 client: what people see), and W1's note-move p99 in
//! each run, over the whole window and over the vote itself, as ratios.

use std::time::Duration;

use huddle_shared::rounds::DEFAULT_BUDGET;

use super::Session;
use super::driver::{self, Run};
use super::hot_room;
use super::latency::{Summary, micros_between};
use super::options::ServerKind;
use super::report::{self, Latencies};
use super::vote::Plan;

/// The vote: 200 people on 100 notes, three dots each.
const VOTERS: usize = 200;
const NOTES: usize = 100;
/// A first ballot and two changes of mind.
const CASTS: usize = 3;

pub fn run_vote(session: &mut Session) -> anyhow::Result<bool> {
    if session.server != ServerKind::Huddle {
        println!(
            "## vote against {}: skipped (rounds are Huddle's since issue 12)\n",
            session.server.name()
        );
        return Ok(true);
    }
    let plan = Plan {
        voters: VOTERS,
        notes: NOTES,
        budget: DEFAULT_BUDGET,
        casts: CASTS,
        voting: true,
    };
    let base = hot_room::w1(session);
    let mut alone = base.clone();
    alone.name = "vote";
    alone.title = "1 of 3, W1 alone (the baseline)";
    let mut present = alone.clone();
    present.title = "2 of 3, W1 with 200 voters and the facilitator present, no round";
    present.vote = Some(Plan {
        voting: false,
        ..plan
    });
    let mut voting = alone.clone();
    voting.title = "3 of 3, W1 while 200 voters cast 3 ballots each on 100 notes, then the reveal";
    voting.vote = Some(plan);
    let mut passed = true;
    let mut runs = Vec::new();
    let mut loads = Vec::new();
    for w in [alone, present, voting] {
        loads.push(load_average());
        let run = driver::run(&w, &session.pinning, session.server)?;
        let lat = report::print_run(&run);
        report::print_counters(&run);
        passed &= report::print_verdict(&run);
        passed &= present_ok(&run);
        runs.push((run, lat));
    }
    let [alone, present, voting] = &runs[..] else {
        unreachable!("three runs")
    };
    passed &= print_vote(alone, present, voting);
    println!(
        "- the machine's 1-minute load average at the start of each run: {} (2 cores; the previous run itself counts in the figures of runs 2 and 3, anything above about 1 is other work)\n",
        loads.join(", ")
    );
    Ok(passed)
}

/// The 1-minute load average (`/proc/loadavg`): the machine is shared, and a busy one shows
/// in every latency here.
pub(super) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// The voters of a run with them were all there to the end: none closed, none failed.
fn present_ok(run: &Run) -> bool {
    let Some(vote) = &run.vote else { return true };
    let mut problems: Vec<String> = vote
        .voters
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            v.error.clone().or(v
                .close
                .as_ref()
                .map(|c| format!("voter {i} was closed: {c:?}")))
        })
        .collect();
    let f = &vote.facilitator;
    problems.extend(f.error.clone());
    problems.extend(
        f.close
            .as_ref()
            .map(|c| format!("the facilitator was closed: {c:?}")),
    );
    if problems.is_empty() {
        return true;
    }
    println!(
        "**FAILED**: {} problem(s) among the vote's connections; first: {}\n",
        problems.len(),
        problems[0]
    );
    false
}

/// The vote's own figures and the note-move comparison; false if the vote went wrong.
fn print_vote(
    alone: &(Run, Latencies),
    present: &(Run, Latencies),
    voting: &(Run, Latencies),
) -> bool {
    let run = &voting.0;
    let Some(vote) = &run.vote else {
        println!("**FAILED**: the voting run has no vote outcome\n");
        return false;
    };
    let f = &vote.facilitator;
    let plan = vote.plan;
    let mut failures = Vec::new();
    println!("## vote: the ballots and the reveal (run 3)\n");

    let mut acks: Vec<u32> = vote
        .voters
        .iter()
        .flat_map(|v| v.ack_us.iter().copied())
        .collect();
    let acks = Summary::of(&mut acks);
    let refused: Vec<&String> = vote.voters.iter().flat_map(|v| &v.refused).collect();
    let planned = plan.voters * plan.casts;
    println!("| measure | samples | p50 | p95 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| ballot acknowledgement (Cast sent -> Ack, the ballot on disk) | {} |",
        acks.cells()
    );
    if acks.count != planned {
        failures.push(format!("{} of {planned} casts acknowledged", acks.count));
    }
    if let Some(first) = refused.first() {
        failures.push(format!("{} casts refused, first: {first}", refused.len()));
    }
    let Some(reveal) = f.reveal_sent_ns else {
        println!();
        failures.push(format!(
            "the round was not revealed (round {:?}, refused: {:?})",
            f.round, f.refused
        ));
        return print_failures(&failures);
    };
    let since = |at: Option<u64>| at.map(|at| micros_between(reveal, at));
    let mut at_voters: Vec<u32> = vote
        .voters
        .iter()
        .filter_map(|v| since(v.result_at_ns))
        .collect();
    let missing_voters = plan.voters - at_voters.len();
    let mut at_clients: Vec<u32> = run
        .outcomes
        .iter()
        .filter_map(|o| since(o.stats().results_at_ns))
        .collect();
    let missing_clients = run.outcomes.len() - at_clients.len();
    let mut everyone: Vec<u32> = at_voters.iter().chain(&at_clients).copied().collect();
    everyone.extend(since(f.result_at_ns));
    let mut closed: Vec<u32> = vote
        .voters
        .iter()
        .filter_map(|v| since(v.closed_at_ns))
        .collect();
    let everyone = Summary::of(&mut everyone);
    println!(
        "| the result in the board at each of the {} voters (Reveal sent -> the update in `rounds` received) | {} |",
        plan.voters,
        Summary::of(&mut at_voters).cells()
    );
    println!(
        "| ... at each of W1's {} clients | {} |",
        run.outcomes.len(),
        Summary::of(&mut at_clients).cells()
    );
    println!(
        "| ... at everyone (voters, W1's clients, the facilitator) | {} |",
        everyone.cells()
    );
    println!(
        "| the `Closed` event at each voter | {} |",
        Summary::of(&mut closed).cells()
    );
    println!();
    let ms = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2} ms", b.saturating_sub(a) as f64 / 1e6),
        _ => "never".into(),
    };
    println!(
        "- **reveal to everyone: {:.2} ms** (the last of {} receivers); the Reveal's own Ack: {}; the result at the facilitator: {}",
        everyone.max,
        everyone.count,
        ms(Some(reveal), f.reveal_acked_ns),
        ms(Some(reveal), f.result_at_ns)
    );
    if missing_voters + missing_clients > 0 {
        failures.push(format!(
            "the result never reached {missing_voters} voter(s) and {missing_clients} W1 client(s)"
        ));
    }
    let views: Vec<u64> = vote.voters.iter().filter_map(|v| v.view_at_ns).collect();
    println!(
        "- the round opened: Open -> Ack {}; its view reached {} of {} voters, the last {} after Open was sent",
        ms(f.open_sent_ns, f.open_acked_ns),
        views.len(),
        plan.voters,
        ms(f.open_sent_ns, views.iter().max().copied()),
    );
    if views.len() < plan.voters {
        failures.push(format!(
            "{} voter(s) never saw the round open",
            plan.voters - views.len()
        ));
    }
    let progress: u64 = vote.voters.iter().map(|v| v.progress_events).sum();
    println!(
        "- casts answered when Reveal was sent: {} of {planned}; progress events received: {progress} ({:.0} per voter)",
        f.answered_at_reveal,
        progress as f64 / plan.voters.max(1) as f64
    );
    match &f.result {
        Some(result) => {
            let dots: u64 = result.items.values().map(|i| u64::from(i.votes)).sum();
            let cast: u64 = vote.voters.iter().map(|v| v.last_dots).sum();
            let voted = vote.voters.iter().filter(|v| !v.ack_us.is_empty()).count();
            println!(
                "- the result: {dots} dots on {} notes from {} voters (the voters' last acknowledged ballots: {cast} dots from {voted})",
                result.items.values().filter(|i| i.votes > 0).count(),
                result.voters
            );
            if dots != cast || result.voters as usize != voted {
                failures.push("the result does not add up to the acknowledged ballots".into());
            }
        }
        None => failures.push("the facilitator never saw the result in the board".into()),
    }
    print_moves(
        alone,
        present,
        voting,
        f.open_sent_ns,
        reveal + (everyone.max * 1e6) as u64,
    );
    print_failures(&failures)
}

/// W1's note-move latency in the three runs: whole window, and over the vote itself (the
/// same offsets from the start of sending in every run).
fn print_moves(
    alone: &(Run, Latencies),
    present: &(Run, Latencies),
    voting: &(Run, Latencies),
    open: Option<u64>,
    done: u64,
) {
    let start = voting.0.start_ns;
    let from = Duration::from_nanos(open.unwrap_or(start).saturating_sub(start));
    let to = Duration::from_nanos(done.saturating_sub(start));
    println!(
        "\nW1's note moves, send -> receipt at every other W1 client; \"during the vote\": moves sent {:.1} s to {:.1} s into the window (Open sent to the result everywhere), the same span in each run:\n",
        from.as_secs_f64(),
        to.as_secs_f64()
    );
    println!(
        "| run | p50 | p99 | p99 during the vote | median of the per-second p99s | generator lag p99 | server CPU mean | generator CPU |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let rows = [
        ("W1 alone", alone),
        ("W1 + 200 present", present),
        ("W1 + 200 voting", voting),
    ];
    let (mut during, mut steady) = (Vec::new(), Vec::new());
    for (name, (run, lat)) in rows {
        let d = between(run, from, to);
        let m = median_second_p99(run);
        during.push(d.p99);
        steady.push(m);
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms | {m:.2} ms | {:.2} ms | {:.2} | {:.2} |",
            lat.edits.p50,
            lat.edits.p99,
            d.p99,
            run.generator_lag.p99,
            run.resources.server_cores_mean,
            run.resources.generator_cores_mean
        );
    }
    let ratio = |a: f64, b: f64| a / b.max(1e-9);
    println!(
        "\n- **note-move p99 with the vote / W1 alone: {:.2}x** (during the vote: {:.2}x; median of the per-second p99s: {:.2}x); with the vote / the 200 present: {:.2}x (during: {:.2}x; per-second median: {:.2}x); the 200 present / W1 alone: {:.2}x (per-second median: {:.2}x)",
        ratio(voting.1.edits.p99, alone.1.edits.p99),
        ratio(during[2], during[0]),
        ratio(steady[2], steady[0]),
        ratio(voting.1.edits.p99, present.1.edits.p99),
        ratio(during[2], during[1]),
        ratio(steady[2], steady[1]),
        ratio(present.1.edits.p99, alone.1.edits.p99),
        ratio(steady[1], steady[0]),
    );
    println!(
        "- the median of the per-second p99s is the figure least moved by a few seconds of other work on the shared machine (a burst shows in the generator's lag); the whole-window p99 is the issue's figure.\n"
    );
}

/// The median over the seconds of sending of each second's note-move p99 (by when the move
/// was sent): a tail that is steady counts, one burst of outside load does not.
pub(super) fn median_second_p99(run: &Run) -> f64 {
    let start_ms = run.start_ns / 1_000_000;
    let mut seconds: Vec<Vec<u32>> = Vec::new();
    for o in &run.outcomes {
        let s = o.stats();
        for (&latency, &sent_ms) in s.edit_latency_us.iter().zip(&s.edit_sent_ms) {
            let second = (u64::from(sent_ms).saturating_sub(start_ms) / 1000) as usize;
            if seconds.len() <= second {
                seconds.resize_with(second + 1, Vec::new);
            }
            seconds[second].push(latency);
        }
    }
    let mut p99s: Vec<f64> = seconds
        .iter_mut()
        .filter(|s| !s.is_empty())
        .map(|s| Summary::of(s).p99)
        .collect();
    if p99s.is_empty() {
        return 0.0;
    }
    p99s.sort_by(f64::total_cmp);
    p99s[p99s.len() / 2]
}

/// Note-move latencies of moves sent between `from` and `to` into the sending window.
fn between(run: &Run, from: Duration, to: Duration) -> Summary {
    let start_ms = run.start_ns / 1_000_000;
    let (from, to) = (from.as_millis() as u64, to.as_millis() as u64);
    let mut samples: Vec<u32> = Vec::new();
    for o in &run.outcomes {
        let s = o.stats();
        for (&latency, &sent_ms) in s.edit_latency_us.iter().zip(&s.edit_sent_ms) {
            let offset = u64::from(sent_ms).saturating_sub(start_ms);
            if (from..=to).contains(&offset) {
                samples.push(latency);
            }
        }
    }
    Summary::of(&mut samples)
}

fn print_failures(failures: &[String]) -> bool {
    if failures.is_empty() {
        println!(
            "- checks: every cast acknowledged, none refused; the result reached every voter and every W1 client and adds up to the acknowledged ballots.\n"
        );
        return true;
    }
    println!("\n**FAILED** (the vote):\n");
    for f in failures {
        println!("- {f}");
    }
    println!();
    false
}
