//! The comments side panel (`#comments-panel`, `Shift+C` or the toolbar's *Comments*):
//! filters (open, mine, mentions me, all), each thread with what it is on (greyed when its
//! item was deleted), its comments, and the forms: a new thread, a reply per thread, edit and
//! delete of one's own comments (an owner deletes any; Delete asks once more), resolve and
//! reopen. Edits happen in place, never in a blocking dialog. Typing `@` offers
//! the people on the board; `Tab` or a click takes one. `Ctrl+Enter` posts.
//!
//! The forms stay put; the list is rebuilt on every change, keeping what is typed in each
//! reply box (`Comments::drafts`). Every button only sends a request: the server decides.

use huddle_shared::access::Role;
use huddle_shared::comments::{Anchor, Command, Thread, complete, mention_query};
use huddle_shared::ids::new_item_id;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlTextAreaElement, KeyboardEvent};

use super::{Filter, submit};
use crate::board::{Page, State};
use crate::dom::{self, Listener, button_of, child};

/// The panel's fixed parts.
pub struct Ui {
    panel: Element,
    compose: Element,
    compose_on: Element,
    new_text: HtmlTextAreaElement,
    list: Element,
    waiting: Element,
    suggest: Element,
}

const FILTERS: [(Filter, &str, &str); 4] = [
    (Filter::Open, "open", "Open"),
    (Filter::Mine, "mine", "Mine"),
    (Filter::Mentions, "mentions", "Mentions me"),
    (Filter::All, "all", "All"),
];

pub fn build(page: &Page, stage: &Element) -> Result<Ui, JsValue> {
    let panel = child(
        stage,
        "aside",
        &[
            ("id", "comments-panel"),
            ("class", "rounds-panel comments-panel"),
            ("aria-label", "Comments"),
            ("hidden", ""),
        ],
        None,
    )?;
    let head = child(&panel, "div", &[("class", "story-head")], None)?;
    child(&head, "h2", &[], Some("Comments"))?;
    child(
        &head,
        "button",
        &[
            ("type", "button"),
            ("data-act", "close"),
            ("title", "Close (Shift+C opens)"),
            ("aria-label", "Close the comments panel"),
        ],
        Some("×"),
    )?;
    let filters = child(
        &panel,
        "div",
        &[("class", "comment-filters"), ("role", "group")],
        None,
    )?;
    for (_, name, label) in FILTERS {
        child(
            &filters,
            "button",
            &[
                ("type", "button"),
                ("data-act", "filter"),
                ("data-filter", name),
            ],
            Some(label),
        )?;
    }
    let compose = child(
        &panel,
        "div",
        &[("id", "comment-compose"), ("hidden", "")],
        None,
    )?;
    let compose_on = child(&compose, "p", &[("class", "muted")], None)?;
    let new_text = dom::typed::<HtmlTextAreaElement>(child(
        &compose,
        "textarea",
        &[
            ("id", "comment-new"),
            ("rows", "3"),
            ("placeholder", "Write a comment; @ mentions someone"),
            ("aria-label", "New comment"),
        ],
        None,
    )?)?;
    let buttons = child(&compose, "div", &[("class", "vote-buttons")], None)?;
    child(
        &buttons,
        "button",
        &[("type", "button"), ("data-act", "cancel-new")],
        Some("Cancel"),
    )?;
    child(
        &buttons,
        "button",
        &[
            ("type", "button"),
            ("data-act", "post-new"),
            ("title", "Post (Ctrl+Enter)"),
        ],
        Some("Post"),
    )?;
    let waiting = child(
        &panel,
        "div",
        &[("id", "comment-waiting"), ("class", "muted")],
        None,
    )?;
    let list = child(&panel, "div", &[("id", "comment-list")], None)?;
    let suggest = child(
        &panel,
        "ul",
        &[
            ("id", "comment-suggest"),
            ("class", "comment-suggest"),
            ("hidden", ""),
        ],
        None,
    )?;

    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&panel, "click", move |e: Event| {
        if let (Some(page), Some(button)) = (weak.upgrade(), button_of(&e)) {
            clicked(&mut page.borrow_mut(), &button);
        }
    })?
    .forever();
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&panel, "input", move |e: Event| {
        if let Some(page) = weak.upgrade() {
            typed(&mut page.borrow_mut(), &e);
        }
    })?
    .forever();
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&panel, "keydown", move |e: Event| {
        if let Some(page) = weak.upgrade() {
            key(&mut page.borrow_mut(), &e);
        }
    })?
    .forever();
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&suggest, "mousedown", move |e: Event| {
        e.prevent_default(); // the text field keeps the focus
        let picked = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|el| el.closest("li").ok().flatten())
            .and_then(|li| li.get_attribute("data-name"));
        if let (Some(page), Some(name)) = (weak.upgrade(), picked) {
            take_suggestion(&mut page.borrow_mut(), &name);
        }
    })?
    .forever();
    Ok(Ui {
        panel,
        compose,
        compose_on,
        new_text,
        list,
        waiting,
        suggest,
    })
}

