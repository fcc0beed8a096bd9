//! Comment pins on the canvas: one per item with open threads (at its top-left corner,
//! following it as it moves, since the thread names the item) and one per open thread on a
//! point, each with its count of open threads. Sizes are in screen pixels.

use std::collections::BTreeMap;

use huddle_shared::comments::Anchor;
use web_sys::CanvasRenderingContext2d;

use super::Comments;
use crate::board::scene::Scene;

/// Radius of a pin, screen px.
const PIN_R: f64 = 10.0;
const PIN_FILL: &str = "#7c3aed";
const PIN_TEXT: &str = "white";

/// Where pins go (world coordinates) and how many open threads each stands for.
pub fn pins(comments: &Comments, scene: &Scene) -> Vec<([f64; 2], usize)> {
    let mut on_items: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for t in comments.threads.values().filter(|t| t.is_open()) {
        match &t.anchor {
            Anchor::Item { item } => *on_items.entry(item).or_default() += 1,
            Anchor::Point { pos } => out.push((*pos, 1)),
        }
    }
    for (id, n) in on_items {
        if let Some(item) = scene.get(id).filter(|i| !i.is_connector()) {
            out.push((item.pos, n));
        }
    }
    out
}

pub fn draw(ctx: &CanvasRenderingContext2d, comments: &Comments, scene: &Scene, zoom: f64) {
    if comments.threads.is_empty() {
        return;
    }
    let z = zoom.max(0.01);
    let r = PIN_R / z;
    ctx.set_text_baseline("middle");
    ctx.set_text_align("center");
    ctx.set_font(&format!("bold {}px system-ui, sans-serif", 11.0 / z));
    for ([x, y], n) in pins(comments, scene) {
        ctx.set_fill_style_str(PIN_FILL);
        ctx.begin_path();
        let _ = ctx.arc(x, y, r, 0.0, std::f64::consts::TAU);
        ctx.fill();
        ctx.set_fill_style_str(PIN_TEXT);
        let _ = ctx.fill_text(&n.min(99).to_string(), x, y);
    }
}
