//! Someone at the server without a browser: a person cookie (issued by the server's first
//! answer) that every API call and WebSocket of theirs carries, as a browser's would. For the
//! access tests, which need several distinct people on one board.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use huddle_shared::model::Board;

use crate::client::Client;
use crate::http::{self, Response};
use crate::server::TestServer;

/// A person, known to the server by their cookie.
pub struct Visitor {
    addr: SocketAddr,
    ws_base: String,
    /// `huddle_person=...`, as the `Cookie` header sends it.
    pub cookie: String,
    /// Their person id, as `GET /api/me` says.
    pub id: String,
}

impl Visitor {
    /// A new person: the server issues their cookie on the first request.
    pub async fn arrive(server: &TestServer) -> anyhow::Result<Visitor> {
        let first = http::request_as(server.addr(), "GET", "/api/me", None, &[]).await?;
        let set = first
            .header("set-cookie")
            .context("the first answer set no cookie")?;
        let cookie = set.split(';').next().unwrap_or_default().trim().to_owned();
        if !cookie.starts_with("huddle_person=") {
            bail!("unexpected cookie {set:?}");
        }
        let mut visitor = Visitor {
            addr: server.addr(),
            ws_base: server.ws_base(),
            cookie,
            id: String::new(),
        };
        let me = visitor.call("GET", "/api/me", None).await?;
        visitor.id = me.json()?["id"]
            .as_str()
            .context("no id in /api/me")?
            .to_owned();
        if visitor.id != first.json()?["id"] {
            bail!("the cookie did not name the person it was issued for");
        }
        Ok(visitor)
    }

    /// The same person (same cookie) at `server`, for a server restarted on another port.
    pub fn come_back(&mut self, server: &TestServer) {
        self.addr = server.addr();
        self.ws_base = server.ws_base();
    }

    /// An API call with their cookie (and `extra` headers).
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Response> {
        let mut headers = vec![("Cookie", self.cookie.as_str())];
        headers.extend_from_slice(extra);
        http::request_as(
            self.addr,
            method,
            path,
            body.map(|b| b.to_string()),
            &headers,
        )
        .await
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<Response> {
        self.call_with(method, path, body, &[]).await
    }

    /// A GET with their cookie (and `extra` headers), its body as bytes.
    pub async fn get_binary(
        &self,
        path: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<http::BinaryResponse> {
        let mut headers = vec![("Cookie", self.cookie.as_str())];
        headers.extend_from_slice(extra);
        http::get_binary(self.addr, path, &headers).await
    }

    /// Creates a board they own; its id.
    pub async fn create_board(&self, title: &str) -> anyhow::Result<String> {
        let res = self
            .call(
                "POST",
                "/api/boards",
                Some(serde_json::json!({ "title": title })),
            )
            .await?;
        if res.status != 201 {
            bail!("create answered {}: {}", res.status, res.body);
        }
        Ok(res.json()?["id"].as_str().context("no id")?.to_owned())
    }

    /// Opens a share link (`/b/{id}?key=...`) as a browser would: the server grants its role.
    pub async fn open_link(&self, path: &str) -> anyhow::Result<Response> {
        self.call("GET", path, None).await
    }

    /// Connects to `board` with their cookie (and `key`, a share link's key, if given).
    pub async fn connect(&self, board: &str, key: Option<&str>) -> anyhow::Result<Client> {
        let url = match key {
            Some(key) => format!("{}/{board}?key={key}", self.ws_base),
            None => format!("{}/{board}", self.ws_base),
        };
        Client::connect_as(&url, Board::new(), &[("Cookie", &self.cookie)]).await
    }

    /// [`Visitor::connect`], then waits for the initial sync.
    pub async fn join(&self, board: &str, key: Option<&str>) -> anyhow::Result<Client> {
        let client = self.connect(board, key).await?;
        client.wait_synced().await?;
        Ok(client)
    }
}

/// The key in a share link's path (`/b/{id}?key=KEY`).
pub fn key_of(link: &str) -> anyhow::Result<&str> {
    link.split_once("?key=")
        .map(|(_, key)| key)
        .with_context(|| format!("no key in {link:?}"))
}
