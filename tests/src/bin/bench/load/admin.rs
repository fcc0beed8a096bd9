//! Acting as Huddle's admin. Since issue 11 a WebSocket to a board is let in only with a role
//! on it (404 otherwise, as for no board), so the load generator connects as the server's
//! admin, as the tests do: the admin key, read from the admin link the server prints, goes in
//! every WebSocket URL (`?key=KEY`, see [`Server::ws_path`]) and on API calls
//! (`Authorization: Bearer KEY`). A Huddle of an earlier release prints no admin link and
//! needs no key: nothing changes for it, nor for the other servers.
//!
//! The boards need no creating through the API: every scenario writes its boards into the
//! data directory before the server starts ([`seed`]), their metadata included, and a board
//! nobody owns belongs to the admin alone (as every board of a previous release's data
//! directory does). [`check_boards`] asks the server, as the admin, whether it has them all
//! before anyone joins, so that a server which does not see them fails with one message
//! rather than thousands of 404s.
//!
//! [`Server::ws_path`]: super::server::Server::ws_path
//! [`seed`]: super::seed

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};

use super::server::Server;

/// Admin keys by data directory: a server prints its admin link on its first start on a
/// directory only, and W4, W6 and W8 start servers on one directory several times.
static KEYS: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());

/// The admin key of a server just started on `data`: the one it `printed`, else the one a
/// server printed on an earlier start on `data`, else none (a release before issue 11).
pub fn key_for(data: &Path, printed: Option<String>) -> Option<String> {
    let mut keys = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    match printed {
        Some(key) => {
            keys.retain(|(dir, _)| dir != data);
            keys.push((data.to_owned(), key.clone()));
            Some(key)
        }
        None => keys
            .iter()
            .find(|(dir, _)| dir == data)
            .map(|(_, key)| key.clone()),
    }
}

/// Checks, as the admin, that the server lists every board of `ids` (`GET /api/boards`);
/// nothing to check on a server without an admin key.
pub async fn check_boards(server: &Server, ids: &[String]) -> anyhow::Result<()> {
    if server.admin_key().is_none() {
        return Ok(());
    }
    let res = huddle_tests::http::get(server.addr(), "/api/boards").await?;
    if res.status != 200 {
        bail!(
            "GET /api/boards as the admin answered {}: {}",
            res.status,
            res.body
        );
    }
    let listed = res.json()?;
    let listed: Vec<&str> = listed
        .as_array()
        .context("GET /api/boards did not answer a list")?
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    let missing = missing(ids, &listed);
    if let Some(first) = missing.first() {
        bail!(
            "the server does not list {} of the {} boards written into its data directory (first: {first:?}): it would refuse their WebSockets with 404",
            missing.len(),
            ids.len()
        );
    }
    Ok(())
}

/// The ids of `wanted` not in `listed`.
fn missing<'a>(wanted: &'a [String], listed: &[&str]) -> Vec<&'a str> {
    let listed: std::collections::HashSet<&str> = listed.iter().copied().collect();
    wanted
        .iter()
        .map(String::as_str)
        .filter(|id| !listed.contains(id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_printed_once_serves_later_starts_on_the_same_directory() {
        let (a, b) = (
            Path::new("/tmp/bench-admin-a"),
            Path::new("/tmp/bench-admin-b"),
        );
        assert_eq!(key_for(a, None), None);
        assert_eq!(key_for(a, Some("k1".into())).as_deref(), Some("k1"));
        assert_eq!(key_for(a, None).as_deref(), Some("k1"));
        assert_eq!(key_for(b, None), None);
        // A new key (rotated) replaces the old one.
        assert_eq!(key_for(a, Some("k2".into())).as_deref(), Some("k2"));
        assert_eq!(key_for(a, None).as_deref(), Some("k2"));
    }

    #[test]
    fn boards_not_listed_are_missing() {
        let wanted = vec![
            "load-0".to_owned(),
            "load-1".to_owned(),
            "load-2".to_owned(),
        ];
        assert_eq!(missing(&wanted, &["load-1", "other"]), ["load-0", "load-2"]);
        assert!(missing(&wanted, &["load-2", "load-0", "load-1"]).is_empty());
    }
}
