//! The story maps for `window.huddle.storyMaps()`: each map's structure (the shared
//! `StoryMap` JSON) and, under `screen`, where this page draws its parts, stories and
//! controls in client coordinates (CSS px in the page), so tests aim real mouse events at
//! them. Also the filter JSON that `setStoryFilter` takes.

use huddle_shared::model::StoryType;
use huddle_shared::storymap::{Filter, PartBox, Rect};
use serde_json::{Value, json};

use super::super::State;
use super::chrome;

/// World rect `r` in client coordinates.
fn client(s: &State, r: &Rect) -> Value {
    let [x, y] = s.view.camera.to_screen([r.x, r.y]);
    let z = s.view.camera.zoom;
    json!({
        "x": x + s.view.canvas_at[0],
        "y": y + s.view.canvas_at[1],
        "w": r.w * z,
        "h": r.h * z,
    })
}

fn parts(s: &State, parts: &[PartBox]) -> Value {
    parts
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "collapsed": p.collapsed,
                "rect": client(s, &p.rect),
            })
        })
        .collect()
}

/// Every map with its layout on screen.
pub fn story_maps(s: &State) -> Value {
    s.maps
        .laid
        .iter()
        .map(|laid| {
            let l = &laid.layout;
            let chevrons: Vec<Value> = chrome::chevrons(l)
                .iter()
                .map(|(id, activity, r)| {
                    json!({"id": id, "activity": activity, "rect": client(s, r)})
                })
                .collect();
            let add_steps: Vec<Value> = chrome::add_steps(l)
                .iter()
                .map(|(id, r)| json!({"activity": id, "rect": client(s, r)}))
                .collect();
            let stories: Vec<Value> = l
                .stories
                .iter()
                .map(|(id, r)| json!({"id": id, "rect": client(s, r)}))
                .collect();
            let mut map = huddle_shared::json::to_value(&laid.map);
            map["screen"] = json!({
                "bounds": client(s, &l.bounds),
                "title": client(s, &l.title),
                "activities": parts(s, &l.activities),
                "steps": parts(s, &l.steps),
                "releases": parts(s, &l.releases),
                "stories": stories,
                "hidden": l.hidden,
                "addActivity": client(s, &chrome::add_activity(l)),
                "addSteps": add_steps,
                "addRelease": client(s, &chrome::add_release(l)),
                "chevrons": chevrons,
            });
            map
        })
        .collect()
}

/// `{tag, type, persona}` (each optional; `type` a story type's name or label) as a filter;
/// anything unreadable is no filter.
pub fn parse_filter(json: &str) -> Filter {
    let value: Value = huddle_shared::json::from_str(json).unwrap_or(Value::Null);
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    Filter {
        tag: text("tag"),
        story_type: text("type").and_then(|t| StoryType::parse(&t)),
        persona: text("persona"),
    }
}
