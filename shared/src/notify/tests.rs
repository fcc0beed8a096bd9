use std::net::IpAddr;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::Value;

use super::backoff::{Backoff, retry_status};
use super::payload::body;
use super::signature::{sign, verify};
use super::target::{is_internal, is_internal_name};
use super::*;

fn decision() -> Notice {
    Notice {
        board: "b0ard1d".into(),
        board_title: "Checkout <beta> & [co]".into(),
        at: 1_764_850_000_000,
        what: What::Decision {
            id: "000003".into(),
            text: "Ship saved cards first".into(),
            by: "Ana".into(),
            result: "5 voters: 3 for".into(),
            by_person: Some("p-ana".into()),
        },
    }
}

const URL: &str = "https://huddle.example.com/b/b0ard1d";

#[test]
fn slack_gets_text_with_its_link_syntax_and_escapes() {
    let v = body(WebhookKind::Slack, &decision(), URL, "d1");
    let text = v["text"].as_str().unwrap();
    assert_eq!(
        text,
        "*<https://huddle.example.com/b/b0ard1d|Checkout &lt;beta&gt; &amp; [co]>*: \
         Ana recorded a decision: Ship saved cards first (5 voters: 3 for)"
    );
    assert_eq!(
        v.as_object().unwrap().len(),
        1,
        "Slack takes only text: {v}"
    );
}

#[test]
fn mattermost_gets_markdown() {
    let v = body(WebhookKind::Mattermost, &decision(), URL, "d1");
    assert_eq!(
        v["text"].as_str().unwrap(),
        "**[Checkout <beta> & \\[co\\]](https://huddle.example.com/b/b0ard1d)**: \
         Ana recorded a decision: Ship saved cards first (5 voters: 3 for)"
    );
}

