//! What the pointer is doing on the canvas ([`Gesture`], the input state machine's states)
//! and which tool a press uses ([`Tool`]); together with the fingers down, the space key and
//! the cursor they are the [`Pointer`] part of [`State`].

use std::collections::BTreeSet;

use super::State;
use super::storymap::chrome::Spot;
use super::storymap::drag::PartDrag;

/// The pointer's part of [`State`]: what presses on the canvas do and are doing. Written by
/// the pointer, touch and key handlers; read by drawing (a drag in progress) and hit-testing.
pub struct Pointer {
    /// What a press on the canvas does (select and drag, or draw an arrow).
    pub tool: Tool,
    pub gesture: Gesture,
    /// Fingers on the canvas (touch screens).
    pub touches: super::touch::Touches,
    /// Space is held: a drag pans.
    pub space: bool,
    /// The canvas's CSS cursor as last set (set only when it changes).
    pub cursor: &'static str,
}

impl Default for Pointer {
    /// Nothing pressed, the select tool out, the default cursor.
    fn default() -> Self {
        Pointer {
            tool: Tool::Select,
            gesture: Gesture::Idle,
            touches: Vec::new(),
            space: false,
            cursor: "default",
        }
    }
}

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
