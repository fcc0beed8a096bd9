//! The agenda and the server's timer. (Being built: every command is refused for now.)

use huddle_shared::facilitation::Step;

use super::{Refusal, Sender};
use crate::room::Room;

const NOT_YET: &str = "the agenda and timer are not built yet";

impl Room {
    pub(super) fn agenda_set(&mut self, _from: &Sender, _steps: Vec<Step>) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn agenda_start(&mut self, _from: &Sender, _step: usize) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn agenda_next(&mut self, _from: &Sender) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn agenda_stop(&mut self, _from: &Sender) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn timer_start(
        &mut self,
        _from: &Sender,
        _secs: u32,
        _label: String,
        _sound: bool,
    ) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn timer_pause(&mut self, _from: &Sender) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn timer_resume(&mut self, _from: &Sender) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn timer_extend(&mut self, _from: &Sender, _secs: u32) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn timer_end(&mut self, _from: &Sender) -> Result<(), Refusal> {
        Err(NOT_YET.into())
    }
    pub(super) fn timer_tick(&mut self) {}
}
