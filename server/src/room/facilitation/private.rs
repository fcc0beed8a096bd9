//! Private writing. (Being built: every command is refused for now.)

use huddle_shared::facilitation::PrivateNote;

use super::{Refusal, Sender};
use crate::room::Room;
use crate::store::{Store, StoreError};

const NOT_YET: &str = "private writing is not built yet";

/// Private notes held by the room.
pub(in crate::room) struct PrivateState {}

impl PrivateState {
    pub(super) fn load(_store: &Store, _board: &str) -> Result<PrivateState, StoreError> {
        Ok(PrivateState {})
    }
}

impl Room {
    pub(super) fn private_hello(&mut self, _from: &Sender) {}
    pub(super) fn private_start(&mut self, _from: &Sender) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn private_end(&mut self, _from: &Sender) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn private_put(
        &mut self,
        _from: &Sender,
        _note: PrivateNote,
    ) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn private_delete(&mut self, _from: &Sender, _id: &str) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
}