pub fn is_open(s: &State) -> bool {
    s.features
        .comments
        .ui
        .as_ref()
        .is_some_and(|ui| !ui.panel.has_attribute("hidden"))
}

pub fn open(s: &mut State) {
    if let Some(ui) = &s.features.comments.ui {
        let _ = ui.panel.remove_attribute("hidden");
    }
    refresh(s);
    if s.features.comments.compose.is_some()
        && let Some(ui) = &s.features.comments.ui
    {
        let _ = ui.new_text.focus();
    }
}

pub fn toggle(s: &mut State) {
    if is_open(s) {
        if let Some(ui) = &s.features.comments.ui {
            let _ = ui.panel.set_attribute("hidden", "");
        }
    } else {
        open(s);
    }
}

/// What a thread is on, in words.
fn anchor_label(s: &State, anchor: &Anchor) -> (String, bool) {
    match anchor {
        Anchor::Item { item } => match s.scene.get(item) {
            Some(i) => {
                let text: String = i.text.split_whitespace().collect::<Vec<_>>().join(" ");
                let text: String = text.chars().take(60).collect();
                let label = if text.is_empty() {
                    format!("On a {}", i.kind.as_str())
                } else {
                    format!("On \u{201c}{text}\u{201d}")
                };
                (label, false)
            }
            None => ("On a deleted item".to_owned(), true),
        },
        Anchor::Point { pos } => (
            format!("On the board at ({:.0}, {:.0})", pos[0], pos[1]),
            false,
        ),
    }
}

fn local_time(ms: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}

fn shown(s: &State, t: &Thread) -> bool {
    if let Some(only) = &s.features.comments.only {
        return only.contains(&t.id);
    }
    let me = &s.session.guest.id;
    match s.features.comments.filter {
        Filter::Open => t.is_open(),
        Filter::Mine => t.involves(me),
        Filter::Mentions => t.mentions(me),
        Filter::All => true,
    }
}

/// Redraws the filters, the compose form, what is waiting, and the list.
pub fn refresh(s: &mut State) {
    if !is_open(s) {
        return;
    }
    if let Err(err) = render(s) {
        dom::log_error("could not draw the comments", &err);
    }
}

fn render(s: &State) -> Result<(), JsValue> {
    let Some(ui) = &s.features.comments.ui else {
        return Ok(());
    };
    let filter_name = FILTERS
        .iter()
        .find(|(f, ..)| *f == s.features.comments.filter)
        .map_or("open", |(_, n, _)| n);
    let buttons = ui.panel.query_selector_all("[data-act=filter]")?;
    for i in 0..buttons.length() {
        if let Some(b) = buttons.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            let on = b.get_attribute("data-filter").as_deref() == Some(filter_name);
            b.set_attribute("aria-pressed", if on { "true" } else { "false" })?;
        }
    }
    let may = s.session.role.may_comment();
    match (&s.features.comments.compose, may) {
        (Some(anchor), true) => {
            ui.compose.remove_attribute("hidden")?;
            ui.compose_on
                .set_text_content(Some(&anchor_label(s, anchor).0));
        }
        _ => ui.compose.set_attribute("hidden", "")?,
    }
    let waiting = s.features.comments.waiting();
    ui.waiting.set_text_content(match waiting {
        0 => None,
        1 => Some("1 comment waiting to be sent"),
        _ => Some("comments waiting to be sent"),
    });
    if waiting > 1 {
        ui.waiting
            .set_text_content(Some(&format!("{waiting} comments waiting to be sent")));
    }
    for cmd in s.features.comments.queue.commands() {
        if let Command::Start { text, .. } | Command::Reply { text, .. } = cmd {
            child(
                &ui.waiting,
                "p",
                &[("class", "comment-pending")],
                Some(text),
            )?;
        }
    }
    ui.list.set_text_content(None);
    if s.features.comments.only.is_some() {
        let note = "The threads of the pin you pressed; choose a filter to see the others.";
        child(
            &ui.list,
            "p",
            &[("class", "muted comment-only")],
            Some(note),
        )?;
    }
    let mut threads: Vec<&Thread> = s
        .features
        .comments
        .threads
        .values()
        .filter(|t| shown(s, t))
        .collect();
    huddle_shared::sort::sort_by_key(&mut threads, |t| std::cmp::Reverse(t.last_activity()));
    if threads.is_empty() {
        let empty = match s.features.comments.filter {
            Filter::Open => "No open threads. Select an item and press Shift+C to comment.",
            Filter::Mine => "No threads you wrote in.",
            Filter::Mentions => "Nobody mentioned you.",
            Filter::All => "No comments on this board yet.",
        };
        child(&ui.list, "p", &[("class", "muted")], Some(empty))?;
    }
    for t in threads {
        thread(s, &ui.list, t, may)?;
    }
    Ok(())
}