#[test]
fn teams_gets_an_adaptive_card_with_a_link() {
    let v = body(WebhookKind::Teams, &decision(), URL, "d1");
    assert_eq!(v["type"], "message");
    let att = &v["attachments"][0];
    assert_eq!(
        att["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &att["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["body"][0]["text"], "Checkout <beta> & [co]");
    assert!(
        card["body"][1]["text"]
            .as_str()
            .unwrap()
            .contains("Ship saved cards first")
    );
    assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
    assert_eq!(card["actions"][0]["url"], URL);
}

#[test]
fn generic_gets_the_event_and_its_data_but_no_person_ids() {
    let v = body(WebhookKind::Generic, &decision(), URL, "d1");
    assert_eq!(v["event"], "decision.recorded");
    assert_eq!(v["delivery"], "d1");
    assert_eq!(v["board"]["id"], "b0ard1d");
    assert_eq!(v["board"]["url"], URL);
    assert_eq!(v["data"]["text"], "Ship saved cards first");
    assert_eq!(v["data"]["id"], "000003");
    assert!(v["data"].get("type").is_none());
    assert!(!v.to_string().contains("p-ana"), "a person id leaked: {v}");
}

#[test]
fn mentions_do_not_carry_recipients_ids() {
    let n = Notice {
        board: "b".into(),
        board_title: "t".into(),
        at: 0,
        what: What::Mention {
            thread: "t1".into(),
            comment: "c1".into(),
            author: "Ben".into(),
            text: "@Ana can you check?".into(),
            recipients: vec!["p-ana".into()],
            author_person: Some("p-ben".into()),
        },
    };
    let v = body(WebhookKind::Generic, &n, URL, "d");
    assert_eq!(v["event"], "mention");
    assert!(!v.to_string().contains("p-ana") && !v.to_string().contains("p-ben"));
    assert_eq!(n.what.recipients(), Some(&["p-ana".to_owned()][..]));
    assert_eq!(n.what.actor(), Some("p-ben"));
    assert_eq!(n.what.inbox_kind(), Some(InboxKind::Mention));
}

#[test]
fn headlines_read_well() {
    let ballot = Notice {
        board: "b".into(),
        board_title: String::new(),
        at: 0,
        what: What::BallotNeeded {
            round: "r".into(),
            title: "Which first?".into(),
            deadline: 1_764_855_300_000, // 2025-12-04 13:35 UTC
            by: "Ana".into(),
            by_person: None,
        },
    };
    assert_eq!(
        ballot.headline(),
        "Ana opened \u{201c}Which first?\u{201d}: your ballot is needed by 2025-12-04 13:35 UTC"
    );
    assert_eq!(ballot.what.topic(), None);
    assert_eq!(ballot.what.event_name(), "ballot.needed");
}

#[test]
fn utc_times_match_known_dates() {
    assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
    assert_eq!(utc_time(951_782_400_000), "2000-02-29 00:00 UTC");
    assert_eq!(utc_time(4_107_542_400_000), "2100-03-01 00:00 UTC");
}

#[test]
fn quotes_are_cut_on_one_line() {
    assert_eq!(quote("a\n  b\tc"), "a b c");
    let long = "x".repeat(MAX_QUOTE_CHARS + 10);
    let q = quote(&long);
    assert_eq!(q.chars().count(), MAX_QUOTE_CHARS);
    assert!(q.ends_with('…'));
}

#[test]
fn topics_and_kinds_round_trip_their_names() {
    for t in Topic::ALL {
        assert_eq!(Topic::parse(t.name()), Some(t));
        assert_eq!(serde_json::to_value(t).unwrap(), Value::from(t.name()));
    }
    for k in WebhookKind::ALL {
        assert_eq!(WebhookKind::parse(k.name()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), Value::from(k.name()));
    }
    assert_eq!(Topic::parse("nope"), None);
}

#[test]
fn a_signature_verifies_only_with_its_secret_body_and_time() {
    let header = sign("s3cret", 1_700_000_000, b"{\"a\":1}");
    assert!(header.starts_with("t=1700000000,v1="));
    assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
    assert_eq!(verify("s3cret", &header, b"{\"a\":1}"), Some(1_700_000_000));
    assert_eq!(verify("other", &header, b"{\"a\":1}"), None);
    assert_eq!(verify("s3cret", &header, b"{\"a\":2}"), None);
    let moved = header.replace("t=1700000000", "t=1700000001");
    assert_eq!(verify("s3cret", &moved, b"{\"a\":1}"), None);
    assert_eq!(verify("s3cret", "garbage", b""), None);
    assert_eq!(verify("s3cret", "t=1,v1=zz", b""), None);
}

#[test]
fn a_known_signature() {
    // printf '1.x' | openssl dgst -sha256 -hmac key
    assert_eq!(
        sign("key", 1, b"x"),
        "t=1,v1=fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec"
    );
}

#[test]
fn backoff_doubles_up_to_the_cap_and_stops() {
    let b = Backoff {
        base: Duration::from_secs(10),
        cap: Duration::from_secs(60),
        attempts: 6,
    };
    assert_eq!(
        b.waits(),
        [10, 20, 40, 60, 60].map(Duration::from_secs).to_vec()
    );
    assert_eq!(b.after(0), None);
    assert_eq!(b.after(6), None);
    let d = Backoff::default();
    assert_eq!(d.waits().len() as u32, d.attempts - 1);
    let total: Duration = d.waits().iter().sum();
    assert!(total >= Duration::from_secs(15 * 60), "{total:?}");
    assert!(retry_status(500) && retry_status(503) && retry_status(429) && retry_status(408));
    assert!(!retry_status(400) && !retry_status(404) && !retry_status(200) && !retry_status(410));
}

proptest! {
    #[test]
    fn backoff_never_shrinks_and_never_passes_the_cap(
        base_ms in 1u64..100_000, cap_ms in 1u64..10_000_000, attempts in 0u32..100
    ) {
        let b = Backoff {
            base: Duration::from_millis(base_ms),
            cap: Duration::from_millis(cap_ms),
            attempts,
        };
        let waits = b.waits();
        prop_assert_eq!(waits.len() as u32, attempts.saturating_sub(1));
        for w in waits.windows(2) {
            prop_assert!(w[0] <= w[1]);
        }
        for w in &waits {
            prop_assert!(*w <= b.cap);
        }
    }

    #[test]
    fn any_body_signed_verifies(secret in ".{1,40}", t in any::<u64>(), body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let h = sign(&secret, t, &body);
        prop_assert_eq!(verify(&secret, &h, &body), Some(t));
    }
}

#[test]
fn internal_addresses_are_refused() {
    for ip in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
        "::127.0.0.1",
    ] {
        let ip: IpAddr = ip.parse().unwrap();
        assert!(is_internal(ip), "{ip} should be internal");
    }
    for ip in [
        "8.8.8.8",
        "52.1.2.3",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ] {
        let ip: IpAddr = ip.parse().unwrap();
        assert!(!is_internal(ip), "{ip} should be public");
    }
    assert!(
        is_internal_name("localhost")
            && is_internal_name("LOCALHOST.")
            && is_internal_name("a.localhost")
    );
    assert!(!is_internal_name("hooks.slack.com"));
}
