//! Story maps as the page paints them (`client/src/board/storymap/paint.rs`): the area, the
//! title with the map's total points, activity cards with their totals, step cards, and the
//! release slices with their names, points and tech-debt share. The "+" buttons and the
//! collapse chevrons are controls, not content, and are left out.

use super::Measure;
use super::paint::{BASELINE, INK};
use super::scene::Laid;
use super::svg::{Paint, Svg, TextAttrs};
use crate::storymap::labels::{release_summary, with_unit};
use crate::storymap::{LABEL_WIDTH, PartBox};

const AREA: &str = "#ffffff";
const AREA_LINE: &str = "#afb8c1";
const ACTIVITY: &str = "#d0ebff";
const STEP: &str = "#e7f5ff";
const IMPLICIT: &str = "#eaeef2";
const QUIET: &str = "#6e7781";
const SEPARATOR: &str = "#8c959f";
const PAD: f64 = 8.0;
const RADIUS: f64 = 6.0;
/// Room the page keeps for a chevron at a card's right.
const CHEVRON: f64 = 24.0;
const GAP: f64 = crate::storymap::GAP;

fn attrs(size: f64, bold: bool, color: &'static str) -> TextAttrs {
    TextAttrs {
        size,
        bold,
        color,
        centred: false,
        squeeze_to: None,
    }
}

/// Text whose top is at `top`, squeezed to `max` wide if wider (as the canvas does).
fn fitted(svg: &mut Svg, m: &dyn Measure, x: f64, top: f64, text: &str, a: TextAttrs, max: f64) {
    let squeeze_to = (m.width(text, a.size, a.bold) > max).then_some(max);
    svg.text(
        x,
        top + BASELINE * a.size,
        text,
        TextAttrs { squeeze_to, ..a },
    );
}

pub fn map(svg: &mut Svg, laid: &Laid, m: &dyn Measure) {
    let l = &laid.layout;
    let b = l.bounds;
    svg.open_item(&l.map, "storymap");
    svg.rect(
        [b.x, b.y, b.w, b.h],
        0.0,
        Some(Paint {
            color: AREA,
            opacity: 0.7,
        }),
        Some((AREA_LINE, 1.0)),
    );
    let total: f64 = laid.map.release_totals.iter().map(|t| t.points).sum();
    let title = if laid.map.title.is_empty() {
        "Story map"
    } else {
        laid.map.title.as_str()
    };
    let line = format!("{title} - {}", with_unit(total));
    fitted(
        svg,
        m,
        b.x + 12.0,
        b.y + 12.0,
        &line,
        attrs(18.0, true, INK),
        b.w - 24.0,
    );

    for (i, a) in l.activities.iter().enumerate() {
        card(svg, m, a, ACTIVITY);
        let pts = laid.map.activities.get(i).map_or(0.0, |a| a.totals.points);
        let r = a.rect;
        svg.text(
            r.x + PAD,
            r.bottom() - 22.0 + BASELINE * 13.0,
            &with_unit(pts),
            attrs(13.0, false, QUIET),
        );
    }
    for s in &l.steps {
        card(svg, m, s, STEP);
    }
    for (i, band) in l.releases.iter().enumerate() {
        let r = band.rect;
        let width = if band.id.is_some() { 2.0 } else { 1.0 };
        svg.line([r.x, r.y], [r.right(), r.y], SEPARATOR, width);
        let totals = laid.map.release_totals.get(i).copied().unwrap_or_default();
        let ink = if band.id.is_some() { INK } else { QUIET };
        let max = LABEL_WIDTH - 2.0 * PAD - CHEVRON;
        fitted(
            svg,
            m,
            r.x + PAD,
            r.y + PAD,
            &band.name,
            attrs(15.0, true, ink),
            max,
        );
        let summary = release_summary(&band.name, &totals);
        let rest = summary.strip_prefix(band.name.as_str()).unwrap_or(&summary);
        let rest = rest.trim_start_matches(" - ");
        let small = attrs(13.0, false, QUIET);
        if band.collapsed {
            svg.text(
                r.x + LABEL_WIDTH + GAP,
                r.y + PAD + 4.0 + BASELINE * 13.0,
                rest,
                small,
            );
        } else {
            for (n, part) in rest.split(" - ").enumerate() {
                let top = r.y + PAD + 22.0 + n as f64 * 17.0;
                fitted(svg, m, r.x + PAD, top, part, small, LABEL_WIDTH - 2.0 * PAD);
            }
        }
    }
    svg.close();
}

/// An activity or step card with its name (implicit parts in grey).
fn card(svg: &mut Svg, m: &dyn Measure, part: &PartBox, fill: &'static str) {
    let r = part.rect;
    let implicit = part.id.is_none();
    let fill = if implicit { IMPLICIT } else { fill };
    svg.rect([r.x, r.y, r.w, r.h], RADIUS, Some(Paint::solid(fill)), None);
    let ink = if implicit { QUIET } else { INK };
    let max = r.w - 2.0 * PAD - CHEVRON;
    fitted(
        svg,
        m,
        r.x + PAD,
        r.y + PAD,
        &part.name,
        attrs(15.0, true, ink),
        max,
    );
}
