//! SVG pictures to one PDF, a page each: svg2pdf turns each into a form XObject (vector, text
//! as text with the embedded font subset), and pdf-writer puts them on pages of their own
//! size (1 CSS px = 0.75 pt, as browsers print; pages larger than a PDF reader shows, 200
//! inches, are scaled down to fit).

use std::collections::HashMap;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref};
use resvg::usvg;

use super::{PictureError, fonts};

/// Points per CSS pixel.
const PT_PER_PX: f32 = 0.75;
/// The largest page side PDF readers show (Acrobat's limit: 200 inches).
const MAX_PAGE_PT: f32 = 14_400.0;

/// One PDF with a page per SVG, in order.
pub fn document(pages: &[String]) -> Result<Vec<u8>, PictureError> {
    let options = fonts::options();
    let mut next = Ref::new(1);
    let mut alloc = || next.bump();
    let catalog = alloc();
    let tree_id = alloc();
    let mut pdf = Pdf::new();
    let mut kids = Vec::new();
    let name = Name(b"P");
    for svg in pages {
        let tree =
            usvg::Tree::from_str(svg, &options).map_err(|e| PictureError::Render(e.to_string()))?;
        let (chunk, xobject) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
            .map_err(|e| PictureError::Render(e.to_string()))?;
        let mut map = HashMap::new();
        let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(&mut alloc));
        let xobject = *map
            .get(&xobject)
            .ok_or_else(|| PictureError::Render("the page's object was lost".into()))?;
        let size = tree.size();
        let (mut w, mut h) = (size.width() * PT_PER_PX, size.height() * PT_PER_PX);
        let fit = (MAX_PAGE_PT / w.max(h)).min(1.0);
        (w, h) = (w * fit, h * fit);
        let page = alloc();
        let content = alloc();
        kids.push(page);
        let mut p = pdf.page(page);
        p.media_box(Rect::new(0.0, 0.0, w, h));
        p.parent(tree_id);
        p.contents(content);
        p.resources().x_objects().pair(name, xobject);
        p.finish();
        let mut c = Content::new();
        c.transform([w, 0.0, 0.0, h, 0.0, 0.0]).x_object(name);
        pdf.stream(content, &c.finish());
        pdf.extend(&chunk);
    }
    pdf.catalog(catalog).pages(tree_id);
    let count = kids.len() as i32;
    pdf.pages(tree_id).kids(kids).count(count);
    Ok(pdf.finish())
}
