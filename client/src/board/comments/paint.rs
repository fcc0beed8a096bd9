//! Comment pins on the canvas: one per item with open threads (at its top-left corner,
//! following it as it moves, since the thread names the item) and one per open thread on a
//! point, each with its count of open threads. Sizes are in screen pixels.

use std::collections::BTreeMap;

use huddle_shared::comments::Anchor;
use web_sys::CanvasRenderingContext2d;

use super::Comments;
use crate::board::scene::Scene;
use crate::board::style::{COMMENT_PIN, WHITE, badge_font};

/// Radius of a pin, screen px.
const PIN_R: f64 = 10.0;

/// Where pins go (world coordinates), the open threads each stands for, and the item it
/// is on (if any).
pub fn pins<'a>(comments: &'a Comments, scene: &Scene) -> Vec<Pin<'a>> {
    let mut on_items: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut out = Vec::new();
    for t in comments.threads.values().filter(|t| t.is_open()) {
        match &t.anchor {
            Anchor::Item { item } => on_items.entry(item).or_default().push(&t.id),
            Anchor::Point { pos } => out.push(Pin {
                at: *pos,
                threads: vec![&t.id],
                item: None,
            }),
        }
    }
    for (id, threads) in on_items {
        if let Some(item) = scene.get(id).filter(|i| !i.is_connector()) {
            out.push(Pin {
                at: item.pos,
                threads,
                item: Some(id),
            });
        }
    }
    out
}

/// One pin on the canvas.
pub struct Pin<'a> {
    pub at: [f64; 2],
    pub threads: Vec<&'a str>,
    pub item: Option<&'a str>,
}

/// The pin under `world` at `zoom`, if any.
pub fn pin_at<'a>(
    comments: &'a Comments,
    scene: &Scene,
    world: [f64; 2],
    zoom: f64,
) -> Option<Pin<'a>> {
    let r = PIN_R / zoom.max(0.01);
    pins(comments, scene).into_iter().find(|p| {
        let (dx, dy) = (p.at[0] - world[0], p.at[1] - world[1]);
        dx * dx + dy * dy <= r * r
    })
}

pub fn draw(ctx: &CanvasRenderingContext2d, comments: &Comments, scene: &Scene, zoom: f64) {
    if comments.threads.is_empty() {
        return;
    }
    let z = zoom.max(0.01);
    let r = PIN_R / z;
    ctx.set_text_baseline("middle");
    ctx.set_text_align("center");
    ctx.set_font(&badge_font(11.0 / z));
    for pin in pins(comments, scene) {
        let ([x, y], n) = (pin.at, pin.threads.len());
        ctx.set_fill_style_str(COMMENT_PIN);
        ctx.begin_path();
        let _ = ctx.arc(x, y, r, 0.0, std::f64::consts::TAU);
        ctx.fill();
        ctx.set_fill_style_str(WHITE);
        let _ = ctx.fill_text(&n.min(99).to_string(), x, y);
    }
}
