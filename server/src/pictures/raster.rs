//! SVG to PNG with resvg, at a scale, within [`MAX_PIXELS`].

use huddle_shared::export::picture::Picture;
use resvg::{tiny_skia, usvg};

use super::{MAX_PIXELS, PictureError, fonts};

/// The pixel size of `picture` at `scale`, or why it is too large.
pub fn size(picture: &Picture, scale: f64) -> Result<(u32, u32), PictureError> {
    let w = (picture.view[2] * scale).ceil().max(1.0);
    let h = (picture.view[3] * scale).ceil().max(1.0);
    let (width, height) = (w as u64, h as u64);
    if width.saturating_mul(height) > MAX_PIXELS || width > u64::from(u32::MAX) {
        return Err(PictureError::TooLarge {
            width,
            height,
            max: MAX_PIXELS,
        });
    }
    Ok((width as u32, height as u32))
}

/// `picture` as PNG bytes, `scale` pixels per world unit.
pub fn png(picture: &Picture, scale: f64) -> Result<Vec<u8>, PictureError> {
    let (w, h) = size(picture, scale)?;
    let tree = usvg::Tree::from_str(&picture.svg, &fonts::options())
        .map_err(|e| PictureError::Render(e.to_string()))?;
    let mut pixmap = tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| PictureError::Render(format!("no {w} x {h} canvas")))?;
    let s = scale as f32;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(s, s),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| PictureError::Render(e.to_string()))
}
