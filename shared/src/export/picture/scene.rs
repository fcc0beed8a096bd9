//! Which items a picture draws, where, in what order: the page's rules, from a snapshot.
//!
//! Stories placed on a story map are drawn in their cells (the map's layout overrides their
//! own `pos`), with their badges; stories the layout hides, and the map's own parts, are not
//! items of their own (the map draws its parts). Everything else is drawn at its place, in
//! stacking order. A connector is drawn when both of its ends are.

use std::collections::{HashMap, HashSet};

use super::{MARGIN, PictureError, Scope};
use crate::model::{BoardSnapshot, ItemKind, ItemSnapshot, latest_result};
use crate::rounds::Kind;
use crate::storymap::labels::badges;
use crate::storymap::{MapLayout, StoryMap, ViewOptions};

/// `[x, y, w, h]` in world units.
pub type Rect = [f64; 4];

/// One story map with its layout (as a viewer who collapsed nothing sees it).
pub struct Laid {
    pub map: StoryMap,
    pub layout: MapLayout,
}

/// An item to draw.
pub struct Shape<'a> {
    pub id: &'a str,
    pub item: &'a ItemSnapshot,
    pub rect: Rect,
    /// A story's badges (estimate, type, status, persona), drawn as chips before its tags.
    pub badges: Vec<String>,
    /// Dots of the latest revealed dot vote (0: none).
    pub votes: u32,
    /// The latest fist to five on it holds dissent.
    pub dissent: bool,
}

/// An arrow between two rectangles.
pub struct Arrow {
    pub from: Rect,
    pub to: Rect,
}

pub struct Scene<'a> {
    pub maps: Vec<Laid>,
    pub shapes: Vec<Shape<'a>>,
    pub arrows: Vec<Arrow>,
    /// The world rectangle shown; `None` for a picture with nothing in it.
    pub view: Option<Rect>,
}

/// Where the layout puts an item.
enum Placed {
    At(Rect, Vec<String>),
    Hidden,
}

impl<'a> Scene<'a> {
    pub fn build(board: &'a BoardSnapshot, scope: &Scope) -> Result<Scene<'a>, PictureError> {
        let maps: Vec<Laid> = StoryMap::all(board)
            .into_iter()
            .map(|map| {
                let layout = MapLayout::compute(&map, board, &ViewOptions::default());
                Laid { map, layout }
            })
            .collect();
        let placed = placements(board, &maps);
        let votes = board.votes();
        let dissent = dissented(board);

        // Every drawable item with its rectangle, bottom to top.
        let mut shapes = Vec::new();
        for (id, item) in board.items_by_z() {
            if matches!(item.kind, ItemKind::Connector | ItemKind::StoryMap)
                || item.kind.is_map_part()
            {
                continue;
            }
            let (rect, badges) = match placed.get(id.as_str()) {
                Some(Placed::Hidden) => continue,
                Some(Placed::At(r, b)) => (*r, b.clone()),
                None => (
                    [item.pos[0], item.pos[1], item.size[0], item.size[1]],
                    Vec::new(),
                ),
            };
            shapes.push(Shape {
                id,
                item,
                rect,
                badges,
                votes: votes.get(id.as_str()).copied().unwrap_or(0),
                dissent: dissent.contains(id.as_str()),
            });
        }

        let (maps, shapes, view) = match scope {
            Scope::Board => {
                let view = union(
                    shapes
                        .iter()
                        .map(|s| s.rect)
                        .chain(maps.iter().map(|l| rect(&l.layout.bounds))),
                )
                .map(|r| grow(r, MARGIN));
                (maps, shapes, view)
            }
            Scope::Frame(frame) => {
                let item = board
                    .items
                    .get(frame)
                    .filter(|i| i.kind == ItemKind::Frame)
                    .ok_or_else(|| PictureError::NoSuchFrame(frame.clone()))?;
                let view = [item.pos[0], item.pos[1], item.size[0], item.size[1]];
                let maps = maps
                    .into_iter()
                    .filter(|l| meets(rect(&l.layout.bounds), view))
                    .collect();
                let shapes = shapes.into_iter().filter(|s| meets(s.rect, view)).collect();
                (maps, shapes, Some(view))
            }
            Scope::Items(ids) => {
                if ids.is_empty() {
                    return Err(PictureError::NoItems);
                }
                if let Some(missing) = ids.iter().find(|id| !board.items.contains_key(*id)) {
                    return Err(PictureError::NoSuchItem(missing.clone()));
                }
                let mut chosen: HashSet<&str> = ids.iter().map(String::as_str).collect();
                let maps: Vec<Laid> = maps
                    .into_iter()
                    .filter(|l| chosen.contains(l.map.id.as_str()))
                    .collect();
                // A chosen map brings its stories.
                let stories: Vec<String> = maps
                    .iter()
                    .flat_map(|l| l.layout.stories.iter().map(|(id, _)| id.clone()))
                    .collect();
                chosen.extend(stories.iter().map(String::as_str));
                let shapes: Vec<Shape> = shapes
                    .into_iter()
                    .filter(|s| chosen.contains(s.id))
                    .collect();
                let view = union(
                    shapes
                        .iter()
                        .map(|s| s.rect)
                        .chain(maps.iter().map(|l| rect(&l.layout.bounds))),
                )
                .map(|r| grow(r, MARGIN));
                (maps, shapes, view)
            }
        };

        // Arrows between two drawn items (a frame's picture also shows arrows to items
        // outside it, cut at its edge, as the canvas would).
        let drawn: HashMap<&str, Rect> = match scope {
            Scope::Frame(_) => all_rects(board, &placed),
            _ => shapes.iter().map(|s| (s.id, s.rect)).collect(),
        };
        let arrows = board
            .items_by_z()
            .into_iter()
            .filter(|(_, item)| item.kind == ItemKind::Connector)
            .filter_map(|(_, item)| {
                let from = *drawn.get(item.from.as_deref()?)?;
                let to = *drawn.get(item.to.as_deref()?)?;
                Some(Arrow { from, to })
            })
            .filter(|a| view.is_some_and(|v| meets(union([a.from, a.to]).unwrap_or(a.from), v)))
            .collect();
        Ok(Scene {
            maps,
            shapes,
            arrows,
            view,
        })
    }
}

/// Where the story maps put their members (maps, parts, stories), and what they hide.
fn placements<'a>(board: &'a BoardSnapshot, maps: &[Laid]) -> HashMap<&'a str, Placed> {
    let mut placed = HashMap::new();
    let key = |id: &str| board.items.get_key_value(id).map(|(k, _)| k.as_str());
    for laid in maps {
        let l = &laid.layout;
        if let Some(id) = key(&l.map) {
            placed.insert(id, Placed::At(rect(&l.bounds), Vec::new()));
        }
        for part in l.activities.iter().chain(&l.steps).chain(&l.releases) {
            if let Some(id) = part.id.as_deref().and_then(key) {
                placed.insert(id, Placed::At(rect(&part.rect), Vec::new()));
            }
        }
        for (id, r) in &l.stories {
            if let Some((id, item)) = board.items.get_key_value(id.as_str()) {
                placed.insert(id.as_str(), Placed::At(rect(r), badges(item)));
            }
        }
        for id in &l.hidden {
            if let Some(id) = key(id) {
                placed.insert(id, Placed::Hidden);
            }
        }
    }
    placed
}

