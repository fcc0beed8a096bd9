//! Who else is on the board and what they are doing: names and colours, cursors, selections,
//! notes being dragged, viewports. All of it travels as y-protocols awareness, never in the
//! document.
//!
//! SEAM, PARTLY BUILT (issue 3, in progress): the types and the awareness schema below are the
//! contract between the board (which renders peers and reports local gestures) and this
//! module (which throttles what we send and parses what others send).
//!
//! Awareness state schema (JSON, y-websocket compatible: `user` is what Yjs demos use):
//! `{"user": {"name", "color"}, "cursor": {"x", "y"} | null, "selection": [item ids],
//!   "dragging": {item id: [x, y]}, "viewport": {"x", "y", "zoom"}, "summon": n}`

use serde::{Deserialize, Serialize};

/// What part of the board someone sees: the world point at the centre of their canvas,
/// and their zoom (1.0 = 100%).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Viewport {
    pub x: f64,
    pub y: f64,
    pub zoom: f64,
}

/// Someone else on the board, as their awareness state says.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// Their awareness client id.
    pub client_id: u64,
    pub name: String,
    /// CSS colour of their cursor, avatar and selection outlines.
    pub color: String,
    /// Their pointer in world coordinates, if it is over the canvas.
    pub cursor: Option<[f64; 2]>,
    /// Ids of the items they have selected.
    pub selection: Vec<String>,
    /// Items they are dragging right now, with their current (not yet written) positions.
    pub dragging: Vec<(String, [f64; 2])>,
    pub viewport: Option<Viewport>,
    /// Bumped each time they ask everyone to come to their view ("bring everyone to me").
    pub summon: u64,
}
