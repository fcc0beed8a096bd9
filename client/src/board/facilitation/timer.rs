//! The shared timer. A badge over the canvas (`#fac-timer`) that everyone sees while a timer
//! exists, counting down from the document's `public.timer` on the *server's* clock (the
//! page's clock plus the offset learnt from `Event::Clock`), so every page shows the same
//! remaining time whatever its own clock says; "Time is up" at zero, and a short tone once
//! when it gets there if the timer asks for it (`timer.sound`). Redrawn four times a second,
//! touching the DOM only when the shown second changes.
//!
//! The facilitator's controls live in the panel: a standalone *Start timer* (minutes, sound),
//! *Pause* / *Resume*, *+1 min*, *+5 min* and *End*.

use huddle_shared::facilitation::{Command, Timer};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlInputElement};

use super::{facilitates, panel};
use crate::board::{Page, State, role};
use crate::dom::{self, child};

/// How often the badge looks at the clock: a quarter second keeps two pages' displays
/// within a second of each other (each rounds the same server time).
const TICK_MS: i32 = 250;
/// A timer that ran out longer ago than this when the page first sees it does not ring
/// (a reload after the end is not the end).
const RING_WINDOW_MS: u64 = 5_000;
/// The tone: pitch (Hz), length (s) and loudness (0 to 1): short, clear, not startling.
const TONE_HZ: f32 = 880.0;
const TONE_SECS: f64 = 0.6;
const TONE_GAIN: f32 = 0.2;

/// What the badge shows for `timer` at server time `now`: seconds left (rounded up, so
/// "0" only once it ran out) and the text.
pub fn shown(timer: &Timer, now: u64) -> (u64, String) {
    let left = timer.left(now);
    let secs = left.div_ceil(1000);
    let text = if secs == 0 {
        "Time is up".to_owned()
    } else {
        let clock = format!("{}:{:02}", secs / 60, secs % 60);
        if timer.running() {
            clock
        } else {
            format!("{clock} (paused)")
        }
    };
    (secs, text)
}

pub fn build_badge(stage: &Element) -> Result<Element, JsValue> {
    let badge = child(
        stage,
        "div",
        &[
            ("id", "fac-timer"),
            ("class", "fac-timer"),
            ("role", "timer"),
            ("aria-live", "off"),
            (
                "title",
                "The session's timer (the facilitator runs it; G for the panel)",
            ),
            ("hidden", ""),
        ],
        None,
    )?;
    child(
        &badge,
        "span",
        &[("class", "fac-timer-label"), ("id", "fac-timer-label")],
        None,
    )?;
    child(
        &badge,
        "span",
        &[("class", "fac-timer-left"), ("id", "fac-timer-left")],
        None,
    )?;
    Ok(badge)
}

/// The facilitator's controls, in the panel.
pub fn build_controls(panel: &Element) -> Result<(), JsValue> {
    let box_ = child(
        panel,
        "div",
        &[
            ("id", "fac-timer-controls"),
            ("class", "fac-section fac-timer-controls"),
        ],
        None,
    )?;
    let start = child(&box_, "div", &[("class", "result-actions")], None)?;
    child(
        &start,
        "input",
        &[
            ("id", "fac-timer-minutes"),
            ("type", "number"),
            ("min", "1"),
            ("max", "480"),
            ("value", "5"),
            ("aria-label", "Minutes"),
            ("title", "Minutes of the standalone timer"),
            ("class", "fac-minutes"),
        ],
        None,
    )?;
    let sound = child(&start, "label", &[("class", "vote-check")], None)?;
    child(
        &sound,
        "input",
        &[
            ("id", "fac-timer-sound"),
            ("type", "checkbox"),
            ("checked", ""),
            ("title", "Play a short tone at zero"),
        ],
        None,
    )?;
    child(&sound, "span", &[], Some("sound"))?;
    button(
        &start,
        "timer-start",
        "Start timer",
        "Start a timer of these minutes (no agenda needed)",
    )?;
    let running = child(
        &box_,
        "div",
        &[("class", "result-actions"), ("id", "fac-timer-running")],
        None,
    )?;
    button(
        &running,
        "timer-pause",
        "Pause",
        "Pause the timer for everyone",
    )?;
    button(
        &running,
        "timer-resume",
        "Resume",
        "Resume the paused timer",
    )?;
    button(&running, "timer-plus1", "+1 min", "Add a minute")?;
    button(&running, "timer-plus5", "+5 min", "Add five minutes")?;
    button(
        &running,
        "timer-end",
        "End",
        "End the timer now (and the agenda step it times)",
    )?;
    child(
        panel,
        "p",
        &[("id", "fac-timer-note"), ("class", "muted")],
        Some("Only the facilitator runs the timer."),
    )?;
    Ok(())
}

