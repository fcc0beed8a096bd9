//! The agenda and the server's timer, both the facilitator's alone.
//!
//! The agenda is a list of timeboxed [`Step`]s. Starting a step ends the running one, starts
//! the timer with the step's minutes (labelled with its title, sound on) and arms what the
//! step needs: private writing for a write-privately step, a round for a dot-vote or estimate
//! step (on the step's targets, or on every note, or every story, on the board). Ending a step
//! disarms it: private writing ends (everyone's notes appear), the step's round is revealed if
//! it is still open, and the step's timer is cleared.
//!
//! The timer is the server's: its end is a time on the server's clock, kept in the public
//! state (so in the store and the document), which is why it survives reloads, reconnects and
//! server restarts, and why everyone sees the same remaining time. It never ends anything by
//! itself: at zero the pages show "time is up" (and play the sound, if asked) and the
//! facilitator moves on. Ending the timer early ([`Room::timer_end`]) clears the timer only;
//! the agenda step it timed keeps running until the facilitator moves on.
//!
//! Every change goes through [`Room::publish_facilitation`] (stored, then written into the
//! document); the dispatcher acknowledges it once it is on disk.

use huddle_shared::access::Role;
use huddle_shared::facilitation::{Agenda, MAX_LABEL_CHARS, MAX_MINUTES, Step, StepKind, Timer};
use huddle_shared::model::ItemKind;
use huddle_shared::rounds::{self, Scope, Settings, Status};
use yrs::Transact;

use super::{Refusal, Sender};
use crate::room::Room;
use crate::store::now_ms;

/// The longest a timer may run after an extension, in milliseconds: the same working day a
/// timer may be started with, so extending in a loop cannot make a timer of years.
const MAX_TIMER_MS: u64 = MAX_MINUTES as u64 * 60 * 1000;

impl Room {
    /// Replaces the agenda's steps; a running agenda is stopped first (its step ends).
    pub(super) fn agenda_set(&mut self, from: &Sender, steps: Vec<Step>) -> Result<(), Refusal> {
        self.must_facilitate(from, "writes the agenda")?;
        if steps.len() > huddle_shared::facilitation::MAX_STEPS {
            return Err(format!(
                "an agenda has at most {} steps",
                huddle_shared::facilitation::MAX_STEPS
            ));
        }
        for (i, step) in steps.iter().enumerate() {
            step.check().map_err(|e| format!("step {}: {e}", i + 1))?;
        }
        self.end_step()?;
        self.facilitation.stored.public.agenda = Agenda {
            steps,
            ..Agenda::default()
        };
        self.publish_facilitation()
    }

    /// Ends the running step (if any) and starts step `step` (0-based).
    pub(super) fn agenda_start(&mut self, from: &Sender, step: usize) -> Result<(), Refusal> {
        self.must_facilitate(from, "starts agenda steps")?;
        let count = self.facilitation.stored.public.agenda.steps.len();
        if step >= count {
            return Err(match count {
                0 => "the agenda has no steps yet; write it first".to_owned(),
                n => format!(
                    "the agenda has steps 1 to {n}; there is no step {}",
                    step + 1
                ),
            });
        }
        self.end_step()?;
        self.start_step(from, step)
    }

    /// Ends the running step and starts the next one, or finishes the agenda after the last.
    pub(super) fn agenda_next(&mut self, from: &Sender) -> Result<(), Refusal> {
        self.must_facilitate(from, "moves the agenda on")?;
        let agenda = &self.facilitation.stored.public.agenda;
        let Some(current) = agenda.current else {
            return Err("no agenda step is running; start one".into());
        };
        let next = current + 1;
        let more = next < agenda.steps.len();
        self.end_step()?;
        if more {
            self.start_step(from, next)
        } else {
            self.publish_facilitation()
        }
    }

    /// Ends the running step; the agenda stops (its steps stay, to start again).
    pub(super) fn agenda_stop(&mut self, from: &Sender) -> Result<(), Refusal> {
        self.must_facilitate(from, "stops the agenda")?;
        self.end_step()?;
        self.publish_facilitation()
    }

