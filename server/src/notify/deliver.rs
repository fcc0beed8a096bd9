//! One delivery: try, and if the receiver is down or busy, wait (the backoff) and try again,
//! until it accepts, refuses for good, or the tries run out. Every try is written to the
//! board's delivery log. At shutdown a waiting delivery stops and stays pending in the log;
//! the next start sends it again, within the backoff's first wait (receivers drop repeats by
//! `X-Huddle-Delivery`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use huddle_shared::notify::backoff::retry_status;
use huddle_shared::notify::signature;

use super::{Notifier, target};
use crate::store::notify::{Delivery, DeliveryStatus, Webhook};
use crate::store::now_ms;

/// The longest error text kept in the log.
const MAX_ERROR_CHARS: usize = 300;

/// What one try came to.
enum Outcome {
    /// 2xx.
    Accepted(u16),
    /// Worth another try: no answer, or 408/425/429/5xx.
    Again(Option<u16>, String),
    /// Not worth another: the receiver refused the request (other 4xx), or the target is
    /// not allowed.
    Refused(Option<u16>, String),
}

pub(super) async fn run(notifier: Notifier, board: String, mut delivery: Delivery) {
    let shutdown = notifier.inner.shutdown.clone();
    // A delivery resumed after a restart waits for the try it was waiting for, but no longer
    // than the first wait of the backoff: the restart may have been the receiver's trouble.
    if let Some(due) = delivery.next_try {
        let wait =
            Duration::from_millis(due.saturating_sub(now_ms())).min(notifier.inner.backoff.base);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.cancelled() => return,
        }
    }
    loop {
        let hook = match notifier.trees().webhook(&board, &delivery.webhook) {
            Ok(Some(hook)) => hook,
            Ok(None) => {
                delivery.status = DeliveryStatus::Failed;
                delivery.next_try = None;
                delivery.error = Some("the webhook was deleted".into());
                save(&notifier, &board, &delivery);
                return;
            }
            Err(e) => {
                tracing::error!(board = %board, "cannot read a webhook: {e}");
                return;
            }
        };
        // A try under way when the server stops is dropped: the delivery stays pending and
        // is sent again at the next start, rather than hold up the shutdown.
        let outcome = tokio::select! {
            outcome = async {
                let _turn = notifier.turn(&board, &hook.id).await;
                attempt(&notifier, &hook, &delivery).await
            } => outcome,
            _ = shutdown.cancelled() => return,
        };
        delivery.attempts += 1;
        delivery.last_try = Some(now_ms());
        delivery.next_try = None;
        let wait = match outcome {
            Outcome::Accepted(status) => {
                delivery.status = DeliveryStatus::Delivered;
                delivery.http_status = Some(status);
                delivery.error = None;
                None
            }
            Outcome::Refused(status, error) => {
                delivery.status = DeliveryStatus::Failed;
                delivery.http_status = status;
                delivery.error = Some(error);
                None
            }
            Outcome::Again(status, error) => {
                delivery.http_status = status;
                delivery.error = Some(error);
                match notifier.inner.backoff.after(delivery.attempts) {
                    Some(wait) => {
                        delivery.next_try = Some(now_ms() + wait.as_millis() as u64);
                        Some(wait)
                    }
                    None => {
                        delivery.status = DeliveryStatus::Failed;
                        None
                    }
                }
            }
        };
        save(&notifier, &board, &delivery);
        let Some(wait) = wait else {
            tracing::info!(
                board = %board,
                delivery = %delivery.id,
                status = ?delivery.status,
                attempts = delivery.attempts,
                "webhook delivery finished"
            );
            return;
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// Logs a try. No flush is asked for: a try's outcome rides on the next group commit (the
/// rooms' or sled's own every half second), since a thousand failing tries a second each
/// asking for an fsync would compete with the rooms' own. Lost in a crash, a try is only
/// made again.
fn save(notifier: &Notifier, board: &str, delivery: &Delivery) {
    if let Err(e) = notifier
        .trees()
        .update_delivery(notifier.store(), board, delivery)
    {
        tracing::error!(board = %board, "cannot log a webhook delivery: {e}");
    }
}

async fn attempt(notifier: &Notifier, hook: &Webhook, delivery: &Delivery) -> Outcome {
    let url = match target::check(&hook.url, hook.kind, notifier.allow_private()) {
        Ok(url) => url,
        Err(e) => return Outcome::Refused(None, e.to_string()),
    };
    let mut request = notifier
        .inner
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Huddle-Event", &delivery.event)
        .header("X-Huddle-Delivery", &delivery.id)
        .body(delivery.body.clone());
    if hook.kind.signed() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        request = request.header(
            signature::HEADER,
            signature::sign(&hook.secret, now, delivery.body.as_bytes()),
        );
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            if response.status().is_success() {
                return Outcome::Accepted(status);
            }
            // A few words of the receiver's answer help the owner fix the URL.
            let text = response.text().await.unwrap_or_default();
            let error = cut(&format!("the receiver answered {status}: {}", text.trim()));
            if retry_status(status) {
                Outcome::Again(Some(status), error)
            } else {
                Outcome::Refused(Some(status), error)
            }
        }
        Err(e) => Outcome::Again(None, cut(&chain(&e))),
    }
}

/// An error and its causes, as one line ("error sending request: ...: connection refused").
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

fn cut(text: &str) -> String {
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= MAX_ERROR_CHARS {
        text
    } else {
        let mut cut: String = text.chars().take(MAX_ERROR_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}