fn thread(s: &State, list: &Element, t: &Thread, may: bool) -> Result<(), JsValue> {
    let (label, gone) = anchor_label(s, &t.anchor);
    let mut class = "comment-thread".to_owned();
    if gone {
        class.push_str(" gone");
    }
    if !t.is_open() {
        class.push_str(" resolved");
    }
    let el = child(
        list,
        "div",
        &[("class", &class), ("data-thread", &t.id)],
        None,
    )?;
    let head = child(&el, "div", &[("class", "comment-head")], None)?;
    child(
        &head,
        "button",
        &[("type", "button"), ("data-act", "show")],
        Some(&label),
    )?;
    if let Some(r) = &t.resolved {
        child(
            &head,
            "span",
            &[("class", "muted")],
            Some(&format!("resolved by {}", r.name)),
        )?;
    }
    let me = s.session.guest.id.as_str();
    for c in &t.comments {
        let ce = child(
            &el,
            "div",
            &[("class", "comment"), ("data-comment", &c.id)],
            None,
        )?;
        let meta = child(&ce, "div", &[("class", "muted")], None)?;
        child(&meta, "strong", &[], Some(&c.name))?;
        let mut when = format!(" · {}", local_time(c.created_at));
        if c.edited_at.is_some() && !c.deleted {
            when.push_str(" · edited");
        }
        meta.append_with_str_1(&when)?;
        if c.deleted {
            child(&ce, "em", &[("class", "muted")], Some("deleted comment"))?;
            continue;
        }
        let mine = c.author == me;
        let editing = s
            .features
            .comments
            .editing
            .as_ref()
            .is_some_and(|(_, id)| *id == c.id);
        if editing && mine && may {
            let key = format!("edit:{}", c.id);
            let draft = s
                .features
                .comments
                .drafts
                .get(&key)
                .cloned()
                .unwrap_or_else(|| c.text.clone());
            let field = child(
                &ce,
                "textarea",
                &[
                    ("class", "comment-edit"),
                    ("rows", "3"),
                    ("aria-label", "Edit comment"),
                ],
                None,
            )?;
            dom::typed::<HtmlTextAreaElement>(field)?.set_value(&draft);
            let acts = child(&ce, "div", &[("class", "comment-acts")], None)?;
            child(
                &acts,
                "button",
                &[("type", "button"), ("data-act", "cancel-edit")],
                Some("Cancel"),
            )?;
            child(
                &acts,
                "button",
                &[("type", "button"), ("data-act", "save-edit")],
                Some("Save"),
            )?;
            continue;
        }
        child(&ce, "p", &[("class", "comment-text")], Some(&c.text))?;
        if may && (mine || s.session.role == Role::Owner) {
            let acts = child(&ce, "div", &[("class", "comment-acts")], None)?;
            if mine {
                child(
                    &acts,
                    "button",
                    &[("type", "button"), ("data-act", "edit")],
                    Some("Edit"),
                )?;
            }
            let (act, label) = if s.features.comments.deleting.as_deref() == Some(c.id.as_str()) {
                ("delete-confirm", "Really delete")
            } else {
                ("delete", "Delete")
            };
            child(
                &acts,
                "button",
                &[("type", "button"), ("data-act", act)],
                Some(label),
            )?;
        }
    }
    if may {
        let draft = s
            .features
            .comments
            .drafts
            .get(&t.id)
            .cloned()
            .unwrap_or_default();
        let reply = child(
            &el,
            "textarea",
            &[
                ("class", "comment-reply"),
                ("rows", "2"),
                ("placeholder", "Reply; @ mentions someone"),
                ("aria-label", "Reply"),
            ],
            None,
        )?;
        dom::typed::<HtmlTextAreaElement>(reply)?.set_value(&draft);
        let acts = child(&el, "div", &[("class", "vote-buttons")], None)?;
        let (act, label) = if t.is_open() {
            ("resolve", "Resolve")
        } else {
            ("reopen", "Reopen")
        };
        child(
            &acts,
            "button",
            &[("type", "button"), ("data-act", act)],
            Some(label),
        )?;
        child(
            &acts,
            "button",
            &[("type", "button"), ("data-act", "reply")],
            Some("Reply"),
        )?;
    }
    Ok(())
}