fn button(parent: &Element, act: &str, label: &str, title: &str) -> Result<Element, JsValue> {
    child(
        parent,
        "button",
        &[
            ("type", "button"),
            ("data-act", act),
            ("id", &format!("fac-{act}")),
            ("title", title),
        ],
        Some(label),
    )
}

/// A click on one of the timer's buttons; `false` if `act` is not the timer's.
pub fn clicked(s: &mut State, act: &str) -> bool {
    let cmd = match act {
        "timer-start" => {
            let minutes = input(s, "fac-timer-minutes")
                .and_then(|i| i.value().trim().parse::<u32>().ok())
                .filter(|m| (1..=huddle_shared::facilitation::MAX_MINUTES).contains(m));
            let Some(minutes) = minutes else {
                role::notice(s, "A timer lasts 1 to 480 minutes.");
                return true;
            };
            let sound = input(s, "fac-timer-sound").is_some_and(|i| i.checked());
            Command::TimerStart {
                secs: minutes * 60,
                label: String::new(),
                sound,
            }
        }
        "timer-pause" => Command::TimerPause,
        "timer-resume" => Command::TimerResume,
        "timer-plus1" => Command::TimerExtend { secs: 60 },
        "timer-plus5" => Command::TimerExtend { secs: 300 },
        "timer-end" => Command::TimerEnd,
        _ => return false,
    };
    super::send(s, cmd);
    true
}

fn input(s: &State, id: &str) -> Option<HtmlInputElement> {
    s.doc.get_element_by_id(id)?.dyn_into().ok()
}

/// Shows the controls to the facilitator (Pause or Resume as the timer stands), a note to
/// everyone else.
pub fn render_controls(s: &mut State) {
    let fac = facilitates(s);
    let timer = s.features.facilitation.public.timer.clone();
    let running = timer.as_ref().map(|t| (t.running(), t.version));
    let key = serde_json::to_string(&(fac, running)).unwrap_or_default();
    if !panel::changed(s, "fac-timer-controls", key) {
        return;
    }
    let show = |id: &str, on: bool| {
        if let Some(el) = s.doc.get_element_by_id(id) {
            let _ = if on {
                el.remove_attribute("hidden")
            } else {
                el.set_attribute("hidden", "")
            };
        }
    };
    show("fac-timer-controls", fac);
    show("fac-timer-note", !fac);
    show("fac-timer-running", timer.is_some());
    let running = timer.as_ref().is_some_and(Timer::running);
    show("fac-timer-pause", running);
    show("fac-timer-resume", timer.is_some() && !running);
}

