//! Who this browser is on a board: the server's person (`crate::access::Me`: an id, a display
//! name and a colour, kept by the server), as the page draws it. Shared with others through
//! awareness, never the document; the server checks that what awareness claims is true.
//!
//! The name is asked for once ([`mount_name_form`], on the home page and on a board while
//! none was chosen) and written to the server (`PUT /api/me`); until then the person is the
//! server's "Guest 1234". Names chosen before the server kept them (in `localStorage`, key
//! `huddle.guest`) are handed to the server once. Offline, the last person the server named
//! is used.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlInputElement};

use crate::dom::{Listener, child, typed};

/// The `localStorage` key of the guest identity.
const STORAGE_KEY: &str = "huddle.guest";

/// Guest numbers are four digits: short to read, and clashes on one board are unlikely.
const GUEST_NUMBERS: f64 = 9000.0;

/// Longest display name and the cursor colours: the server's rules (`huddle_shared::people`),
/// so that what the page allows the server accepts.
pub use huddle_shared::people::{COLORS as CURSOR_COLORS, MAX_NAME_CHARS};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Guest {
    pub name: String,
    /// CSS colour (`#rrggbb`) for this guest's cursor and avatar, derived from `id`.
    #[serde(default)]
    pub color: String,
    /// Random and stored: the seed of the colour. Empty in identities stored before it existed.
    #[serde(default)]
    pub id: String,
    /// Whether the person chose the name (else it is a generated "Guest 1234" and we ask).
    #[serde(default)]
    pub named: bool,
}

impl Guest {
    /// The person as the server last said (kept in `localStorage`), else this browser's own
    /// guest identity from before the server kept names.
    pub fn load() -> Guest {
        match crate::access::cached_me() {
            Some(me) => Guest::from_me(&me),
            None => Guest::local(),
        }
    }

    /// The person as the server says now (offline: as it last said). A name chosen in this
    /// browser before the server kept names is given to the server, once.
    pub async fn current() -> Guest {
        let Some(me) = crate::access::me().await else {
            return Guest::load();
        };
        let legacy = Guest::local();
        if !me.named
            && legacy.named
            && let Ok(renamed) = crate::access::rename(&legacy.name, None).await
        {
            return Guest::from_me(&renamed);
        }
        Guest::from_me(&me)
    }

    /// The server's person as the page shows it.
    pub fn from_me(me: &crate::access::Me) -> Guest {
        Guest {
            name: me.name.clone(),
            color: me.color.clone(),
            id: me.id.clone(),
            named: me.named,
        }
    }

    /// The identity this browser kept before the server kept people.
    fn local() -> Guest {
        let stored = storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|json| huddle_shared::json::from_str::<Guest>(&json).ok());
        let guest = match stored {
            Some(guest) if !guest.id.is_empty() => return guest.normalized(),
            // Stored before ids existed: keep the name, give it an id and its colour.
            Some(old) => Guest {
                id: random_id(),
                ..old
            }
            .normalized(),
            None => Guest::random(),
        };
        guest.store();
        guest
    }

    /// Stores this identity; private browsing may refuse, then it lasts for this page only.
    pub fn store(&self) {
        if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(self)) {
            let _ = storage.set_item(STORAGE_KEY, &json);
        }
    }

    fn random() -> Guest {
        let number = 1000 + (js_sys::Math::random() * GUEST_NUMBERS) as u32;
        Guest {
            name: format!("Guest {number}"),
            color: String::new(),
            id: random_id(),
            named: false,
        }
        .normalized()
    }

    /// Fixes what a stored identity may have wrong: the colour always follows the id.
    fn normalized(mut self) -> Guest {
        self.color = color_for(&self.id).to_owned();
        self.name = clean_name(&self.name).unwrap_or_else(|| "Guest".to_owned());
        self
    }

    /// The awareness state y-websocket clients expect: `{"user": {"name", "color"}}` (the
    /// server adds the person's id).
    pub fn awareness_state(&self) -> serde_json::Value {
        serde_json::json!({ "user": { "name": self.name, "color": self.color } })
    }
}

/// A display name as shown: trimmed, at most [`MAX_NAME_CHARS`] characters; `None` if blank.
pub fn clean_name(name: &str) -> Option<String> {
    let capped: String = name.trim().chars().take(MAX_NAME_CHARS).collect();
    let capped = capped.trim_end();
    (!capped.is_empty()).then(|| capped.to_owned())
}

