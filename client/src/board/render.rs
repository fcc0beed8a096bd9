//! Drawing a frame on the Canvas 2D: dot grid, the visible items bottom to top, selection,
//! peers, marquee.
//!
//! The context is scaled by `devicePixelRatio x zoom` once per frame and items are drawn in
//! world units, so everything is crisp at any zoom. Only the items the grid returns for the
//! visible rectangle are touched. Far out, notes are plain rectangles batched by colour (one
//! path per colour); close in, they are rounded, with their cached wrapped text and tag chips.
//! Font and colour strings are constants: nothing is formatted per item per frame.

use huddle_shared::model::{Color, ItemKind};
use web_sys::CanvasRenderingContext2d;

use super::input::Gesture;
use super::layout::{TextLayout, wrap};
use super::scene::Item;
use super::{State, camera::Camera};

/// Note text size, line height and padding, in world units (CSS px at 100%). The editor
/// overlay uses the same numbers so text does not jump when editing starts.
pub const FONT_PX: f64 = 16.0;
pub const LINE_PX: f64 = 20.0;
pub const PAD_PX: f64 = 12.0;
pub const FONT: &str = "16px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const CHIP_FONT: &str = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const TITLE_FONT: &str = "600 14px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const CHIP_H: f64 = 18.0;
const RADIUS: f64 = 6.0;
const INK: &str = "#1f2328";
const ACCENT: &str = "#3b5bdb";
const PAPER: &str = "#f6f8fa";
const DOT: &str = "#c9d1d9";
const SHADOW: &str = "rgba(0,0,0,0.10)";
const CHIP_BG: &str = "rgba(0,0,0,0.09)";
/// Below this on-screen size (px) notes are plain rectangles batched by colour.
const DETAIL_PX: f64 = 24.0;
/// Below this on-screen font size (px) text is not drawn (unreadable anyway).
const MIN_TEXT_PX: f64 = 6.0;
/// Text layouts computed per frame at most; the rest wait for the next frame, so a jump to a
/// crowded area never blocks one frame for long.
const LAYOUTS_PER_FRAME: usize = 400;
/// Dot grid: world spacing, doubled until the dots are at least this far apart on screen.
const DOT_STEP: f64 = 24.0;
const MIN_DOT_GAP_PX: f64 = 18.0;
/// Where a single selected note's resize handle is: this many screen px square.
pub const HANDLE_PX: f64 = 12.0;

#[derive(Clone, Copy, PartialEq)]
enum Font {
    None,
    Note,
    Chip,
    Title,
}

struct Pen<'a> {
    ctx: &'a CanvasRenderingContext2d,
    font: Font,
    zoom: f64,
    budget: usize,
    complete: bool,
}

impl Pen<'_> {
    fn font(&mut self, font: Font) {
        if self.font != font {
            self.font = font;
            self.ctx.set_font(match font {
                Font::Note | Font::None => FONT,
                Font::Chip => CHIP_FONT,
                Font::Title => TITLE_FONT,
            });
        }
    }

    fn measure(&self, s: &str) -> f64 {
        self.ctx.measure_text(s).map_or(0.0, |m| m.width())
    }

    /// The item's layout, computed now if the frame's budget allows.
    fn layout<'i>(&mut self, item: &'i mut Item, size: [f64; 2]) -> Option<&'i TextLayout> {
        if item.layout.is_none() {
            if self.budget == 0 {
                self.complete = false;
                return None;
            }
            self.budget -= 1;
            let chips_h = if item.tags.is_empty() {
                0.0
            } else {
                CHIP_H + 6.0
            };
            let max_lines = ((size[1] - 2.0 * PAD_PX - chips_h) / LINE_PX)
                .floor()
                .max(0.0);
            self.font(Font::Note);
            let lines = wrap(
                &item.text,
                size[0] - 2.0 * PAD_PX,
                max_lines as usize,
                &|s| self.measure(s),
            );
            self.font(Font::Chip);
            let chips = item
                .tags
                .iter()
                .map(|t| {
                    let label = format!("#{t}");
                    let w = self.measure(&label);
                    (label, w)
                })
                .collect();
            item.layout = Some(TextLayout { lines, chips });
        }
        item.layout.as_ref()
    }
}

