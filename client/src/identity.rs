//! Who this browser is on a board: a guest name and colour, kept in `localStorage` so they
//! stay the same across visits. Shared with others through awareness, never the document.

use huddle_shared::model::Color;
use serde::{Deserialize, Serialize};

/// The `localStorage` key of the guest identity.
const STORAGE_KEY: &str = "huddle.guest";

/// Guest numbers are four digits: short to read, and clashes on one board are unlikely.
const GUEST_NUMBERS: f64 = 9000.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Guest {
    pub name: String,
    /// CSS colour for this guest's cursor and avatar.
    pub color: String,
}

impl Guest {
    /// The stored guest, or a new random one (stored if `localStorage` is available).
    pub fn load() -> Guest {
        let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        let stored = storage
            .as_ref()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|json| serde_json::from_str::<Guest>(&json).ok());
        if let Some(guest) = stored {
            return guest;
        }
        let guest = Guest::random();
        if let (Some(storage), Ok(json)) = (storage, serde_json::to_string(&guest)) {
            // Private browsing may refuse to store: then the name lasts for this page only.
            let _ = storage.set_item(STORAGE_KEY, &json);
        }
        guest
    }

    fn random() -> Guest {
        let number = 1000 + (js_sys::Math::random() * GUEST_NUMBERS) as u32;
        let colors = Color::ALL;
        let index = ((js_sys::Math::random() * colors.len() as f64) as usize).min(colors.len() - 1);
        Guest {
            name: format!("Guest {number}"),
            color: colors[index].hex().to_owned(),
        }
    }

    /// The awareness state y-websocket clients expect: `{"user": {"name", "color"}}`.
    pub fn awareness_state(&self) -> serde_json::Value {
        serde_json::json!({ "user": { "name": self.name, "color": self.color } })
    }
}