    /// Starts step `index`: its timer, then what it arms. If arming fails (a vote step on a
    /// board without notes, say), the agenda is left stopped, the change published, and the
    /// reason returned.
    fn start_step(&mut self, from: &Sender, index: usize) -> Result<(), Refusal> {
        let now = now_ms();
        let public = &mut self.facilitation.stored.public;
        let Some(step) = public.agenda.steps.get(index).cloned() else {
            return Err("there is no such step".into());
        };
        public.agenda.current = Some(index);
        public.agenda.started_at.get_or_insert(now);
        public.agenda.round = None;
        let version = public.timer.as_ref().map_or(0, |t| t.version);
        let mut timer = Timer::start(
            step.shown_title().to_owned(),
            u64::from(step.minutes) * 60,
            true,
            now,
        );
        timer.version = version + 1;
        public.timer = Some(timer);
        if let Err(reason) = self.arm(from, &step) {
            let public = &mut self.facilitation.stored.public;
            public.agenda.current = None;
            public.timer = None;
            self.publish_facilitation()?;
            return Err(format!(
                "step {} ({}) could not start: {reason}; the agenda is stopped",
                index + 1,
                step.shown_title()
            ));
        }
        self.publish_facilitation()
    }

    /// What starting `step` turns on.
    fn arm(&mut self, from: &Sender, step: &Step) -> Result<(), Refusal> {
        match step.kind {
            StepKind::WritePrivately => {
                if self.facilitation.stored.public.private.is_none() {
                    self.private_begin(from)?;
                }
                Ok(())
            }
            StepKind::DotVote | StepKind::Estimate => {
                let id = self.open_step_round(from, step)?;
                self.facilitation.stored.public.agenda.round = Some(id);
                Ok(())
            }
            StepKind::Cluster | StepKind::Discuss | StepKind::Decide | StepKind::Free => Ok(()),
        }
    }

    /// Opens the round of a vote or estimate step, as the facilitator would; its id.
    fn open_step_round(&mut self, from: &Sender, step: &Step) -> Result<String, Refusal> {
        let Some(kind) = step.kind.round_kind() else {
            return Err("this step opens no round".into());
        };
        let mut settings = step.settings.clone().unwrap_or_else(|| Settings::new(kind));
        settings.kind = kind;
        if settings.title.trim().is_empty() {
            settings.title = step
                .shown_title()
                .chars()
                .take(rounds::MAX_TITLE_CHARS)
                .collect();
        }
        let (targets, scope) = if step.targets.is_empty() {
            (self.default_targets(step.kind), Scope::Board)
        } else {
            (step.targets.clone(), step.scope.clone())
        };
        if targets.is_empty() {
            return Err(match step.kind {
                StepKind::Estimate => "there are no stories or notes on the board to estimate",
                _ => "there are no notes on the board to vote on",
            }
            .into());
        }
        if targets.len() > rounds::MAX_TARGETS {
            return Err(format!(
                "the board has {} notes, more than a round takes ({}); name the step's items",
                targets.len(),
                rounds::MAX_TARGETS
            ));
        }
        // The facilitator runs rounds with an owner's authority (see `rounds`).
        self.open_round(
            Role::Owner,
            &from.name,
            settings,
            targets,
            scope,
            None,
            None,
        )?
        .ok_or_else(|| "the round opened without an id".to_owned())
    }

    /// A vote step's items when it names none: every note on the board. An estimate step's:
    /// every story (a note placed in a story map, or with story fields), or every note if the
    /// board has no stories. Sorted, so the round lists them the same way each time.
    fn default_targets(&self, kind: StepKind) -> Vec<String> {
        let txn = self.board.doc().transact();
        let mut notes: Vec<String> = Vec::new();
        let mut stories: Vec<String> = Vec::new();
        for id in self.board.item_ids(&txn) {
            let Some(item) = self.board.item_snapshot(&txn, &id) else {
                continue;
            };
            if item.kind != ItemKind::Note {
                continue;
            }
            if item.place.is_some() || !item.story.is_empty() {
                stories.push(id.clone());
            }
            notes.push(id);
        }
        let mut out = if kind == StepKind::Estimate && !stories.is_empty() {
            stories
        } else {
            notes
        };
        out.sort();
        out
    }

