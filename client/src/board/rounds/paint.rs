//! Rounds on the canvas, drawn over the items: a dashed outline on the open round's items,
//! your own dots on them (dot votes), a count badge on each item of the latest revealed dot
//! vote, and a mark on a proposal whose latest fist to five holds dissent. Sizes are in
//! screen pixels, so badges stay readable at any zoom.

use web_sys::CanvasRenderingContext2d;

use super::{Rounds, ballot};
use crate::board::scene::Scene;
use crate::board::style::{DISSENT, MY_DOTS, ROUND_TARGETS, VOTE_BADGE, WHITE, badge_font};

/// Radius of a count badge, screen px.
const BADGE_R: f64 = 11.0;
/// Radius of one of your dots, screen px.
const DOT_R: f64 = 5.0;

pub fn draw(
    ctx: &CanvasRenderingContext2d,
    rounds: &Rounds,
    scene: &Scene,
    visible: &[u32],
    zoom: f64,
) {
    let active = rounds.active_view();
    if rounds.votes.is_empty() && rounds.dissented.is_empty() && active.is_none() {
        return;
    }
    let z = zoom.max(0.01);
    ctx.set_text_baseline("middle");
    ctx.set_text_align("center");
    for &slot in visible {
        let Some(item) = scene.slot(slot).filter(|i| !i.hidden && !i.is_connector()) else {
            continue;
        };
        let [x, y] = item.pos;
        let [w, h] = item.size;
        if let Some(view) = active.filter(|v| v.round.targets.contains(&item.id)) {
            ctx.set_stroke_style_str(ROUND_TARGETS);
            ctx.set_line_width(2.0 / z);
            let dash = js_sys::Array::of2(&(6.0 / z).into(), &(4.0 / z).into());
            let _ = ctx.set_line_dash(&dash);
            let pad = 4.0 / z;
            ctx.stroke_rect(x - pad, y - pad, w + 2.0 * pad, h + 2.0 * pad);
            let _ = ctx.set_line_dash(&js_sys::Array::new());
            let mine = ballot::dots_on(view, &item.id);
            ctx.set_fill_style_str(MY_DOTS);
            for i in 0..mine.min(20) {
                let r = DOT_R / z;
                let cx = x + r * 1.6 + f64::from(i) * r * 2.4;
                ctx.begin_path();
                let _ = ctx.arc(cx, y + h - r * 1.6, r, 0.0, std::f64::consts::TAU);
                ctx.fill();
            }
        }
        if let Some(&n) = rounds.votes.get(&item.id).filter(|n| **n > 0) {
            let r = BADGE_R / z;
            let (cx, cy) = (x + w - r * 0.4, y + r * 0.4);
            ctx.set_fill_style_str(VOTE_BADGE);
            ctx.begin_path();
            let _ = ctx.arc(cx, cy, r, 0.0, std::f64::consts::TAU);
            ctx.fill();
            ctx.set_fill_style_str(WHITE);
            ctx.set_font(&badge_font(12.0 / z));
            let _ = ctx.fill_text(&n.to_string(), cx, cy);
        }
        if rounds.dissented.contains(&item.id) {
            let r = BADGE_R / z;
            let (cx, cy) = (x + r * 0.4, y + r * 0.4);
            ctx.set_fill_style_str(DISSENT);
            ctx.begin_path();
            ctx.move_to(cx, cy - r);
            ctx.line_to(cx + r, cy + r * 0.8);
            ctx.line_to(cx - r, cy + r * 0.8);
            ctx.close_path();
            ctx.fill();
            ctx.set_fill_style_str(WHITE);
            ctx.set_font(&badge_font(12.0 / z));
            let _ = ctx.fill_text("!", cx, cy + r * 0.15);
        }
    }
    ctx.set_text_align("start");
    ctx.set_text_baseline("top");
}
