//! `fetch` for the HTTP API: errors carry the server's own message (`{"error": "..."}`), so a
//! page can show people what went wrong in words, not a status code.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

use crate::dom::{self, js_error};

/// Fetches `url`; a successful response's body as text. An HTTP error becomes the server's
/// error message (or the status when the body has none); a network failure says the server
/// cannot be reached.
pub async fn fetch_text(url: &str, init: &RequestInit) -> Result<String, JsValue> {
    send(url, init)?.await
}

/// [`fetch_text`], with the request sent now (an async fn sends nothing until it is first
/// polled); the answer's text is awaited later.
pub fn send(
    url: &str,
    init: &RequestInit,
) -> Result<impl std::future::Future<Output = Result<String, JsValue>> + use<>, JsValue> {
    Ok(answer(dom::window()?.fetch_with_str_and_init(url, init)))
}

/// [`send`], for an answer in bytes (a board's binary view).
pub fn send_for_bytes(
    url: &str,
    init: &RequestInit,
) -> Result<impl std::future::Future<Output = Result<Vec<u8>, JsValue>> + use<>, JsValue> {
    Ok(answer_bytes(
        dom::window()?.fetch_with_str_and_init(url, init),
    ))
}

/// A `fetch`'s response, or the words for a server that cannot be reached.
async fn response(promise: js_sys::Promise) -> Result<Response, JsValue> {
    match JsFuture::from(promise).await {
        Ok(response) => response.dyn_into(),
        Err(_) => Err(JsValue::from_str(
            "The server cannot be reached (offline?). Try again when you are online.",
        )),
    }
}

async fn text_of(response: &Response) -> Result<String, JsValue> {
    Ok(JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default())
}

/// The text of a `fetch`'s answer, as [`fetch_text`] gives it.
async fn answer(promise: js_sys::Promise) -> Result<String, JsValue> {
    let response = response(promise).await?;
    let text = text_of(&response).await?;
    if !response.ok() {
        return Err(JsValue::from_str(&error_message(response.status(), &text)));
    }
    Ok(text)
}

/// The bytes of a `fetch`'s answer; an HTTP error as [`answer`] words it.
async fn answer_bytes(promise: js_sys::Promise) -> Result<Vec<u8>, JsValue> {
    let response = response(promise).await?;
    if !response.ok() {
        let text = text_of(&response).await?;
        return Err(JsValue::from_str(&error_message(response.status(), &text)));
    }
    let buffer = JsFuture::from(response.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Fetches `url` and parses a successful response's JSON body.
pub async fn fetch_json<T: serde::de::DeserializeOwned>(
    url: &str,
    init: &RequestInit,
) -> Result<T, JsValue> {
    let text = fetch_text(url, init).await?;
    huddle_shared::json::from_str(&text).map_err(js_error)
}

/// A request with `method`, a `content-type` and a text body.
pub fn request(method: &str, content_type: &str, body: &str) -> Result<RequestInit, JsValue> {
    let headers = Headers::new()?;
    headers.set("content-type", content_type)?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    Ok(init)
}

/// The server's `{"error": "..."}` message, or the status and body as they are.
pub(crate) fn error_message(status: u16, body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct ApiError {
        error: String,
    }
    match huddle_shared::json::from_str::<ApiError>(body) {
        Ok(e) => e.error,
        Err(_) if body.trim().is_empty() => format!("The server answered HTTP {status}."),
        Err(_) => format!("HTTP {status}: {}", body.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::error_message;

    #[test]
    fn errors_show_the_servers_message() {
        assert_eq!(
            error_message(400, r#"{"error":"line 3, column 2: bad estimate"}"#),
            "line 3, column 2: bad estimate"
        );
        assert_eq!(error_message(502, ""), "The server answered HTTP 502.");
        assert_eq!(error_message(500, "boom\n"), "HTTP 500: boom");
    }
}
