//! What the pointer is doing on the canvas ([`Gesture`], the input state machine's states)
//! and which tool a press uses ([`Tool`]).

use std::collections::BTreeSet;

use super::State;
use super::storymap::chrome::Spot;
use super::storymap::drag::PartDrag;

/// What a press on the canvas does.
#[derive(Debug, Clone, PartialEq)]
pub enum Tool {
    /// Select, drag, resize, marquee.
    Select,
    /// Draw an arrow: press the item it starts at, then the one it points to.
    Connect { from: Option<String> },
}

pub enum Gesture {
    Idle,
    Pan {
        last: [f64; 2],
    },
    Drag {
        start: [f64; 2],
        start_screen: [f64; 2],
        ids: Vec<String>,
        /// The dragged items' scene slots, sorted (binary-searched while drawing).
        slots: Vec<u32>,
        offset: [f64; 2],
        moved: bool,
        /// Pressed without shift on an item already in a larger selection: a click (no move)
        /// then selects just this item.
        collapse_to: Option<String>,
    },
    Resize {
        id: String,
        slot: u32,
        start: [f64; 2],
        size0: [f64; 2],
        size: [f64; 2],
    },
    /// An activity, step or release slice of a story map being dragged.
    MapPart(PartDrag),
    /// A "+" button of a story map (map id, which button) is held down.
    MapButton(String, Spot),
    /// Two fingers on a touch screen: their midpoint and distance at the last move.
    Pinch {
        mid: [f64; 2],
        dist: f64,
    },
    Marquee {
        start: [f64; 2],
        now: [f64; 2],
        /// The selection before the marquee (kept with shift).
        base: BTreeSet<String>,
    },
}

impl Gesture {
    /// A drag of `ids` from `world` (`at` on screen) that has not moved yet.
    pub fn drag(
        s: &State,
        world: [f64; 2],
        at: [f64; 2],
        ids: Vec<String>,
        collapse_to: Option<String>,
    ) -> Gesture {
        let mut slots: Vec<u32> = ids.iter().filter_map(|i| s.scene.slot_of(i)).collect();
        slots.sort_unstable();
        Gesture::Drag {
            start: world,
            start_screen: at,
            ids,
            slots,
            offset: [0.0, 0.0],
            moved: false,
            collapse_to,
        }
    }
}
