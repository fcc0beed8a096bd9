//! Painting one item: notes (rounded, shadowed, wrapped text, tag chips), frames (an area
//! with a title band), text labels (text only). Far out, notes are plain rectangles batched
//! by colour (one path per colour). Text is laid out once per item and cached in the scene
//! ([`super::layout`]), a bounded number of items per frame.

use huddle_shared::model::{Color, ItemKind};
use web_sys::CanvasRenderingContext2d;

use super::geometry::{FRAME_TITLE, text_box};
use super::layout::{TextLayout, wrap};
use super::scene::{Item, Scene};
use super::style::{
    BAND, CHIP_BG, FRAME_FILL, INK, LINE, MIN_TEXT_PX, SHADOW, SMALL_FONT, text_style,
};

/// A tag chip's height (world units): fits [`SMALL_FONT`] with a little air.
const CHIP_H: f64 = 18.0;
/// A note's corner radius (world units).
const RADIUS: f64 = 6.0;
/// Below this on-screen size (px) notes are plain rectangles.
pub const DETAIL_PX: f64 = 24.0;

pub struct Pen<'a> {
    pub ctx: &'a CanvasRenderingContext2d,
    /// The font last set on the context (set only when it changes).
    font: &'static str,
    pub zoom: f64,
    /// Text layouts this frame may still compute.
    pub budget: usize,
    /// Whether every visible text was drawn.
    pub complete: bool,
}

impl<'a> Pen<'a> {
    pub fn new(ctx: &'a CanvasRenderingContext2d, zoom: f64, budget: usize) -> Self {
        Pen {
            ctx,
            font: "",
            zoom,
            budget,
            complete: true,
        }
    }

    fn font(&mut self, font: &'static str) {
        if self.font != font {
            self.font = font;
            self.ctx.set_font(font);
        }
    }

    fn measure(&self, s: &str) -> f64 {
        self.ctx.measure_text(s).map_or(0.0, |m| m.width())
    }