fn attr_up(el: &Element, name: &str) -> Option<String> {
    el.closest(&format!("[{name}]"))
        .ok()
        .flatten()?
        .get_attribute(name)
}

fn clicked(s: &mut State, button: &Element) {
    let act = button.get_attribute("data-act").unwrap_or_default();
    let thread = attr_up(button, "data-thread");
    let comment = attr_up(button, "data-comment");
    match (act.as_str(), thread, comment) {
        ("close", ..) => {
            s.features.comments.only = None;
            toggle(s);
        }
        ("filter", ..) => {
            let name = button.get_attribute("data-filter").unwrap_or_default();
            if let Some((f, ..)) = FILTERS.iter().find(|(_, n, _)| *n == name) {
                s.features.comments.filter = *f;
            }
            s.features.comments.only = None;
            refresh(s);
        }
        ("cancel-new", ..) => {
            s.features.comments.compose = None;
            refresh(s);
        }
        ("post-new", ..) => post_new(s),
        ("show", Some(thread), _) => {
            if let Some(Anchor::Item { item }) =
                s.features.comments.threads.get(&thread).map(|t| &t.anchor)
                && s.scene.get(item).is_some()
            {
                let item = item.clone();
                s.set_selection([item].into_iter().collect());
            }
        }
        ("reply", Some(thread), _) => post_reply(s, &thread),
        ("resolve", Some(thread), _) => submit(s, Command::Resolve { thread }),
        ("reopen", Some(thread), _) => submit(s, Command::Reopen { thread }),
        ("edit", Some(thread), Some(comment)) => {
            s.features.comments.editing = Some((thread, comment));
            refresh(s);
        }
        ("cancel-edit", _, Some(comment)) => {
            s.features
                .comments
                .drafts
                .remove(&format!("edit:{comment}"));
            s.features.comments.editing = None;
            refresh(s);
        }
        ("save-edit", Some(thread), Some(comment)) => save_edit(s, thread, comment),
        ("delete", _, Some(comment)) => {
            s.features.comments.deleting = Some(comment);
            refresh(s);
        }
        ("delete-confirm", Some(thread), Some(comment)) => {
            s.features.comments.deleting = None;
            submit(s, Command::Delete { thread, comment });
        }
        _ => {}
    }
}

fn post_new(s: &mut State) {
    let Some(anchor) = s.features.comments.compose.clone() else {
        return;
    };
    let Some(ui) = &s.features.comments.ui else {
        return;
    };
    let text = ui.new_text.value();
    if text.trim().is_empty() {
        return;
    }
    ui.new_text.set_value("");
    s.features.comments.compose = None;
    submit(
        s,
        Command::Start {
            thread: new_item_id(),
            anchor,
            comment: new_item_id(),
            text,
        },
    );
    s.request_frame();
}

fn save_edit(s: &mut State, thread: String, comment: String) {
    let text = s
        .features
        .comments
        .drafts
        .remove(&format!("edit:{comment}"))
        .unwrap_or_default();
    s.features.comments.editing = None;
    let old = s
        .features
        .comments
        .threads
        .get(&thread)
        .and_then(|t| t.comments.iter().find(|c| c.id == comment))
        .map(|c| c.text.clone())
        .unwrap_or_default();
    if text.trim().is_empty() || text == old {
        refresh(s);
        return;
    }
    submit(
        s,
        Command::Edit {
            thread,
            comment,
            text,
        },
    );
}

fn post_reply(s: &mut State, thread: &str) {
    let text = s
        .features
        .comments
        .drafts
        .remove(thread)
        .unwrap_or_default();
    if text.trim().is_empty() {
        return;
    }
    submit(
        s,
        Command::Reply {
            thread: thread.to_owned(),
            comment: new_item_id(),
            text,
        },
    );
}

