//! A minimal HTTP/1.1 client for the JSON API: enough for tests, loopback only.
//!
//! [`get`], [`post_json`], [`post_text`], [`delete`] and [`request`] call as the admin of the
//! server at that address ([`crate::server::TestServer`] registers its admin key); a test about
//! people and access says whose call it is with [`request_as`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header names in lowercase, with their values, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// The `Set-Cookie` header, if the server set one.
    pub fn set_cookie(&self) -> Option<&str> {
        self.header("set-cookie")
    }

    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_str(&self.body).with_context(|| format!("not JSON: {}", self.body))
    }
}

pub async fn get(addr: SocketAddr, path: &str) -> anyhow::Result<Response> {
    request(addr, "GET", path, None).await
}

pub async fn post_json(
    addr: SocketAddr,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<Response> {
    request(addr, "POST", path, Some(body.to_string())).await
}

/// POSTs `body` as it is (a file's text, for imports).
pub async fn post_text(addr: SocketAddr, path: &str, body: &str) -> anyhow::Result<Response> {
    request(addr, "POST", path, Some(body.to_owned())).await
}

pub async fn delete(addr: SocketAddr, path: &str) -> anyhow::Result<Response> {
    request(addr, "DELETE", path, None).await
}

/// Admin keys of the servers under test, by address.
static ADMINS: Mutex<Option<HashMap<SocketAddr, String>>> = Mutex::new(None);

/// Makes [`request`] and its shorthands call the server at `addr` as its admin.
pub fn register_admin(addr: SocketAddr, key: &str) {
    let mut admins = ADMINS.lock().unwrap_or_else(|e| e.into_inner());
    admins
        .get_or_insert_with(HashMap::new)
        .insert(addr, key.to_owned());
}

fn admin_of(addr: SocketAddr) -> Option<String> {
    let admins = ADMINS.lock().unwrap_or_else(|e| e.into_inner());
    admins.as_ref()?.get(&addr).cloned()
}

/// A request as the admin of the server at `addr` (if known).
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<String>,
) -> anyhow::Result<Response> {
    let auth = admin_of(addr).map(|key| format!("Bearer {key}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    request_as(addr, method, path, body, &headers).await
}

/// A request with exactly the extra `headers` given (a person's `Cookie`, an `Origin`...).
pub async fn request_as(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<String>,
    headers: &[(&str, &str)],
) -> anyhow::Result<Response> {
    if !addr.ip().is_loopback() {
        bail!("tests only talk to loopback addresses");
    }
    let mut stream = TcpStream::connect(addr).await?;
    let body = body.unwrap_or_default();
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8(raw)?;
    let (head, body) = text.split_once("\r\n\r\n").context("no header end")?;
    let status = head.split(' ').nth(1).context("no status")?.parse()?;
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// An answer whose body is bytes (pictures, the app's compressed files), sent with a length.
#[derive(Debug)]
pub struct BinaryResponse {
    pub status: u16,
    /// Header names in lowercase, with their values, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl BinaryResponse {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }
}

/// The first value of header `name` (any case) among `headers` (names in lowercase).
fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let name = name.to_ascii_lowercase();
    headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

/// `GET path` with exactly the extra `headers` given; the body as bytes. A chunked answer is
/// an error (every binary answer the server sends has a length).
pub async fn get_binary(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<BinaryResponse> {
    if !addr.ip().is_loopback() {
        bail!("tests only talk to loopback addresses");
    }
    let mut stream = TcpStream::connect(addr).await?;
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no header end")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head.split(' ').nth(1).context("no status")?.parse()?;
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        bail!("a chunked answer: {head}");
    }
    Ok(BinaryResponse {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    })
}

fn dechunk(mut body: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").context("bad chunk")?;
        let size = usize::from_str_radix(size.trim(), 16)?;
        if size == 0 {
            return Ok(out);
        }
        out.push_str(rest.get(..size).context("short chunk")?);
        body = rest.get(size + 2..).context("short chunk")?;
    }
}

/// One value from `GET /metrics` (Prometheus text), or an error naming what was there.
pub async fn metric(addr: SocketAddr, name: &str) -> anyhow::Result<f64> {
    let res = get(addr, "/metrics").await?;
    if res.status != 200 {
        bail!("/metrics answered {}", res.status);
    }
    metric_in(&res.body, name).with_context(|| format!("no metric {name} in:\n{}", res.body))
}

/// A value from a Prometheus text exposition.
pub fn metric_in(text: &str, name: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (n, v) = l.split_once(' ')?;
        (n == name).then(|| v.trim().parse().ok()).flatten()
    })
}

/// Polls a metric until `pred` holds (gauges follow sockets and rooms with a short delay).
pub async fn wait_metric(
    addr: SocketAddr,
    name: &str,
    pred: impl Fn(f64) -> bool,
) -> anyhow::Result<f64> {
    let deadline = tokio::time::Instant::now() + crate::client::WAIT;
    loop {
        let value = metric(addr, name).await?;
        if pred(value) {
            return Ok(value);
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{name} stayed at {value}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Creates a board through `POST /api/boards` and returns its id (fails unless 201).
pub async fn create_board(addr: SocketAddr, title: &str) -> anyhow::Result<String> {
    let res = post_json(addr, "/api/boards", &serde_json::json!({ "title": title })).await?;
    if res.status != 201 {
        bail!("POST /api/boards answered {}: {}", res.status, res.body);
    }
    let body = res.json()?;
    Ok(body["id"]
        .as_str()
        .with_context(|| format!("POST /api/boards answered without an id: {body}"))?
        .to_owned())
}
