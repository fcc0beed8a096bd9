//! Locks. (Being built: every command is refused for now.)

use std::collections::BTreeMap;

use huddle_shared::facilitation::Lock;

use super::{Refusal, Sender};
use crate::room::Room;

/// The room's locks and what it needs to check updates against them.
pub(in crate::room) struct LockState {}

impl LockState {
    pub(super) fn new(_locks: &BTreeMap<String, Lock>) -> LockState {
        LockState {}
    }
}

impl Room {
    pub(super) fn lock(
        &mut self,
        _from: &Sender,
        _items: Vec<String>,
        _placement: bool,
    ) -> Result<(), Refusal> {
        Err("locks are not built yet".into())
    }
    pub(super) fn unlock(&mut self, _from: &Sender, _items: Vec<String>) -> Result<(), Refusal> {
        Err("locks are not built yet".into())
    }
}