/// Every item's rectangle as drawn (for the ends of arrows).
fn all_rects<'a>(
    board: &'a BoardSnapshot,
    placed: &HashMap<&'a str, Placed>,
) -> HashMap<&'a str, Rect> {
    board
        .items
        .iter()
        .filter(|(_, item)| item.kind != ItemKind::Connector)
        .filter_map(|(id, item)| match placed.get(id.as_str()) {
            Some(Placed::Hidden) => None,
            Some(Placed::At(r, _)) => Some((id.as_str(), *r)),
            None => Some((
                id.as_str(),
                [item.pos[0], item.pos[1], item.size[0], item.size[1]],
            )),
        })
        .collect()
}

/// Items whose latest fist to five holds dissent (the page marks them the same way).
fn dissented(board: &BoardSnapshot) -> HashSet<&str> {
    board
        .rounds
        .values()
        .filter(|r| r.round.settings.kind == Kind::FistToFive && !r.dissent.is_empty())
        .filter_map(|r| {
            let item = r.round.targets.first()?;
            let latest = latest_result(&board.rounds, item, Kind::FistToFive)?;
            (latest.round.id == r.round.id).then_some(item.as_str())
        })
        .collect()
}

fn rect(r: &crate::storymap::Rect) -> Rect {
    [r.x, r.y, r.w, r.h]
}

fn grow(r: Rect, by: f64) -> Rect {
    [r[0] - by, r[1] - by, r[2] + 2.0 * by, r[3] + 2.0 * by]
}

/// Whether two rectangles overlap (touching counts).
pub fn meets(a: Rect, b: Rect) -> bool {
    a[0] <= b[0] + b[2] && b[0] <= a[0] + a[2] && a[1] <= b[1] + b[3] && b[1] <= a[1] + a[3]
}

/// The smallest rectangle around all of `rects` (`None` for none).
fn union(rects: impl IntoIterator<Item = Rect>) -> Option<Rect> {
    let mut out: Option<[f64; 4]> = None;
    for r in rects {
        if !r.iter().all(|v| v.is_finite()) {
            continue;
        }
        let (x1, y1, x2, y2) = (r[0], r[1], r[0] + r[2].max(0.0), r[1] + r[3].max(0.0));
        out = Some(match out {
            None => [x1, y1, x2, y2],
            Some(o) => [o[0].min(x1), o[1].min(y1), o[2].max(x2), o[3].max(y2)],
        });
    }
    out.map(|o| [o[0], o[1], o[2] - o[0], o[3] - o[1]])
}