    /// The item's layout for a text box of `size`, computed now if the frame's budget allows.
    fn layout<'i>(&mut self, item: &'i mut Item, size: [f64; 2]) -> Option<&'i TextLayout> {
        if item.layout.is_none() {
            if self.budget == 0 {
                self.complete = false;
                return None;
            }
            self.budget -= 1;
            let style = text_style(&item.kind);
            let chips_h = if item.tags.is_empty() && item.badges.is_empty() {
                0.0
            } else {
                CHIP_H + 6.0
            };
            let max_lines = ((size[1] - 2.0 * style.pad - chips_h) / style.line)
                .floor()
                .max(1.0);
            self.font(style.font);
            let lines = wrap(
                &item.text,
                size[0] - 2.0 * style.pad,
                max_lines as usize,
                &|s| self.measure(s),
            );
            self.font(SMALL_FONT);
            let chips = item
                .badges
                .iter()
                .cloned()
                .chain(item.tags.iter().map(|t| format!("#{t}")))
                .map(|label| {
                    let w = self.measure(&label);
                    (label, w)
                })
                .collect();
            item.layout = Some(TextLayout { lines, chips });
        }
        item.layout.as_ref()
    }

    /// Paints `item` at `pos` with `size` (a drag or resize in progress may differ from the
    /// item's own); `editing`: its text is in the editor, not painted.
    pub fn item(&mut self, item: &mut Item, pos: [f64; 2], size: [f64; 2], editing: bool) {
        let ctx = self.ctx;
        let z = self.zoom;
        match item.kind {
            // Story maps are painted from their layout, not as items of their own; RACI
            // matrices by `super::raci`, which reads their rows' linked items too.
            ItemKind::Connector
            | ItemKind::Raci
            | ItemKind::StoryMap
            | ItemKind::Activity
            | ItemKind::Step
            | ItemKind::Release => {}
            ItemKind::Frame => {
                ctx.set_fill_style_str(FRAME_FILL);
                ctx.fill_rect(pos[0], pos[1], size[0], size[1]);
                ctx.set_fill_style_str(BAND);
                ctx.fill_rect(pos[0], pos[1], size[0], FRAME_TITLE.min(size[1]));
                ctx.set_stroke_style_str(LINE);
                ctx.set_line_width(1.0 / z);
                ctx.stroke_rect(pos[0], pos[1], size[0], size[1]);
                if !editing {
                    self.text(item, pos, size);
                }
            }
            ItemKind::Text => {
                if !editing {
                    self.text(item, pos, size);
                }
            }
            ItemKind::Note | ItemKind::Other(_) => {
                if size[0] * z < DETAIL_PX || size[1] * z < DETAIL_PX {
                    ctx.set_fill_style_str(item.color.hex());
                    ctx.fill_rect(pos[0], pos[1], size[0], size[1]);
                    return;
                }
                ctx.set_fill_style_str(SHADOW);
                ctx.fill_rect(pos[0] + 1.0, pos[1] + 3.0, size[0], size[1]);
                ctx.set_fill_style_str(item.color.hex());
                ctx.begin_path();
                let _ = ctx.round_rect_with_f64(pos[0], pos[1], size[0], size[1], RADIUS);
                ctx.fill();
                if !editing {
                    self.text(item, pos, size);
                }
            }
        }
    }

    /// The item's wrapped text and tag chips.
    fn text(&mut self, item: &mut Item, pos: [f64; 2], size: [f64; 2]) {
        let style = text_style(&item.kind);
        if style.size * self.zoom < MIN_TEXT_PX {
            return;
        }
        let b = text_box(&item.kind, pos, size);
        let ctx = self.ctx;
        self.font(style.font);
        let font_after = if item.tags.is_empty() && item.badges.is_empty() {
            style.font
        } else {
            SMALL_FONT
        };
        let Some(layout) = self.layout(item, [b[2], b[3]]) else {
            return;
        };
        // Layout may have switched fonts: set the text font again.
        ctx.set_font(style.font);
        ctx.set_fill_style_str(INK);
        let mut y = b[1] + style.pad + (style.line - style.size) / 2.0;
        for line in &layout.lines {
            let _ = ctx.fill_text(line, b[0] + style.pad, y);
            y += style.line;
        }
        if !layout.chips.is_empty() {
            ctx.set_font(SMALL_FONT);
            let mut x = b[0] + style.pad;
            let y = b[1] + b[3] - style.pad - CHIP_H;
            for (label, w) in &layout.chips {
                let width = w + 12.0;
                if x + width > b[0] + b[2] - style.pad {
                    break;
                }
                ctx.set_fill_style_str(CHIP_BG);
                ctx.begin_path();
                let _ = ctx.round_rect_with_f64(x, y, width, CHIP_H, CHIP_H / 2.0);
                ctx.fill();
                ctx.set_fill_style_str(INK);
                let _ = ctx.fill_text(label, x + 6.0, y + 3.0);
                x += width + 4.0;
            }
        }
        self.font = font_after;
    }
}

/// Far out: frames as outlines, then one path per colour of plain note rectangles (stacking
/// among overlapping tiny notes is not visible at this size). Labels are too small to show.
pub fn batched(pen: &Pen, scene: &Scene, visible: &[u32], skip: Option<&[u32]>) {
    let ctx = pen.ctx;
    let shown = |slot: &u32| skip.is_none_or(|d| d.binary_search(slot).is_err());
    ctx.set_fill_style_str(FRAME_FILL);
    ctx.set_stroke_style_str(LINE);
    ctx.set_line_width(1.0 / pen.zoom);
    for slot in visible.iter().filter(|s| shown(s)) {
        // RACI matrices are outlined like frames this far out (their letters are unreadable).
        if let Some(item) = scene
            .slot(*slot)
            .filter(|i| matches!(i.kind, ItemKind::Frame | ItemKind::Raci))
        {
            ctx.fill_rect(item.pos[0], item.pos[1], item.size[0], item.size[1]);
            ctx.stroke_rect(item.pos[0], item.pos[1], item.size[0], item.size[1]);
        }
    }
    for color in Color::ALL {
        ctx.begin_path();
        let mut any = false;
        for slot in visible.iter().filter(|s| shown(s)) {
            let Some(item) = scene.slot(*slot) else {
                continue;
            };
            if item.color != color || !matches!(item.kind, ItemKind::Note | ItemKind::Other(_)) {
                continue;
            }
            ctx.rect(item.pos[0], item.pos[1], item.size[0], item.size[1]);
            any = true;
        }
        if any {
            ctx.set_fill_style_str(color.hex());
            ctx.fill();
        }
    }
}