/// Redraws the badge for the server's time now, and rings once at zero.
pub fn render(s: &mut State) {
    let Some(badge) = s.features.facilitation.ui.as_ref().map(|u| u.badge.clone()) else {
        return;
    };
    let Some(timer) = s.features.facilitation.public.timer.clone() else {
        if !badge.has_attribute("hidden") {
            let _ = badge.set_attribute("hidden", "");
        }
        return;
    };
    let now = s.features.facilitation.server_now(js_sys::Date::now());
    let (secs, text) = shown(&timer, now);
    let label = match (&timer.label, current_step_title(s)) {
        (l, _) if !l.is_empty() => l.clone(),
        (_, Some(step)) => step,
        _ => "Timer".to_owned(),
    };
    // The DOM is touched only when what it shows changes (a second went, paused, relabelled).
    let shown_now = format!("{secs}|{}|{label}|{text}", timer.running());
    if badge.get_attribute("data-shown").as_deref() != Some(shown_now.as_str())
        || badge.has_attribute("hidden")
    {
        let _ = badge.set_attribute("data-shown", &shown_now);
        let _ = badge.set_attribute("data-left-secs", &secs.to_string());
        let _ = badge.set_attribute(
            "data-running",
            if timer.running() { "true" } else { "false" },
        );
        let up = secs == 0;
        badge.set_class_name(if up { "fac-timer up" } else { "fac-timer" });
        if let Some(l) = s.doc.get_element_by_id("fac-timer-label") {
            l.set_text_content(Some(&label));
        }
        if let Some(l) = s.doc.get_element_by_id("fac-timer-left") {
            l.set_text_content(Some(&text));
        }
        let _ = badge.remove_attribute("hidden");
    }
    ring_once(s, &timer, now);
}

fn current_step_title(s: &State) -> Option<String> {
    let agenda = &s.features.facilitation.public.agenda;
    let step = agenda.steps.get(agenda.current?)?;
    Some(step.shown_title().to_owned())
}

/// Plays the tone the first time this page sees `timer` (this version of it) run out, if it
/// asks for a sound and ran out just now.
fn ring_once(s: &mut State, timer: &Timer, now: u64) {
    let Some(end) = timer.ends_at else {
        return;
    };
    if now < end || s.features.facilitation.rang == Some(timer.version) {
        return;
    }
    s.features.facilitation.rang = Some(timer.version);
    if timer.sound
        && now - end <= RING_WINDOW_MS
        && let Err(err) = tone()
    {
        dom::log_error("could not play the timer's tone", &err);
    }
}

/// A short sine tone through WebAudio, fading out (browsers may keep it silent until the
/// person interacted with the page; that is theirs to decide).
fn tone() -> Result<(), JsValue> {
    let ctx = web_sys::AudioContext::new()?;
    let osc = ctx.create_oscillator()?;
    osc.set_type(web_sys::OscillatorType::Sine);
    osc.frequency().set_value(TONE_HZ);
    let gain = ctx.create_gain()?;
    let t = ctx.current_time();
    gain.gain().set_value_at_time(TONE_GAIN, t)?;
    gain.gain()
        .exponential_ramp_to_value_at_time(0.001, t + TONE_SECS)?;
    osc.connect_with_audio_node(&gain)?;
    gain.connect_with_audio_node(&ctx.destination())?;
    osc.start()?;
    osc.stop_with_when(t + TONE_SECS)?;
    Ok(())
}

/// Redraws the badge (and lets the panel look at who is present) every [`TICK_MS`] for as
/// long as the page lives.
pub fn start_ticking(page: &Page) -> Result<(), JsValue> {
    let weak = std::rc::Rc::downgrade(page);
    let tick = Closure::<dyn FnMut()>::new(move || {
        if let Some(page) = weak.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            render(&mut s);
            panel::tick(&mut s);
        }
    });
    dom::window()?.set_interval_with_callback_and_timeout_and_arguments_0(
        tick.as_ref().unchecked_ref(),
        TICK_MS,
    )?;
    tick.forget();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_on_the_server_clock_and_says_when_time_is_up() {
        let mut t = Timer::start(String::new(), 90, false, 1_000);
        assert_eq!(shown(&t, 1_000), (90, "1:30".to_owned()));
        // 0.2 s in, 89.8 s are left: shown as 1:30 until a whole second went.
        assert_eq!(shown(&t, 1_200).0, 90);
        assert_eq!(shown(&t, 2_000), (89, "1:29".to_owned()));
        assert_eq!(shown(&t, 90_999).0, 1);
        assert_eq!(shown(&t, 91_000), (0, "Time is up".to_owned()));
        assert_eq!(shown(&t, 500_000), (0, "Time is up".to_owned()));
        t.pause(31_000);
        assert_eq!(shown(&t, 999_999), (60, "1:00 (paused)".to_owned()));
    }
}