/// Whether `field` is the in-place editor of a comment (not a reply or a new thread).
fn is_edit(field: &HtmlTextAreaElement) -> bool {
    field
        .get_attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|c| c == "comment-edit"))
}

/// The focused text field of the panel, if it is one.
fn active_field(s: &State) -> Option<HtmlTextAreaElement> {
    s.doc
        .active_element()?
        .dyn_into::<HtmlTextAreaElement>()
        .ok()
}

/// Byte offset in `text` of the UTF-16 offset `utf16` (where the browser's caret is).
fn byte_offset(text: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

fn typed(s: &mut State, e: &Event) {
    let Some(field) = e
        .target()
        .and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok())
    else {
        return;
    };
    if is_edit(&field) {
        if let Some(comment) = attr_up(&field, "data-comment") {
            s.features
                .comments
                .drafts
                .insert(format!("edit:{comment}"), field.value());
        }
    } else if let Some(thread) = attr_up(&field, "data-thread") {
        s.features.comments.drafts.insert(thread, field.value());
    }
    suggest(s, &field);
}

/// Shows who `@...` at the caret could mean, under the field.
fn suggest(s: &State, field: &HtmlTextAreaElement) {
    let Some(ui) = &s.features.comments.ui else {
        return;
    };
    let value = field.value();
    let caret = byte_offset(&value, field.selection_start().ok().flatten().unwrap_or(0));
    let found = mention_query(&value, caret).map(|(_, q)| complete(q, &s.features.comments.people));
    ui.suggest.set_text_content(None);
    match found.filter(|f| !f.is_empty()) {
        Some(people) => {
            for p in people {
                let _ = child(&ui.suggest, "li", &[("data-name", &p.name)], Some(&p.name));
            }
            let _ = field.after_with_node_1(&ui.suggest);
            let _ = ui.suggest.remove_attribute("hidden");
        }
        None => {
            let _ = ui.suggest.set_attribute("hidden", "");
        }
    }
}

/// Puts `@name ` in place of the `@...` at the caret of the focused field.
fn take_suggestion(s: &mut State, name: &str) {
    let Some(field) = active_field(s) else { return };
    let value = field.value();
    let caret = byte_offset(&value, field.selection_start().ok().flatten().unwrap_or(0));
    let Some((at, query)) = mention_query(&value, caret) else {
        return;
    };
    let end = at + 1 + query.len();
    let new = format!("{}@{name} {}", &value[..at], &value[end..]);
    let caret_after: u32 = new[..at + name.len() + 2].encode_utf16().count() as u32;
    field.set_value(&new);
    let _ = field.set_selection_range(caret_after, caret_after);
    if is_edit(&field) {
        if let Some(comment) = attr_up(&field, "data-comment") {
            s.features
                .comments
                .drafts
                .insert(format!("edit:{comment}"), new);
        }
    } else if let Some(thread) = attr_up(&field, "data-thread") {
        s.features.comments.drafts.insert(thread, new);
    }
    if let Some(ui) = &s.features.comments.ui {
        let _ = ui.suggest.set_attribute("hidden", "");
    }
}

fn key(s: &mut State, e: &Event) {
    let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
        return;
    };
    let Some(field) = e
        .target()
        .and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok())
    else {
        return;
    };
    let suggesting = s
        .features
        .comments
        .ui
        .as_ref()
        .is_some_and(|ui| !ui.suggest.has_attribute("hidden"));
    match e.key().as_str() {
        "Tab" | "Enter" if suggesting && !e.ctrl_key() && !e.meta_key() => {
            let first = s
                .features
                .comments
                .ui
                .as_ref()
                .and_then(|ui| ui.suggest.first_element_child())
                .and_then(|li| li.get_attribute("data-name"));
            if let Some(name) = first {
                e.prevent_default();
                take_suggestion(s, &name);
            }
        }
        "Escape" if suggesting => {
            e.prevent_default();
            if let Some(ui) = &s.features.comments.ui {
                let _ = ui.suggest.set_attribute("hidden", "");
            }
        }
        "Enter" if e.ctrl_key() || e.meta_key() => {
            e.prevent_default();
            let editing = is_edit(&field);
            match (
                attr_up(&field, "data-thread"),
                attr_up(&field, "data-comment"),
            ) {
                (Some(thread), Some(comment)) if editing => save_edit(s, thread, comment),
                (Some(thread), _) => post_reply(s, &thread),
                (None, _) => post_new(s),
            }
        }
        _ => {}
    }
    // Keys typed here are text, not board shortcuts.
    e.stop_propagation();
}
