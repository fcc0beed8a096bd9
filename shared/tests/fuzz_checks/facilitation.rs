//! The `facilitation` target's checks: requests and events from a page, and the rules
//! (timer, rotation, quiet ranking) on values taken from the input.

/// Fixed-width numbers read from the input, round and round (zero when it is empty), for
/// checks that need values besides what the input decodes to.
struct Numbers<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Numbers<'a> {
    fn new(data: &'a [u8]) -> Self {
        Numbers { data, at: 0 }
    }

    fn byte(&mut self) -> u8 {
        let Some(len) = std::num::NonZeroUsize::new(self.data.len()) else {
            return 0;
        };
        let b = self.data[self.at % len];
        self.at = self.at.wrapping_add(1);
        b
    }

    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |n, _| (n << 8) | u64::from(self.byte()))
    }

    fn u32(&mut self) -> u32 {
        (0..4).fold(0, |n, _| (n << 8) | u32::from(self.byte()))
    }
}

/// Facilitation requests and events from a page (`facilitation`): decoding never panics, a
/// decoded request or event encodes back to itself, the rules on what it carries (steps,
/// private notes) never panic and mean what they say, and the timer, the rotation pick and
/// the quiet ranking hold their promises on any values, `now` included.
pub fn check(data: &[u8]) {
    use huddle_shared::facilitation::{Command, Event, MAX_NOTE_CHARS, Request};
    if let Ok(event) = Event::decode(data) {
        assert_eq!(Event::decode(&event.encode()).as_ref(), Ok(&event));
    }
    let mut numbers = Numbers::new(data);
    timer(&mut numbers, None);
    rotation(data);
    quiet(&mut numbers);
    let Ok(request) = Request::decode(data) else {
        return;
    };
    assert_eq!(Request::decode(&request.encode()).as_ref(), Ok(&request));
    match &request.cmd {
        Command::AgendaSet { steps } => {
            for step in steps {
                if step.check().is_ok() {
                    assert!((1..=huddle_shared::facilitation::MAX_MINUTES).contains(&step.minutes));
                }
                assert!(!step.shown_title().trim().is_empty());
                let _ = step.kind.round_kind();
            }
        }
        Command::PrivatePut { note } => {
            if note.check().is_ok() {
                assert!(note.text.chars().count() <= MAX_NOTE_CHARS);
                assert!(note.pos.iter().chain(&note.size).all(|v| v.is_finite()));
            }
            let _ = huddle_shared::facilitation::words(&note.text);
        }
        Command::TimerStart { secs, sound, .. } => {
            let mut numbers = Numbers::new(data);
            timer(&mut numbers, Some((u64::from(*secs), *sound, request.req)));
        }
        Command::TimerExtend { secs } => {
            let mut numbers = Numbers::new(data);
            timer(&mut numbers, Some((u64::from(*secs), false, request.req)));
        }
        _ => {}
    }
}

/// A timer started (with `start`: seconds, sound, now; else values from `numbers`), then
/// paused, resumed and extended at times from `numbers`: no overflow, and what is left
/// behaves: pausing keeps it, resuming at the same moment keeps it (short of `u64::MAX`),
/// extending never shortens it.
fn timer(numbers: &mut Numbers, start: Option<(u64, bool, u64)>) {
    use huddle_shared::facilitation::Timer;
    let (secs, sound, now) =
        start.unwrap_or_else(|| (numbers.u64(), numbers.byte() & 1 == 1, numbers.u64()));
    let mut t = Timer::start(String::new(), secs, sound, now);
    assert!(t.running());
    assert_eq!(t.left(now), secs.saturating_mul(1000).min(u64::MAX - now));
    for _ in 0..8 {
        let now = numbers.u64();
        let before = t.left(now);
        match numbers.byte() % 3 {
            0 => {
                t.pause(now);
                assert!(!t.running());
                let later = numbers.u64();
                assert_eq!(t.left(later), before);
            }
            1 => {
                let paused = !t.running();
                t.resume(now);
                assert!(t.running());
                assert!(t.left(now) <= before);
                if paused && now.checked_add(before).is_some() {
                    assert_eq!(t.left(now), before);
                }
            }
            _ => {
                let secs = numbers.u64();
                t.extend(secs, now);
                assert!(t.left(now) >= before);
            }
        }
    }
}

/// Rotation among people and a history made from `data`: the pick is present and not the
/// current facilitator, there is one whenever someone else is present, and someone who
/// never facilitated goes before anyone who did.
fn rotation(data: &[u8]) {
    use huddle_shared::facilitation::{PersonRef, Turn, rotate_pick};
    let names = ["Ana", "ana", "Bo", "", "Émile"];
    let mut numbers = Numbers::new(data);
    let count = usize::from(numbers.byte() % 6);
    let present: Vec<PersonRef> = (0..count)
        .map(|_| {
            let b = numbers.byte();
            PersonRef {
                id: format!("p{}", b % 8),
                name: names[usize::from(b / 8) % names.len()].to_owned(),
            }
        })
        .collect();
    let turns = usize::from(numbers.byte() % 8);
    let history: Vec<Turn> = (0..turns)
        .map(|_| {
            let b = numbers.byte();
            let to = numbers.u64();
            Turn {
                person: format!("p{}", b % 8),
                name: String::new(),
                from: numbers.u64(),
                to: (b & 0x80 == 0).then_some(to),
            }
        })
        .collect();
    let current = present.first().map(|p| p.id.clone());
    let pick = rotate_pick(&present, &history, current.as_deref());
    let others: Vec<&PersonRef> = present
        .iter()
        .filter(|p| Some(&p.id) != current.as_ref())
        .collect();
    assert_eq!(pick.is_some(), !others.is_empty());
    if let Some(pick) = pick {
        assert_ne!(Some(&pick.id), current.as_ref());
        let facilitated = |id: &str| history.iter().any(|t| t.person == id);
        if facilitated(&pick.id) {
            assert!(others.iter().all(|p| facilitated(&p.id)), "{pick:?}");
        }
    }
}

/// The quiet ranking of contributions made from `numbers`: quiet ones first, and the
/// weights (sums of counters up to `u32::MAX`) never overflow.
fn quiet(numbers: &mut Numbers) {
    use huddle_shared::facilitation::{Contribution, rank_quiet};
    let count = usize::from(numbers.byte() % 6);
    let mut people: Vec<Contribution> = (0..count)
        .map(|i| Contribution {
            person: format!("p{i}"),
            name: format!("n{}", numbers.byte() % 3),
            notes: numbers.u32(),
            words: numbers.u32(),
            edits: numbers.u32(),
            ballots: numbers.u32(),
            dissent: numbers.u32(),
            comments: numbers.u32(),
            present: numbers.byte() & 1 == 1,
        })
        .collect();
    rank_quiet(&mut people);
    assert!(people.windows(2).all(|w| w[0].weight() <= w[1].weight()));
}
