//! The contribution balance. (Being built: nothing is counted yet.)

use super::{Refusal, Sender};
use crate::room::Room;

/// Who did what in the session.
#[derive(Default)]
pub(in crate::room) struct Balance {}

impl Room {
    pub(super) fn share_balance(&mut self, _from: &Sender, _everyone: bool) -> Result<(), Refusal> {
        Err("the contribution balance is not built yet".into())
    }
    pub(super) fn balance_hello(&mut self, _from: &Sender) {}
    pub(super) fn balance_tick(&mut self) {}
}