/// Draws the whole frame; `false` if some visible text was left for the next frame.
pub fn draw(s: &mut State) -> bool {
    let State {
        ctx,
        camera,
        scene,
        visible,
        size,
        dpr,
        gesture,
        selection,
        editor,
        presence,
        ..
    } = s;
    let (ctx, gesture, selection) = (&*ctx, &*gesture, &*selection);
    let (cam, dpr, size) = (*camera, *dpr, *size);
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.set_fill_style_str(PAPER);
    ctx.fill_rect(0.0, 0.0, size[0], size[1]);
    dots(ctx, &cam, size);

    let k = dpr * cam.zoom;
    let _ = ctx.set_transform(k, 0.0, 0.0, k, -cam.origin[0] * k, -cam.origin[1] * k);
    ctx.set_text_baseline("top");
    let view = cam.visible(size);
    scene.visible(view, visible);

    let (dragged, offset) = match gesture {
        Gesture::Drag {
            slots,
            offset,
            moved: true,
            ..
        } => (Some(&slots[..]), *offset),
        _ => (None, [0.0, 0.0]),
    };
    let resized = match gesture {
        Gesture::Resize { slot, size, .. } => Some((*slot, *size)),
        _ => None,
    };
    let editing = editor.as_ref().and_then(|e| scene.slot_of(&e.id));
    let mut pen = Pen {
        ctx,
        font: Font::None,
        zoom: cam.zoom,
        budget: LAYOUTS_PER_FRAME,
        complete: true,
    };

    if DEFAULT_SIDE * cam.zoom < DETAIL_PX {
        batched(&pen, scene, visible, dragged);
    } else {
        for &slot in visible.iter() {
            if dragged.is_some_and(|d| d.binary_search(&slot).is_ok()) {
                continue;
            }
            let Some(item) = scene.slot_mut(slot) else {
                continue;
            };
            let size = match resized {
                Some((s, size)) if s == slot => size,
                _ => item.size,
            };
            let pos = item.pos;
            item_at(&mut pen, item, pos, size, editing == Some(slot));
        }
    }
    // Dragged items on top, where the pointer has them.
    if let Some(dragged) = dragged {
        for &slot in dragged.iter() {
            if let Some(item) = scene.slot_mut(slot) {
                let pos = [item.pos[0] + offset[0], item.pos[1] + offset[1]];
                let size = item.size;
                item_at(&mut pen, item, pos, size, false);
            }
        }
    }

    // Our selection, and the resize handle of a single selected item.
    let z = cam.zoom;
    ctx.set_stroke_style_str(ACCENT);
    ctx.set_line_width(2.0 / z);
    for id in selection.iter() {
        let Some(slot) = scene.slot_of(id) else {
            continue;
        };
        let Some(item) = scene.slot(slot) else {
            continue;
        };
        let moved = dragged.is_some_and(|d| d.binary_search(&slot).is_ok());
        let pos = if moved {
            [item.pos[0] + offset[0], item.pos[1] + offset[1]]
        } else {
            item.pos
        };
        let size = match resized {
            Some((s, size)) if s == slot => size,
            _ => item.size,
        };
        ctx.stroke_rect(pos[0], pos[1], size[0], size[1]);
        if selection.len() == 1 {
            let h = HANDLE_PX / z;
            ctx.set_fill_style_str("#ffffff");
            ctx.fill_rect(pos[0] + size[0] - h / 2.0, pos[1] + size[1] - h / 2.0, h, h);
            ctx.stroke_rect(pos[0] + size[0] - h / 2.0, pos[1] + size[1] - h / 2.0, h, h);
        }
    }

    if let Some(presence) = presence {
        super::peers::draw(ctx, scene, &cam, dpr, &presence.peers());
    }

    if let Gesture::Marquee { start, now, .. } = gesture {
        let r = super::input::rect_of(*start, *now);
        ctx.set_fill_style_str("rgba(59,91,219,0.08)");
        ctx.fill_rect(r[0], r[1], r[2], r[3]);
        ctx.set_line_width(1.0 / z);
        ctx.set_stroke_style_str(ACCENT);
        ctx.stroke_rect(r[0], r[1], r[2], r[3]);
    }
    pen.complete
}

