//! The controls drawn on a map besides its cards (a "+" after the last activity, a "+" on
//! each activity card for a new step, "+ Slice" under the map, a chevron on each activity
//! card and slice label to collapse it) and what a point on a map is ([`spot`]).
//!
//! The shared [`MapLayout`] places cards and slices; these controls sit at fixed offsets
//! from them, so painting, hit-testing and the test hooks agree by using the same functions.

use huddle_shared::storymap::{GAP, LABEL_WIDTH, MapLayout, Rect};

/// Side of a "+" button: big enough to hit with a finger at 100%.
pub const BUTTON: f64 = 28.0;
/// Width of the "+ Slice" button under a map (room for its label).
pub const SLICE_BUTTON_W: f64 = 96.0;
/// Side of a collapse chevron.
pub const CHEVRON: f64 = 24.0;
/// Inset of a chevron or a step "+" from the corner of its card.
const INSET: f64 = 4.0;

/// What a point on a map is.
#[derive(Debug, Clone, PartialEq)]
pub enum Spot {
    AddActivity,
    /// A new step under this activity.
    AddStep(String),
    AddRelease,
    /// Collapse or expand an activity (`activity: true`) or a release slice.
    Chevron {
        id: Option<String>,
        activity: bool,
    },
    /// The title row: drags the whole map, double-click renames it.
    Title,
    Activity(Option<String>),
    Step(Option<String>),
    /// A slice's label column.
    Release(Option<String>),
}

fn rect(x: f64, y: f64, w: f64, h: f64) -> Rect {
    Rect { x, y, w, h }
}

/// The "+" after the last activity.
pub fn add_activity(l: &MapLayout) -> Rect {
    let x = l
        .activities
        .last()
        .map_or(l.bounds.x + LABEL_WIDTH + GAP, |a| a.rect.right() + GAP);
    let y = l.title.bottom() + GAP;
    rect(x, y, BUTTON, BUTTON)
}

/// The "+" for a new step on each real, expanded activity: (activity id, button).
pub fn add_steps(l: &MapLayout) -> Vec<(String, Rect)> {
    l.activities
        .iter()
        .filter(|a| !a.collapsed)
        .filter_map(|a| {
            let r = a.rect;
            let button = rect(
                r.right() - BUTTON - INSET,
                r.bottom() - BUTTON - INSET,
                BUTTON,
                BUTTON,
            );
            a.id.clone().map(|id| (id, button))
        })
        .collect()
}

/// "+ Slice", under the map.
pub fn add_release(l: &MapLayout) -> Rect {
    rect(
        l.bounds.x,
        l.bounds.bottom() + GAP / 2.0,
        SLICE_BUTTON_W,
        BUTTON,
    )
}

/// The chevrons: (part id, is an activity, chevron).
pub fn chevrons(l: &MapLayout) -> Vec<(Option<String>, bool, Rect)> {
    let activities = l.activities.iter().map(|a| {
        let r = a.rect;
        let c = rect(r.right() - CHEVRON - INSET, r.y + INSET, CHEVRON, CHEVRON);
        (a.id.clone(), true, c)
    });
    let releases = l.releases.iter().map(|b| {
        let r = b.rect;
        let c = rect(
            r.x + LABEL_WIDTH - CHEVRON - INSET,
            r.y + INSET,
            CHEVRON,
            CHEVRON,
        );
        (b.id.clone(), false, c)
    });
    activities.chain(releases).collect()
}

/// A slice's label column (where its name and totals are, and where it is dragged from).
pub fn release_label(band: &Rect) -> Rect {
    rect(band.x, band.y, LABEL_WIDTH, band.h)
}

/// Everything a map covers including the controls outside its area.
pub fn reach(l: &MapLayout) -> Rect {
    let b = l.bounds;
    let right = add_activity(l).right().max(b.right());
    let bottom = add_release(l).bottom();
    rect(b.x, b.y, right - b.x, bottom - b.y)
}

/// What is at `p` on map layout `l` (`None`: empty map area, a cell, or off the map).
pub fn spot(l: &MapLayout, p: [f64; 2]) -> Option<Spot> {
    if add_activity(l).contains(p) {
        return Some(Spot::AddActivity);
    }
    if add_release(l).contains(p) {
        return Some(Spot::AddRelease);
    }
    if let Some((id, _)) = add_steps(l).into_iter().find(|(_, r)| r.contains(p)) {
        return Some(Spot::AddStep(id));
    }
    if let Some((id, activity, _)) = chevrons(l).into_iter().find(|(.., r)| r.contains(p)) {
        return Some(Spot::Chevron { id, activity });
    }
    if l.title.contains(p) {
        return Some(Spot::Title);
    }
    if let Some(a) = l.activities.iter().find(|a| a.rect.contains(p)) {
        return Some(Spot::Activity(a.id.clone()));
    }
    if let Some(s) = l.steps.iter().find(|s| s.rect.contains(p)) {
        return Some(Spot::Step(s.id.clone()));
    }
    l.releases
        .iter()
        .find(|b| release_label(&b.rect).contains(p))
        .map(|b| Spot::Release(b.id.clone()))
}
