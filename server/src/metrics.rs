//! Counters and gauges for `GET /metrics`, in the Prometheus text format.
//!
//! Plain atomics rather than a metrics crate: a dozen numbers do not need a registry, and the
//! hot path (a room broadcasting an update) pays one relaxed add per counter.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the store flush latency histogram: fsync on a quiet SSD is
/// ~1 ms, on a busy disk tens of ms; past a second something is wrong.
const FLUSH_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    pub connections_open: AtomicI64,
    pub rooms_loaded: AtomicI64,
    /// Document updates accepted from clients (sync step 2 and update messages).
    pub updates_received: AtomicU64,
    /// Document updates queued for other clients (one per receiver).
    pub updates_sent: AtomicU64,
    pub bytes_received: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub frames_sent: AtomicU64,
    /// Frames refused: oversized, undecodable or invalid. Each closes its connection.
    pub rejected_messages: AtomicU64,
    /// Document writes refused because the sender's role may not edit (viewers, commenters).
    pub refused_writes: AtomicU64,
    /// Presence (awareness) refused because it claimed to be another person.
    pub refused_presence: AtomicU64,
    /// Requests refused because another site's page sent them (`Origin`).
    pub refused_origins: AtomicU64,
    /// Requests refused with 429 (rate limits, WebSockets per person).
    pub rate_limited: AtomicU64,
    /// Connections refused because their address held the most allowed.
    pub refused_connections: AtomicU64,
    /// Connections closed because their outbound queue was full.
    pub slow_connections_closed: AtomicU64,
    pub compactions: AtomicU64,
    /// Boards' first views stored (a board gone quiet, or its room stopping).
    pub views_stored: AtomicU64,
    /// Runs of log entries merged into one (between compactions).
    pub log_merges: AtomicU64,
    /// New clients answered from stored bytes while their board was still being loaded.
    pub syncs_while_loading: AtomicU64,
    /// New clients answered with the room's cached encoding of the whole board.
    pub full_syncs_cached: AtomicU64,
    /// Combined awareness frames a room broadcast (at most one per room per flush interval).
    pub awareness_flushes: AtomicU64,
    /// Awareness changes folded into a combined frame rather than relayed on their own.
    pub awareness_frames_coalesced: AtomicU64,
    /// Cluster mode: WebSockets this node passes on to the node that owns their board.
    pub relayed_connections: AtomicU64,
    pub relayed_open: AtomicI64,
    /// Cluster mode: API requests about a board sent on to the node that owns it.
    pub relayed_requests: AtomicU64,
    /// Rewrites of the board documents into a fresh sled database (`store/docs.rs`).
    pub docs_rewrites: AtomicU64,
    /// Bytes of the documents' files, and of what they hold, at the last measure.
    pub docs_disk_bytes: AtomicI64,
    pub docs_live_bytes: AtomicI64,
    flush: Histogram,
}