/// The side of a default note, for choosing the level of detail.
const DEFAULT_SIDE: f64 = 200.0;

/// Far out: one path per colour of plain rectangles (stacking among overlapping tiny notes
/// is not visible at this size).
fn batched(pen: &Pen, scene: &super::scene::Scene, visible: &[u32], skip: Option<&[u32]>) {
    let ctx = pen.ctx;
    for color in Color::ALL {
        ctx.begin_path();
        let mut any = false;
        for &slot in visible {
            let Some(item) = scene.slot(slot) else {
                continue;
            };
            if item.color != color || item.kind == ItemKind::Connector {
                continue;
            }
            if skip.is_some_and(|d| d.binary_search(&slot).is_ok()) {
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

fn item_at(pen: &mut Pen, item: &mut Item, pos: [f64; 2], size: [f64; 2], editing: bool) {
    let ctx = pen.ctx;
    let z = pen.zoom;
    match item.kind {
        ItemKind::Connector => {}
        ItemKind::Frame => {
            ctx.set_fill_style_str("rgba(255,255,255,0.7)");
            ctx.fill_rect(pos[0], pos[1], size[0], size[1]);
            ctx.set_stroke_style_str("#8c959f");
            ctx.set_line_width(1.0 / z);
            ctx.stroke_rect(pos[0], pos[1], size[0], size[1]);
            if 14.0 * z >= MIN_TEXT_PX && !editing {
                pen.font(Font::Title);
                ctx.set_fill_style_str(INK);
                let title = item.text.lines().next().unwrap_or("Frame");
                let _ = ctx.fill_text(title, pos[0], pos[1] - 20.0);
            }
        }
        ItemKind::Text => {
            if editing || FONT_PX * z < MIN_TEXT_PX {
                return;
            }
            text(pen, item, pos, size);
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
            if editing || FONT_PX * z < MIN_TEXT_PX {
                return;
            }
            text(pen, item, pos, size);
        }
    }
}

/// The item's wrapped text and tag chips.
fn text(pen: &mut Pen, item: &mut Item, pos: [f64; 2], size: [f64; 2]) {
    let ctx = pen.ctx;
    let Some(layout) = pen.layout(item, size) else {
        return;
    };
    // `layout` borrows the item, not the pen: set the font through the context directly.
    ctx.set_font(FONT);
    ctx.set_fill_style_str(INK);
    // Centred in the line box, as the editor's textarea places it.
    let mut y = pos[1] + PAD_PX + (LINE_PX - FONT_PX) / 2.0;
    for line in &layout.lines {
        let _ = ctx.fill_text(line, pos[0] + PAD_PX, y);
        y += LINE_PX;
    }
    if !layout.chips.is_empty() {
        ctx.set_font(CHIP_FONT);
        let mut x = pos[0] + PAD_PX;
        let y = pos[1] + size[1] - PAD_PX - CHIP_H;
        for (label, w) in &layout.chips {
            let width = w + 12.0;
            if x + width > pos[0] + size[0] - PAD_PX {
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
    pen.font = Font::None;
}

/// The dot grid, in screen space (the context is at `dpr` scale only).
fn dots(ctx: &CanvasRenderingContext2d, cam: &Camera, size: [f64; 2]) {
    let mut step = DOT_STEP;
    while step * cam.zoom < MIN_DOT_GAP_PX {
        step *= 2.0;
    }
    let view = cam.visible(size);
    let first = [
        (view[0] / step).ceil() * step,
        (view[1] / step).ceil() * step,
    ];
    ctx.set_fill_style_str(DOT);
    ctx.begin_path();
    let mut x = first[0];
    while x <= view[0] + view[2] {
        let sx = (x - cam.origin[0]) * cam.zoom;
        let mut y = first[1];
        while y <= view[1] + view[3] {
            let sy = (y - cam.origin[1]) * cam.zoom;
            ctx.rect(sx - 1.0, sy - 1.0, 2.0, 2.0);
            y += step;
        }
        x += step;
    }
    ctx.fill();
}
