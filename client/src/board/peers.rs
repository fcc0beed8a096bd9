//! The seam to presence: what the board tells it (our cursor, selection, drag, viewport)
//! and what it gives back (the peers to draw). [`Presence`] implements it; the board works
//! without one too (then nobody else is drawn), which keeps the page testable on its own.

use huddle_shared::model::ItemKind;
use web_sys::CanvasRenderingContext2d;

use super::camera::Camera;
use super::scene::Scene;
use super::style::{SMALL_FONT, WHITE};
use crate::presence::{Peer, Presence, Viewport};

pub trait PresenceLink {
    /// Our pointer in world coordinates, `None` when it leaves the canvas.
    fn set_cursor(&self, world: Option<[f64; 2]>);
    fn set_selection(&self, ids: &[String]);
    /// Items being dragged and where they are now; empty when the drag ends.
    fn set_dragging(&self, items: &[(String, [f64; 2])]);
    fn set_viewport(&self, viewport: Viewport);
    /// The user panned or zoomed: stop following whoever we follow.
    fn stop_following(&self);
    /// Net's awareness changed.
    fn awareness_changed(&self);
    /// Everyone else, for drawing (called at draw time).
    fn peers(&self) -> Vec<Peer>;
    /// Our display name (for signing new items).
    fn author(&self) -> String;
}

impl PresenceLink for Presence {
    fn set_cursor(&self, world: Option<[f64; 2]>) {
        Presence::set_cursor(self, world);
    }
    fn set_selection(&self, ids: &[String]) {
        Presence::set_selection(self, ids);
    }
    fn set_dragging(&self, items: &[(String, [f64; 2])]) {
        Presence::set_dragging(self, items);
    }
    fn set_viewport(&self, viewport: Viewport) {
        Presence::set_viewport(self, viewport);
    }
    fn stop_following(&self) {
        Presence::stop_following(self);
    }
    fn awareness_changed(&self) {
        Presence::awareness_changed(self);
    }
    fn peers(&self) -> Vec<Peer> {
        Presence::peers(self)
    }
    fn author(&self) -> String {
        self.guest().name
    }
}

/// Draws others' selections (outlined in their colour), the notes they are dragging (ghosts
/// where they have them now) and their cursors with name labels. The context is in world
/// units on entry; cursors are drawn in screen space so they keep their size at any zoom.
pub fn draw(ctx: &CanvasRenderingContext2d, scene: &Scene, cam: &Camera, dpr: f64, peers: &[Peer]) {
    let z = cam.zoom;
    ctx.set_line_width(2.0 / z);
    for peer in peers {
        ctx.set_stroke_style_str(&peer.color);
        for id in &peer.selection {
            // Not the stories this viewer has collapsed or filtered away.
            if let Some(item) = scene.get(id).filter(|i| !i.hidden) {
                let pad = 3.0 / z;
                ctx.stroke_rect(
                    item.pos[0] - pad,
                    item.pos[1] - pad,
                    item.size[0] + 2.0 * pad,
                    item.size[1] + 2.0 * pad,
                );
            }
        }
        ctx.set_global_alpha(0.55);
        for (id, pos) in &peer.dragging {
            if let Some(item) = scene.get(id) {
                // Ghosts: notes in their colour, frames and labels as outlines.
                if item.kind == ItemKind::Note {
                    ctx.set_fill_style_str(item.color.hex());
                    ctx.fill_rect(pos[0], pos[1], item.size[0], item.size[1]);
                }
                ctx.stroke_rect(pos[0], pos[1], item.size[0], item.size[1]);
            }
        }
        ctx.set_global_alpha(1.0);
    }

    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.set_font(LABEL_FONT);
    ctx.set_text_baseline("top");
    for peer in peers {
        let Some(world) = peer.cursor else {
            continue;
        };
        let [x, y] = cam.to_screen(world);
        ctx.set_fill_style_str(&peer.color);
        ctx.begin_path();
        ctx.move_to(x, y);
        ctx.line_to(x, y + 17.0);
        ctx.line_to(x + 4.5, y + 12.5);
        ctx.line_to(x + 12.0, y + 12.0);
        ctx.close_path();
        ctx.fill();
        ctx.set_stroke_style_str(WHITE);
        ctx.set_line_width(1.5);
        ctx.stroke();
        let width = ctx.measure_text(&peer.name).map_or(40.0, |m| m.width()) + 10.0;
        ctx.set_fill_style_str(&peer.color);
        ctx.begin_path();
        let _ = ctx.round_rect_with_f64(x + 10.0, y + 16.0, width, 18.0, 4.0);
        ctx.fill();
        // Guest colours are saturated: white reads on all of them.
        ctx.set_fill_style_str(WHITE);
        let _ = ctx.fill_text(&peer.name, x + 15.0, y + 19.0);
    }
}

/// Name labels under peers' cursors: the tag chips' small font.
const LABEL_FONT: &str = SMALL_FONT;