    /// Ends the running step, if any: private writing ends (everyone's notes appear), the
    /// step's round is revealed if still open, the step's timer is cleared. Not published:
    /// the caller publishes once with what follows.
    fn end_step(&mut self) -> Result<(), Refusal> {
        let agenda = &mut self.facilitation.stored.public.agenda;
        let Some(current) = agenda.current.take() else {
            return Ok(());
        };
        let round = agenda.round.take();
        let Some(step) = agenda.steps.get(current).cloned() else {
            return Ok(());
        };
        // The step's timer is the one it started (labelled with its title); a standalone
        // timer the facilitator started meanwhile under another label keeps running.
        let public = &mut self.facilitation.stored.public;
        if public
            .timer
            .as_ref()
            .is_some_and(|t| t.label == step.shown_title())
        {
            public.timer = None;
        }
        match step.kind {
            StepKind::WritePrivately if public.private.is_some() => self.private_finish()?,
            StepKind::DotVote | StepKind::Estimate => {
                if let Some(round) = round {
                    // Already revealed or cancelled by hand: nothing to do. A storage failure
                    // stops the room (`storage_failed`), which is the refusal that counts.
                    let _ = self.close_round(Role::Owner, &round, Status::Revealed, false);
                    if self.stop.is_some() {
                        return Err("the server could not store it; try again".into());
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Starts the standalone timer (replacing any, an agenda step's too).
    pub(super) fn timer_start(
        &mut self,
        from: &Sender,
        secs: u32,
        label: String,
        sound: bool,
    ) -> Result<(), Refusal> {
        self.must_facilitate(from, "starts the timer")?;
        if secs == 0 || u64::from(secs) * 1000 > MAX_TIMER_MS {
            return Err(format!("a timer runs 1 second to {MAX_MINUTES} minutes"));
        }
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(format!(
                "a timer's label has at most {MAX_LABEL_CHARS} characters"
            ));
        }
        let public = &mut self.facilitation.stored.public;
        let version = public.timer.as_ref().map_or(0, |t| t.version);
        let mut timer = Timer::start(label, u64::from(secs), sound, now_ms());
        timer.version = version + 1;
        public.timer = Some(timer);
        self.publish_facilitation()
    }

    /// Pauses the timer, keeping what is left (pausing a paused timer changes nothing).
    pub(super) fn timer_pause(&mut self, from: &Sender) -> Result<(), Refusal> {
        self.must_facilitate(from, "pauses the timer")?;
        self.running_timer()?.pause(now_ms());
        self.publish_facilitation()
    }

    /// Resumes a paused timer from what was left.
    pub(super) fn timer_resume(&mut self, from: &Sender) -> Result<(), Refusal> {
        self.must_facilitate(from, "resumes the timer")?;
        self.running_timer()?.resume(now_ms());
        self.publish_facilitation()
    }

    /// Adds `secs` to the timer (one that ran out runs again).
    pub(super) fn timer_extend(&mut self, from: &Sender, secs: u32) -> Result<(), Refusal> {
        self.must_facilitate(from, "extends the timer")?;
        let now = now_ms();
        let timer = self.running_timer()?;
        let mut extended = timer.clone();
        extended.extend(u64::from(secs), now);
        if extended.left(now) > MAX_TIMER_MS {
            return Err(format!("a timer runs at most {MAX_MINUTES} minutes"));
        }
        *timer = extended;
        self.publish_facilitation()
    }

    /// Ends the timer early. Only the timer: an agenda step it timed keeps running.
    pub(super) fn timer_end(&mut self, from: &Sender) -> Result<(), Refusal> {
        self.must_facilitate(from, "ends the timer")?;
        self.running_timer()?;
        self.facilitation.stored.public.timer = None;
        self.publish_facilitation()
    }

    /// The timer, or the refusal when there is none.
    fn running_timer(&mut self) -> Result<&mut Timer, Refusal> {
        self.facilitation
            .stored
            .public
            .timer
            .as_mut()
            .ok_or_else(|| "there is no timer; start one".to_owned())
    }

    /// Called every second. The timer never ends anything by itself (at zero the pages show
    /// "time is up" and the facilitator moves on), and its end is a time on the server's
    /// clock that pages count down to, so there is nothing to do here; kept beside the
    /// balance's tick so a future "end the step at zero" option has its place.
    pub(super) fn timer_tick(&mut self) {}
}