#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; FLUSH_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Metrics {
    pub fn observe_flush(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bound, bucket) in FLUSH_BUCKETS.iter().zip(&self.flush.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.flush.count.fetch_add(1, Relaxed);
        self.flush
            .sum_micros
            .fetch_add(took.as_micros() as u64, Relaxed);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        let gauges = [
            (
                "huddle_connections_open",
                "Open WebSocket connections.",
                self.connections_open.load(Relaxed),
            ),
            (
                "huddle_rooms_loaded",
                "Boards loaded in memory.",
                self.rooms_loaded.load(Relaxed),
            ),
            (
                "huddle_relayed_connections_open",
                "Cluster mode: WebSockets passed on to the node that owns their board, open now.",
                self.relayed_open.load(Relaxed),
            ),
            (
                "huddle_documents_disk_bytes",
                "Bytes of the board documents' files on disk at the last measure (sled).",
                self.docs_disk_bytes.load(Relaxed),
            ),
            (
                "huddle_documents_live_bytes",
                "Bytes of snapshots and log entries the documents' files held at the last count.",
                self.docs_live_bytes.load(Relaxed),
            ),
        ];
        for (name, help, value) in gauges {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            );
        }
        let counters = [
            (
                "huddle_updates_received_total",
                "Document updates accepted from clients.",
                &self.updates_received,
            ),
            (
                "huddle_updates_sent_total",
                "Document updates forwarded to other clients (one per receiver).",
                &self.updates_sent,
            ),
            (
                "huddle_bytes_received_total",
                "WebSocket payload bytes received.",
                &self.bytes_received,
            ),
            (
                "huddle_bytes_sent_total",
                "WebSocket payload bytes sent.",
                &self.bytes_sent,
            ),
            (
                "huddle_frames_sent_total",
                "WebSocket frames sent.",
                &self.frames_sent,
            ),
            (
                "huddle_rejected_messages_total",
                "Frames refused as oversized, undecodable or invalid.",
                &self.rejected_messages,
            ),
            (
                "huddle_refused_writes_total",
                "Document writes refused because the sender's role may not edit.",
                &self.refused_writes,
            ),
            (
                "huddle_refused_presence_total",
                "Awareness states refused because they claimed to be another person.",
                &self.refused_presence,
            ),
            (
                "huddle_refused_origins_total",
                "Requests refused because another site's page sent them.",
                &self.refused_origins,
            ),
            (
                "huddle_rate_limited_total",
                "Requests refused with 429 by a rate limit or the WebSockets-per-person cap.",
                &self.rate_limited,
            ),
            (
                "huddle_refused_connections_total",
                "Connections refused because their address had the most open allowed.",
                &self.refused_connections,
            ),
            (
                "huddle_slow_connections_closed_total",
                "Connections closed because their outbound queue was full.",
                &self.slow_connections_closed,
            ),
            (
                "huddle_relayed_connections_total",
                "Cluster mode: WebSockets passed on to the node that owns their board.",
                &self.relayed_connections,
            ),
            (
                "huddle_relayed_requests_total",
                "Cluster mode: API requests about a board sent on to the node that owns it.",
                &self.relayed_requests,
            ),
            (
                "huddle_compactions_total",
                "Board logs compacted into snapshots.",
                &self.compactions,
            ),
            (
                "huddle_views_stored_total",
                "Board views stored for a fast first load (a board gone quiet, or its room stopping).",
                &self.views_stored,
            ),
            (
                "huddle_document_rewrites_total",
                "Board documents copied into a fresh database to give disk space back.",
                &self.docs_rewrites,
            ),
            (
                "huddle_log_merges_total",
                "Runs of board log entries merged into one between compactions.",
                &self.log_merges,
            ),
            (
                "huddle_syncs_while_loading_total",
                "New clients answered from stored bytes while their board was loading.",
                &self.syncs_while_loading,
            ),
            (
                "huddle_full_syncs_cached_total",
                "New clients answered with the room's cached encoding of the whole board.",
                &self.full_syncs_cached,
            ),
            (
                "huddle_awareness_flushes_total",
                "Combined awareness frames broadcast by rooms (at most one per room per 50 ms).",
                &self.awareness_flushes,
            ),
            (
                "huddle_awareness_frames_coalesced_total",
                "Awareness changes folded into a combined frame instead of relayed on their own.",
                &self.awareness_frames_coalesced,
            ),
        ];
        for (name, help, value) in counters {
            let value = value.load(Relaxed);
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            );
        }
        let name = "huddle_store_flush_seconds";
        let _ = write!(
            out,
            "# HELP {name} Latency of group-commit flushes to disk.\n# TYPE {name} histogram\n"
        );
        for (bound, bucket) in FLUSH_BUCKETS.iter().zip(&self.flush.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            );
        }
        let count = self.flush.count.load(Relaxed);
        let sum = self.flush.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = write!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {count}\n{name}_sum {sum}\n{name}_count {count}\n"
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_histogram_cumulatively() {
        let m = Metrics::default();
        m.observe_flush(Duration::from_micros(800));
        m.observe_flush(Duration::from_millis(30));
        let text = m.render();
        assert!(text.contains("huddle_store_flush_seconds_bucket{le=\"0.0005\"} 0\n"));
        assert!(text.contains("huddle_store_flush_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("huddle_store_flush_seconds_bucket{le=\"0.05\"} 2\n"));
        assert!(text.contains("huddle_store_flush_seconds_count 2\n"));
        assert!(text.contains("# TYPE huddle_connections_open gauge\n"));
    }
}
