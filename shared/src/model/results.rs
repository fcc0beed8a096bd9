//! Round results and the decision log in the document: written by the server only (at a
//! reveal, a dissent, an accepted estimate, a recorded decision), read by everyone. Each entry
//! is one JSON string value, replaced whole, so a reader never sees half of one; entries that
//! do not parse (a newer server's, or garbage) are skipped, never a panic.

use std::collections::{BTreeMap, HashMap};

use yrs::{Any, Map, Out, ReadTxn, TransactionMut};

use super::Board;
use crate::rounds::{Decision, Kind, RoundResult, Status};

impl Board {
    /// Writes (or replaces) a round's result.
    pub fn write_round_result(&self, txn: &mut TransactionMut, result: &RoundResult) {
        let json = serde_json::to_string(result).unwrap_or_default();
        self.rounds.insert(txn, result.round.id.as_str(), json);
    }

    /// Appends a decision log entry (its id is its place in the log).
    pub fn write_decision(&self, txn: &mut TransactionMut, decision: &Decision) {
        let json = serde_json::to_string(decision).unwrap_or_default();
        self.decisions.insert(txn, decision.id.as_str(), json);
    }

    /// Every readable round result, by round id.
    pub fn round_results<T: ReadTxn>(&self, txn: &T) -> BTreeMap<String, RoundResult> {
        let entries = self.rounds.iter(txn);
        crate::sort::map_of(entries.filter_map(|(id, v)| Some((id.to_owned(), parse(&v)?))))
    }

    /// The decision log, oldest first.
    pub fn decisions<T: ReadTxn>(&self, txn: &T) -> Vec<Decision> {
        let mut log: Vec<Decision> = self
            .decisions
            .iter(txn)
            .filter_map(|(_, v)| parse(&v))
            .collect();
        crate::sort::sort_by(&mut log, |a, b| a.id.cmp(&b.id));
        log
    }

    /// Puts the `rounds` and `decisions` maps back to exactly `results` and `decisions`
    /// (the server's copy), removing any other entry: undoes what a client wrote there.
    pub fn reset_results(
        &self,
        txn: &mut TransactionMut,
        results: &[&RoundResult],
        decisions: &[Decision],
    ) {
        let want_rounds: BTreeMap<&str, String> = results
            .iter()
            .map(|r| {
                (
                    r.round.id.as_str(),
                    serde_json::to_string(r).unwrap_or_default(),
                )
            })
            .collect();
        let want_decisions: BTreeMap<&str, String> = decisions
            .iter()
            .map(|d| (d.id.as_str(), serde_json::to_string(d).unwrap_or_default()))
            .collect();
        for (map, want) in [
            (&self.rounds, want_rounds),
            (&self.decisions, want_decisions),
        ] {
            let extra: Vec<String> = map
                .keys(txn)
                .filter(|k| !want.contains_key(k))
                .map(str::to_owned)
                .collect();
            for key in extra {
                map.remove(txn, &key);
            }
            for (key, json) in want {
                let same =
                    matches!(map.get(txn, key), Some(Out::Any(Any::String(s))) if *s == *json);
                if !same {
                    map.insert(txn, key, json);
                }
            }
        }
    }

    /// The root maps the server alone writes, for its watch on them.
    pub fn results_roots(&self) -> [&yrs::MapRef; 2] {
        [&self.rounds, &self.decisions]
    }
}

fn parse<T: serde::de::DeserializeOwned>(value: &Out) -> Option<T> {
    match value {
        Out::Any(Any::String(s)) => crate::json::from_str(s).ok(),
        _ => None,
    }
}

/// Dots per item from each item's latest revealed dot vote (what the count badge shows and
/// "sort by votes" orders by).
pub fn votes(results: &BTreeMap<String, RoundResult>) -> HashMap<String, u32> {
    let mut latest: HashMap<&str, (u64, &str, u32)> = HashMap::new();
    for result in results.values() {
        let round = &result.round;
        if round.settings.kind != Kind::Dots || round.status != Status::Revealed {
            continue;
        }
        let at = round.closed_at.unwrap_or(round.opened_at);
        for (item, r) in &result.items {
            let newer = latest
                .get(item.as_str())
                .is_none_or(|(t, id, _)| (at, round.id.as_str()) > (*t, *id));
            if newer {
                latest.insert(item, (at, &round.id, r.votes));
            }
        }
    }
    latest
        .into_iter()
        .map(|(item, (_, _, n))| (item.to_owned(), n))
        .collect()
}

/// The latest revealed result of kind `kind` that includes `item`.
pub fn latest_result<'a>(
    results: &'a BTreeMap<String, RoundResult>,
    item: &str,
    kind: Kind,
) -> Option<&'a RoundResult> {
    results
        .values()
        .filter(|r| {
            r.round.settings.kind == kind
                && r.round.status == Status::Revealed
                && r.items.contains_key(item)
        })
        .max_by(|a, b| {
            let at = |r: &RoundResult| {
                (
                    r.round.closed_at.unwrap_or(r.round.opened_at),
                    r.round.id.clone(),
                )
            };
            at(a).cmp(&at(b))
        })
}
