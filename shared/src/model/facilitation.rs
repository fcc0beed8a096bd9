//! Facilitation in the document: the public state ([`Public`]: facilitator, history, agenda,
//! timer, private writing on or off) and the locks, written by the server only and read by
//! everyone. Like round results, each field is one JSON string value, replaced whole and only
//! when it changed (a paused timer rewrites the timer, not the history); a value that does
//! not parse (a newer server's, or garbage) reads as absent, never a panic.

use std::collections::BTreeMap;

use yrs::{Any, Map, Out, ReadTxn, TransactionMut};

use super::{Board, keys};
use crate::facilitation::{HISTORY_IN_DOC, Lock, Public};

impl Board {
    /// Writes the public facilitation state, field by field, where it differs.
    pub fn write_facilitation(&self, txn: &mut TransactionMut, state: &Public) {
        let history = &state.history[state.history.len().saturating_sub(HISTORY_IN_DOC)..];
        let fields: [(&str, Option<String>); 6] = [
            (keys::FACILITATOR, json_opt(state.facilitator.as_ref())),
            (keys::HISTORY, (!history.is_empty()).then(|| json(&history))),
            (keys::AGENDA, json_opt(Some(&state.agenda))),
            (keys::TIMER, json_opt(state.timer.as_ref())),
            (keys::PRIVATE, json_opt(state.private.as_ref())),
            (
                keys::BALANCE_PUBLIC,
                state.balance_public.then(|| json(&true)),
            ),
        ];
        for (key, want) in fields {
            let have = match self.facilitation.get(txn, key) {
                Some(Out::Any(Any::String(s))) => Some(s.to_string()),
                _ => None,
            };
            match want {
                Some(want) if have.as_deref() != Some(want.as_str()) => {
                    self.facilitation.insert(txn, key, want);
                }
                None if self.facilitation.get(txn, key).is_some() => {
                    self.facilitation.remove(txn, key);
                }
                _ => {}
            }
        }
    }

    /// The public facilitation state as the document holds it.
    pub fn facilitation<T: ReadTxn>(&self, txn: &T) -> Public {
        let map = &self.facilitation;
        Public {
            facilitator: parse(txn, map, keys::FACILITATOR),
            history: parse(txn, map, keys::HISTORY).unwrap_or_default(),
            agenda: parse(txn, map, keys::AGENDA).unwrap_or_default(),
            timer: parse(txn, map, keys::TIMER),
            private: parse(txn, map, keys::PRIVATE),
            balance_public: parse(txn, map, keys::BALANCE_PUBLIC).unwrap_or(false),
        }
    }

    /// Makes the `locks` map exactly `locks` (item id -> lock).
    pub fn write_locks(&self, txn: &mut TransactionMut, locks: &BTreeMap<String, Lock>) {
        let stale: Vec<String> = self
            .locks
            .keys(txn)
            .filter(|k| !locks.contains_key(*k))
            .map(str::to_owned)
            .collect();
        for key in stale {
            self.locks.remove(txn, &key);
        }
        for (id, lock) in locks {
            let want = json(lock);
            let same =
                matches!(self.locks.get(txn, id), Some(Out::Any(Any::String(s))) if *s == *want);
            if !same {
                self.locks.insert(txn, id.as_str(), want);
            }
        }
    }

    /// The locked items, by id.
    pub fn locks<T: ReadTxn>(&self, txn: &T) -> BTreeMap<String, Lock> {
        crate::sort::map_of(self.locks.iter(txn).filter_map(|(id, v)| match v {
            Out::Any(Any::String(s)) => Some((id.to_owned(), crate::json::from_str(&s).ok()?)),
            _ => None,
        }))
    }

    /// The root maps only the server writes for facilitation (watched like the results).
    pub fn facilitation_roots(&self) -> [&yrs::MapRef; 2] {
        [&self.facilitation, &self.locks]
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    txn: &impl ReadTxn,
    map: &yrs::MapRef,
    key: &str,
) -> Option<T> {
    match map.get(txn, key) {
        Some(Out::Any(Any::String(s))) => crate::json::from_str(&s).ok(),
        _ => None,
    }
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    // Plain structs of strings, numbers and lists always serialise.
    serde_json::to_string(value).unwrap_or_default()
}

fn json_opt<T: serde::Serialize>(value: Option<&T>) -> Option<String> {
    value.map(json)
}