/// The cursor colour for a seed (an id): FNV-1a, so it is the same in every browser.
pub fn color_for(seed: &str) -> &'static str {
    color_for_hash(fnv1a(seed.as_bytes()))
}

/// The cursor colour for a number (an awareness client id, when a peer sent no colour).
pub fn color_for_number(n: u64) -> &'static str {
    color_for_hash(fnv1a(&n.to_le_bytes()))
}

fn color_for_hash(hash: u64) -> &'static str {
    CURSOR_COLORS[(hash % CURSOR_COLORS.len() as u64) as usize]
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// 64 random bits as hex: enough that two people sharing a colour is the palette's doing,
/// not the id's.
fn random_id() -> String {
    let half = || (js_sys::Math::random() * 4_294_967_296.0) as u32;
    format!("{:08x}{:08x}", half(), half())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Builds the "what is your name?" form (`#display-name` and `#display-name-save`) as the
/// last child of `parent`. On save the name goes to the server; once it has it, `on_saved`
/// gets the renamed person and the form removes itself (a refusal is shown in the form).
/// Returns the form.
pub fn mount_name_form(
    parent: &Element,
    guest: &Guest,
    on_saved: impl Fn(Guest) + 'static,
) -> Result<Element, JsValue> {
    let form = child(
        parent,
        "form",
        &[("id", "display-name-form"), ("class", "display-name")],
        None,
    )?;
    child(
        &form,
        "label",
        &[("for", "display-name")],
        Some("Your name"),
    )?;
    let max = MAX_NAME_CHARS.to_string();
    let input: HtmlInputElement = typed(child(
        &form,
        "input",
        &[
            ("id", "display-name"),
            ("name", "display-name"),
            ("maxlength", &max),
            ("autocomplete", "name"),
            ("placeholder", &guest.name),
        ],
        None,
    )?)?;
    child(
        &form,
        "button",
        &[("id", "display-name-save"), ("type", "submit")],
        Some("Save"),
    )?;
    let error = child(
        &form,
        "p",
        &[
            ("class", "error"),
            ("id", "display-name-error"),
            ("hidden", ""),
        ],
        None,
    )?;
    let this = form.clone();
    let on_saved = std::rc::Rc::new(on_saved);
    Listener::new(&form, "submit", move |event| {
        event.prevent_default();
        let Some(name) = clean_name(&input.value()) else {
            let _ = input.focus();
            return;
        };
        let (this, error, on_saved) = (this.clone(), error.clone(), on_saved.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match crate::access::rename(&name, None).await {
                Ok(me) => {
                    this.remove();
                    on_saved(Guest::from_me(&me));
                }
                Err(err) => {
                    let why = err.as_string().unwrap_or_else(|| format!("{err:?}"));
                    error.set_text_content(Some(&format!("Could not save your name: {why}")));
                    let _ = error.remove_attribute("hidden");
                }
            }
        });
    })?
    .forever();
    Ok(form)
}

/// Whether the page should ask for a name: no name was chosen yet.
pub fn needs_name(guest: &Guest) -> bool {
    !guest.named
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_capped() {
        assert_eq!(clean_name("  Ada  ").as_deref(), Some("Ada"));
        assert_eq!(clean_name("   "), None);
        let long = "x".repeat(100);
        assert_eq!(clean_name(&long).map(|n| n.chars().count()), Some(40));
        // Capping counts characters, not bytes.
        let accents = "é".repeat(50);
        assert_eq!(clean_name(&accents), Some("é".repeat(40)));
    }

    #[test]
    fn colours_are_stable_and_spread() {
        assert_eq!(color_for("abc"), color_for("abc"));
        let used: std::collections::HashSet<_> =
            (0..200).map(|i| color_for(&format!("{i:016x}"))).collect();
        assert_eq!(used.len(), CURSOR_COLORS.len());
        assert!(CURSOR_COLORS.contains(&color_for_number(42)));
    }

    #[test]
    fn old_stored_identities_still_parse() {
        let old: Guest =
            huddle_shared::json::from_str(r##"{"name":"Guest 1234","color":"#fff59d"}"##)
                .expect("old identity");
        assert!(old.id.is_empty());
        assert!(!old.named);
    }
}
