//! Which versions pruning deletes: automatic versions (end of session, hourly, before a
//! restore or an import) after `keep_auto_ms`, named ones after `keep_named_ms` (by default
//! never). The board's newest version is always kept, whatever its age, so that a board
//! left alone for months still has one to go back to.

use super::{VersionHead, VersionKind};

/// How long versions are kept; `None` keeps them forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Versions taken automatically, in milliseconds.
    pub keep_auto_ms: Option<u64>,
    /// Named versions, in milliseconds.
    pub keep_named_ms: Option<u64>,
}

/// Automatic versions are kept 30 days by default.
pub const DEFAULT_KEEP_AUTO_DAYS: u64 = 30;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_auto_ms: Some(DEFAULT_KEEP_AUTO_DAYS * DAY_MS),
            keep_named_ms: None,
        }
    }
}

impl Retention {
    /// From days (`None`: forever).
    pub fn days(keep_auto: Option<u64>, keep_named: Option<u64>) -> Retention {
        Retention {
            keep_auto_ms: keep_auto.map(|d| d.saturating_mul(DAY_MS)),
            keep_named_ms: keep_named.map(|d| d.saturating_mul(DAY_MS)),
        }
    }

    fn keep_ms(&self, kind: VersionKind) -> Option<u64> {
        match kind {
            VersionKind::Named => self.keep_named_ms,
            _ => self.keep_auto_ms,
        }
    }
}

/// The ids of the versions in `heads` that retention deletes at `now`.
pub fn to_prune(heads: &[VersionHead], retention: &Retention, now: u64) -> Vec<u64> {
    let newest = heads.iter().map(|h| h.id).max();
    heads
        .iter()
        .filter(|h| Some(h.id) != newest)
        .filter(|h| {
            retention
                .keep_ms(h.kind)
                .is_some_and(|keep| now.saturating_sub(h.at) > keep)
        })
        .map(|h| h.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::Summary;

    fn head(id: u64, kind: VersionKind) -> VersionHead {
        VersionHead {
            id,
            at: id,
            kind,
            name: None,
            authors: Vec::new(),
            summary: Summary::default(),
            items: 0,
            state_bytes: 0,
            stored_bytes: 0,
        }
    }

    #[test]
    fn by_default_named_versions_stay_and_automatic_ones_go_after_30_days() {
        let heads = vec![
            head(0, VersionKind::Named),
            head(1, VersionKind::Hourly),
            head(2, VersionKind::SessionEnd),
            head(40 * DAY_MS, VersionKind::Hourly),
            head(41 * DAY_MS, VersionKind::BeforeRestore),
        ];
        let now = 41 * DAY_MS;
        assert_eq!(to_prune(&heads, &Retention::default(), now), vec![1, 2]);
        // Exactly 30 days old is still kept.
        assert!(to_prune(&heads, &Retention::default(), 30 * DAY_MS + 1).is_empty());
    }

    #[test]
    fn the_newest_version_is_kept_however_old() {
        let heads = vec![
            head(0, VersionKind::Hourly),
            head(1, VersionKind::SessionEnd),
        ];
        assert_eq!(
            to_prune(&heads, &Retention::default(), 400 * DAY_MS),
            vec![0]
        );
    }

    #[test]
    fn named_versions_can_expire_and_automatic_ones_stay_forever() {
        let heads = vec![
            head(0, VersionKind::Named),
            head(1, VersionKind::Hourly),
            head(2, VersionKind::Named),
        ];
        let retention = Retention::days(None, Some(7));
        assert_eq!(to_prune(&heads, &retention, 8 * DAY_MS + 5), vec![0]);
    }
}
