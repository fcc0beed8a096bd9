//! The version history calls of the HTTP API, as the page makes them.

use huddle_shared::versions::VersionHead;
use js_sys::Uint8Array;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

use crate::dom;
use crate::http;

fn base(board: &str) -> String {
    format!("/api/boards/{board}/versions")
}

/// What a restore answers.
#[derive(Debug, Clone, Deserialize)]
pub struct Restored {
    pub before_restore: VersionHead,
    pub deleted: usize,
    pub written: usize,
}

/// A new board (a copy).
#[derive(Debug, Clone, Deserialize)]
pub struct Created {
    pub url: String,
}

pub async fn list(board: &str) -> Result<Vec<VersionHead>, JsValue> {
    http::fetch_json(&base(board), &RequestInit::new()).await
}

pub async fn head(board: &str, version: u64) -> Result<VersionHead, JsValue> {
    let url = format!("{}/{version}/head", base(board));
    http::fetch_json(&url, &RequestInit::new()).await
}

pub async fn save(board: &str, name: &str) -> Result<VersionHead, JsValue> {
    let body = serde_json::json!({ "name": name }).to_string();
    let init = http::request("POST", "application/json", &body)?;
    http::fetch_json(&base(board), &init).await
}

pub async fn restore(board: &str, version: u64) -> Result<Restored, JsValue> {
    let url = format!("{}/{version}/restore", base(board));
    let init = http::request("POST", "application/json", "")?;
    http::fetch_json(&url, &init).await
}

pub async fn copy(board: &str, version: u64) -> Result<Created, JsValue> {
    let url = format!("{}/{version}/copy", base(board));
    let init = http::request("POST", "application/json", "")?;
    http::fetch_json(&url, &init).await
}

/// The version's whole state (an update v1).
pub async fn state(board: &str, version: u64) -> Result<Vec<u8>, JsValue> {
    let url = format!("{}/{version}/state", base(board));
    let promise = dom::window()?.fetch_with_str(&url);
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|_| JsValue::from_str("The server cannot be reached (offline?)."))?
        .dyn_into()?;
    if !response.ok() {
        let text = JsFuture::from(response.text()?).await?;
        let text = text.as_string().unwrap_or_default();
        let why = huddle_shared::json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("The server answered HTTP {}.", response.status()));
        return Err(JsValue::from_str(&why));
    }
    let buffer = JsFuture::from(response.array_buffer()?).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
