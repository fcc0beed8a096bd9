//! The camera: which part of the infinite board the canvas shows, and at what zoom.
//!
//! World coordinates are the document's (CSS pixels at 100%); screen coordinates are CSS
//! pixels from the canvas's top-left corner. `screen = (world - origin) * zoom`. Pure, so it
//! is unit-tested natively.

use crate::presence::Viewport;

/// Most zoomed out: a 10,000-note board fits in a laptop window.
pub const MIN_ZOOM: f64 = 0.05;
/// Most zoomed in: a note's text is still sharp, and nobody gets lost in one letter.
pub const MAX_ZOOM: f64 = 8.0;
/// Margin (screen pixels) left around the content by [`Camera::fit`].
const FIT_MARGIN: f64 = 40.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// World point at the canvas's top-left corner.
    pub origin: [f64; 2],
    pub zoom: f64,
}

impl Default for Camera {
    fn default() -> Self {
        Camera {
            origin: [0.0, 0.0],
            zoom: 1.0,
        }
    }
}

/// An axis-aligned rectangle in world coordinates: `[x, y, w, h]`.
pub type Rect = [f64; 4];

/// The smallest rectangle around all of `rects` (`None` if there are none).
pub fn enclosing(rects: impl IntoIterator<Item = Rect>) -> Option<Rect> {
    let mut rects = rects.into_iter();
    let first = rects.next()?;
    let mut b = [first[0], first[1], first[0] + first[2], first[1] + first[3]];
    for r in rects {
        b = [
            b[0].min(r[0]),
            b[1].min(r[1]),
            b[2].max(r[0] + r[2]),
            b[3].max(r[1] + r[3]),
        ];
    }
    Some([b[0], b[1], b[2] - b[0], b[3] - b[1]])
}

pub fn clamp_zoom(zoom: f64) -> f64 {
    if zoom.is_finite() {
        zoom.clamp(MIN_ZOOM, MAX_ZOOM)
    } else {
        1.0
    }
}

impl Camera {
    pub fn to_screen(self, world: [f64; 2]) -> [f64; 2] {
        [
            (world[0] - self.origin[0]) * self.zoom,
            (world[1] - self.origin[1]) * self.zoom,
        ]
    }

    pub fn to_world(self, screen: [f64; 2]) -> [f64; 2] {
        [
            screen[0] / self.zoom + self.origin[0],
            screen[1] / self.zoom + self.origin[1],
        ]
    }

    /// Moves the view by a screen-space delta (dragging the board right shows what is left).
    pub fn pan_by(&mut self, dx: f64, dy: f64) {
        self.origin[0] -= dx / self.zoom;
        self.origin[1] -= dy / self.zoom;
    }

    /// Zooms to `zoom` keeping the world point under `screen` where it is.
    pub fn zoom_at(&mut self, screen: [f64; 2], zoom: f64) {
        let anchor = self.to_world(screen);
        self.zoom = clamp_zoom(zoom);
        self.origin = [
            anchor[0] - screen[0] / self.zoom,
            anchor[1] - screen[1] / self.zoom,
        ];
    }

    /// The world rectangle visible in a canvas of `size` CSS pixels.
    pub fn visible(&self, size: [f64; 2]) -> Rect {
        [
            self.origin[0],
            self.origin[1],
            size[0] / self.zoom,
            size[1] / self.zoom,
        ]
    }

    /// The [`Viewport`] (centre and zoom) of a canvas of `size`.
    pub fn viewport(&self, size: [f64; 2]) -> Viewport {
        let centre = self.to_world([size[0] / 2.0, size[1] / 2.0]);
        Viewport {
            x: centre[0],
            y: centre[1],
            zoom: self.zoom,
        }
    }

    /// The camera that shows `viewport` in a canvas of `size`.
    pub fn from_viewport(viewport: Viewport, size: [f64; 2]) -> Camera {
        let zoom = clamp_zoom(viewport.zoom);
        let x = if viewport.x.is_finite() {
            viewport.x
        } else {
            0.0
        };
        let y = if viewport.y.is_finite() {
            viewport.y
        } else {
            0.0
        };
        Camera {
            origin: [x - size[0] / 2.0 / zoom, y - size[1] / 2.0 / zoom],
            zoom,
        }
    }

    /// The camera that shows all of `bounds` in a canvas of `size`, centred, at most 100%.
    pub fn fit(bounds: Rect, size: [f64; 2]) -> Camera {
        let avail = [
            (size[0] - 2.0 * FIT_MARGIN).max(1.0),
            (size[1] - 2.0 * FIT_MARGIN).max(1.0),
        ];
        let zoom = clamp_zoom(
            (avail[0] / bounds[2].max(1.0))
                .min(avail[1] / bounds[3].max(1.0))
                .min(1.0),
        );
        let centre = Viewport {
            x: bounds[0] + bounds[2] / 2.0,
            y: bounds[1] + bounds[3] / 2.0,
            zoom,
        };
        Camera::from_viewport(centre, size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 2], b: [f64; 2]) -> bool {
        (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9
    }

    #[test]
    fn round_trips_between_world_and_screen() {
        let cam = Camera {
            origin: [100.0, -50.0],
            zoom: 2.5,
        };
        let p = [123.0, 456.0];
        assert!(close(cam.to_world(cam.to_screen(p)), p));
        assert!(close(cam.to_screen([100.0, -50.0]), [0.0, 0.0]));
    }

    #[test]
    fn zooms_about_the_pointer_and_clamps() {
        let mut cam = Camera::default();
        let under = cam.to_world([300.0, 200.0]);
        cam.zoom_at([300.0, 200.0], 3.0);
        assert!(close(cam.to_world([300.0, 200.0]), under));
        cam.zoom_at([0.0, 0.0], 1000.0);
        assert_eq!(cam.zoom, MAX_ZOOM);
        cam.zoom_at([0.0, 0.0], 0.0);
        assert_eq!(cam.zoom, MIN_ZOOM);
        cam.zoom_at([0.0, 0.0], f64::NAN);
        assert_eq!(cam.zoom, 1.0);
    }

    #[test]
    fn pans_in_screen_pixels() {
        let mut cam = Camera {
            origin: [0.0, 0.0],
            zoom: 2.0,
        };
        cam.pan_by(20.0, -10.0);
        assert!(close(cam.origin, [-10.0, 5.0]));
    }

    #[test]
    fn viewport_round_trips_and_fit_contains_bounds() {
        let size = [1000.0, 600.0];
        let cam = Camera {
            origin: [10.0, 20.0],
            zoom: 0.5,
        };
        let back = Camera::from_viewport(cam.viewport(size), size);
        assert!(close(back.origin, cam.origin));
        assert_eq!(back.zoom, cam.zoom);

        let bounds = [-500.0, 0.0, 4000.0, 1000.0];
        let fit = Camera::fit(bounds, size);
        let seen = fit.visible(size);
        assert!(seen[0] <= bounds[0] && seen[0] + seen[2] >= bounds[0] + bounds[2]);
        assert!(seen[1] <= bounds[1] && seen[1] + seen[3] >= bounds[1] + bounds[3]);
        // Small content is shown at 100%, not blown up.
        assert_eq!(Camera::fit([0.0, 0.0, 10.0, 10.0], size).zoom, 1.0);
    }
}
