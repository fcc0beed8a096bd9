//! Real input for a tab: mouse presses, double-clicks, drags, wheel turns and key presses, sent
//! through CDP's `Input` domain so the page sees the same events as from a person (a canvas
//! has no elements to click, so tests aim at page coordinates).

use anyhow::{Context, bail};
use serde_json::json;

use super::page::Page;

/// CDP's modifier bits.
pub mod modifiers {
    pub const ALT: u8 = 1;
    pub const CTRL: u8 = 2;
    pub const META: u8 = 4;
    pub const SHIFT: u8 = 8;
}

/// Mouse moves sent along a drag: enough for the page to see a path, not a jump.
const DRAG_STEPS: u32 = 8;

impl Page {
    /// One `Input.dispatchMouseEvent` (`kind`: `mouseMoved`, `mousePressed`, `mouseReleased`).
    async fn mouse(
        &self,
        kind: &str,
        at: [f64; 2],
        pressed: bool,
        click_count: u32,
        modifiers: u8,
    ) -> anyhow::Result<()> {
        let mut event = json!({
            "type": kind,
            "x": at[0],
            "y": at[1],
            "modifiers": modifiers,
            "buttons": if pressed { 1 } else { 0 },
        });
        if kind != "mouseMoved" || pressed {
            event["button"] = "left".into();
        }
        if kind != "mouseMoved" {
            event["clickCount"] = click_count.into();
        }
        self.call("Input.dispatchMouseEvent", event)
            .await
            .with_context(|| format!("{kind} at {at:?}"))?;
        Ok(())
    }

    /// Moves the mouse to `at` (page CSS pixels) with no button down.
    pub async fn mouse_move(&self, at: [f64; 2]) -> anyhow::Result<()> {
        self.mouse("mouseMoved", at, false, 0, 0).await
    }

    /// A left click at `at`, with `modifiers` held (see [`modifiers`]).
    pub async fn click_at(&self, at: [f64; 2], modifiers: u8) -> anyhow::Result<()> {
        self.mouse("mouseMoved", at, false, 0, modifiers).await?;
        self.mouse("mousePressed", at, true, 1, modifiers).await?;
        self.mouse("mouseReleased", at, false, 1, modifiers).await
    }

    /// A double-click at `at`: two clicks, the second with `clickCount` 2 (which is what makes
    /// the browser fire `dblclick`).
    pub async fn double_click_at(&self, at: [f64; 2]) -> anyhow::Result<()> {
        self.click_at(at, 0).await?;
        self.mouse("mousePressed", at, true, 2, 0).await?;
        self.mouse("mouseReleased", at, false, 2, 0).await
    }

    /// Presses the left button at `from`, moves in steps to `to`, and releases it there.
    pub async fn drag(&self, from: [f64; 2], to: [f64; 2]) -> anyhow::Result<()> {
        self.drag_and_hold(from, to).await?;
        self.release_at(to).await
    }

    /// Presses at `from` and moves to `to` with the button held, without letting go (to see
    /// what others see during a drag); [`Page::release_at`] ends it.
    pub async fn drag_and_hold(&self, from: [f64; 2], to: [f64; 2]) -> anyhow::Result<()> {
        self.mouse("mouseMoved", from, false, 0, 0).await?;
        self.mouse("mousePressed", from, true, 1, 0).await?;
        for step in 1..=DRAG_STEPS {
            let t = f64::from(step) / f64::from(DRAG_STEPS);
            let at = [
                from[0] + (to[0] - from[0]) * t,
                from[1] + (to[1] - from[1]) * t,
            ];
            self.mouse("mouseMoved", at, true, 0, 0).await?;
        }
        Ok(())
    }

    /// Lets go of the button at `at`.
    pub async fn release_at(&self, at: [f64; 2]) -> anyhow::Result<()> {
        self.mouse("mouseReleased", at, false, 1, 0).await
    }

    /// Turns the wheel at `at` by `delta` pixels (`modifiers` CTRL zooms, as a pinch does).
    pub async fn wheel(&self, at: [f64; 2], delta: [f64; 2], modifiers: u8) -> anyhow::Result<()> {
        self.call(
            "Input.dispatchMouseEvent",
            json!({
                "type": "mouseWheel",
                "x": at[0],
                "y": at[1],
                "deltaX": delta[0],
                "deltaY": delta[1],
                "modifiers": modifiers,
            }),
        )
        .await
        .context("mouseWheel")?;
        Ok(())
    }

    /// Presses and releases one key with `modifiers` held: `key` is a DOM `KeyboardEvent.key`
    /// (`"Escape"`, `"Delete"`, `"z"`, `"?"`...). A printable key without Ctrl/Meta also types
    /// its character.
    pub async fn press(&self, key: &str, modifiers: u8) -> anyhow::Result<()> {
        let (code, key_code) = key_code(key)?;
        let printable =
            key.chars().count() == 1 && modifiers & (modifiers::CTRL | modifiers::META) == 0;
        let mut down = json!({
            "type": if printable { "keyDown" } else { "rawKeyDown" },
            "key": key,
            "code": code,
            "windowsVirtualKeyCode": key_code,
            "modifiers": modifiers,
        });
        if printable {
            down["text"] = key.into();
        }
        self.call("Input.dispatchKeyEvent", down)
            .await
            .with_context(|| format!("pressing {key}"))?;
        self.call(
            "Input.dispatchKeyEvent",
            json!({
                "type": "keyUp",
                "key": key,
                "code": code,
                "windowsVirtualKeyCode": key_code,
                "modifiers": modifiers,
            }),
        )
        .await
        .with_context(|| format!("releasing {key}"))?;
        Ok(())
    }

    /// Closes the tab, as a person closing it would (the page gets `pagehide`).
    pub async fn close(&self) -> anyhow::Result<()> {
        self.call("Page.close", json!({})).await?;
        Ok(())
    }
}

/// `KeyboardEvent.code` and the Windows virtual key code of `key` (US layout).
fn key_code(key: &str) -> anyhow::Result<(String, u32)> {
    let named = match key {
        "Escape" => Some(("Escape", 27)),
        "Enter" => Some(("Enter", 13)),
        "Tab" => Some(("Tab", 9)),
        "Backspace" => Some(("Backspace", 8)),
        "Delete" => Some(("Delete", 46)),
        " " => Some(("Space", 32)),
        "ArrowLeft" => Some(("ArrowLeft", 37)),
        "ArrowUp" => Some(("ArrowUp", 38)),
        "ArrowRight" => Some(("ArrowRight", 39)),
        "ArrowDown" => Some(("ArrowDown", 40)),
        "?" => Some(("Slash", 191)),
        "[" => Some(("BracketLeft", 219)),
        "]" => Some(("BracketRight", 221)),
        "," => Some(("Comma", 188)),
        "." => Some(("Period", 190)),
        _ => None,
    };
    if let Some((code, vk)) = named {
        return Ok((code.to_owned(), vk));
    }
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => {
            let upper = c.to_ascii_uppercase();
            Ok((format!("Key{upper}"), u32::from(upper)))
        }
        (Some(c), None) if c.is_ascii_digit() => Ok((format!("Digit{c}"), u32::from(c))),
        _ => bail!("the test driver does not know the key {key:?}"),
    }
}
