//! The view: the canvas this page draws on and how the board is seen through it (size,
//! position in the page, pixel ratio, camera). One part of [`super::State`]: drawing,
//! hit-testing and the camera's commands read it; nothing in it is the document's.

use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement};

use super::camera::Camera;
use crate::dom;

pub struct View {
    pub canvas: HtmlCanvasElement,
    pub ctx: CanvasRenderingContext2d,
    /// Canvas size in CSS pixels and its top-left corner in the page (client coordinates).
    pub size: [f64; 2],
    pub canvas_at: [f64; 2],
    /// `devicePixelRatio`: backing-store pixels per CSS pixel, so lines are crisp.
    pub dpr: f64,
    pub camera: Camera,
}

impl View {
    /// A view of `canvas` at 1x1 until the first [`View::resize`].
    pub fn new(canvas: HtmlCanvasElement, ctx: CanvasRenderingContext2d) -> Self {
        View {
            canvas,
            ctx,
            size: [1.0, 1.0],
            canvas_at: [0.0, 0.0],
            dpr: 1.0,
            camera: Camera::default(),
        }
    }

    /// Re-reads the canvas size (the `stage`'s) and pixel ratio; resizes the backing store
    /// to match.
    pub fn resize(&mut self, stage: &Element) {
        let rect = stage.get_bounding_client_rect();
        let dpr = dom::window()
            .map_or(1.0, |w| w.device_pixel_ratio())
            .max(0.5);
        self.size = [rect.width().max(1.0), rect.height().max(1.0)];
        self.canvas_at = [rect.left(), rect.top()];
        self.dpr = dpr;
        self.canvas.set_width((self.size[0] * dpr).round() as u32);
        self.canvas.set_height((self.size[1] * dpr).round() as u32);
    }
}
