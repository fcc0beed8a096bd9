//! Following someone's view and answering "bring everyone here", as pure state (tested
//! natively): given the peers after each awareness change, where should our camera go?
//!
//! - Following: the followed peer's viewport drives our camera each time it changes, until we
//!   stop (the user pans or zooms, clicks them again) or they leave.
//! - Summons: a peer bumps its `summon` counter with its viewport; everyone else goes there
//!   once. Only an increase seen while we watch counts: the counter a peer already had when
//!   we first saw it is an old summon, not one for us.

use std::collections::HashMap;

use super::{Peer, Viewport};

#[derive(Debug, Default)]
pub struct Follow {
    /// The peer whose view we follow.
    following: Option<u64>,
    /// Their viewport we last moved to: we move again only when it changes.
    last_viewport: Option<Viewport>,
    /// Each present peer's summon counter as last seen.
    summons: HashMap<u64, u64>,
}

/// What an awareness change means for our camera.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// Move the camera here.
    pub go_to: Option<Viewport>,
    /// Whom we follow changed (the panel shows it).
    pub following_changed: bool,
}

impl Follow {
    pub fn following(&self) -> Option<u64> {
        self.following
    }

    /// Starts following `client_id`, or stops if we already follow them. Returns where to
    /// go now (their current viewport).
    pub fn toggle(&mut self, client_id: u64, peers: &[Peer]) -> Option<Viewport> {
        if self.following == Some(client_id) {
            self.stop();
            return None;
        }
        let peer = peers.iter().find(|p| p.client_id == client_id)?;
        self.following = Some(client_id);
        self.last_viewport = peer.viewport;
        peer.viewport
    }

    /// Stops following; whether we were.
    pub fn stop(&mut self) -> bool {
        self.last_viewport = None;
        self.following.take().is_some()
    }

    /// The peers changed: answer summons, follow the followed.
    pub fn update(&mut self, peers: &[Peer]) -> Outcome {
        let mut outcome = Outcome::default();
        let mut seen = HashMap::with_capacity(peers.len());
        for peer in peers {
            let before = self.summons.get(&peer.client_id).copied();
            seen.insert(peer.client_id, peer.summon);
            if before.is_some_and(|b| peer.summon > b)
                && let Some(viewport) = peer.viewport
            {
                outcome.go_to = Some(viewport);
                // Going where we are called ends following someone else.
                if self.following.is_some_and(|f| f != peer.client_id) {
                    outcome.following_changed |= self.stop();
                }
            }
        }
        self.summons = seen;
        if outcome.go_to.is_some() {
            return outcome;
        }
        let Some(followed) = self.following else {
            return outcome;
        };
        match peers.iter().find(|p| p.client_id == followed) {
            None => outcome.following_changed = self.stop(),
            Some(peer) => {
                if peer.viewport.is_some() && peer.viewport != self.last_viewport {
                    self.last_viewport = peer.viewport;
                    outcome.go_to = peer.viewport;
                }
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(id: u64, viewport: Option<[f64; 3]>, summon: u64) -> Peer {
        Peer {
            client_id: id,
            name: format!("p{id}"),
            color: "#000000".into(),
            cursor: None,
            selection: Vec::new(),
            dragging: Vec::new(),
            viewport: viewport.map(|[x, y, zoom]| Viewport { x, y, zoom }),
            summon,
        }
    }

    fn vp(x: f64) -> Option<Viewport> {
        Some(Viewport {
            x,
            y: 0.0,
            zoom: 1.0,
        })
    }

    #[test]
    fn following_tracks_their_viewport_until_stopped() {
        let mut f = Follow::default();
        let peers = [peer(1, Some([5.0, 0.0, 1.0]), 0)];
        assert_eq!(f.toggle(1, &peers), vp(5.0));
        assert_eq!(f.following(), Some(1));
        // Same viewport: no move.
        assert_eq!(f.update(&peers).go_to, None);
        assert_eq!(
            f.update(&[peer(1, Some([6.0, 0.0, 1.0]), 0)]).go_to,
            vp(6.0)
        );
        assert!(f.stop());
        assert_eq!(f.update(&[peer(1, Some([7.0, 0.0, 1.0]), 0)]).go_to, None);
    }

    #[test]
    fn clicking_again_stops_and_leaving_stops() {
        let mut f = Follow::default();
        let peers = [peer(1, Some([5.0, 0.0, 1.0]), 0)];
        f.toggle(1, &peers);
        assert_eq!(f.toggle(1, &peers), None);
        assert_eq!(f.following(), None);
        f.toggle(1, &peers);
        let gone = f.update(&[]);
        assert!(gone.following_changed);
        assert_eq!(f.following(), None);
        // Nobody to follow: nothing happens.
        assert_eq!(f.toggle(9, &peers), None);
        assert_eq!(f.following(), None);
    }

    #[test]
    fn a_summon_counts_only_if_it_increases_while_we_watch() {
        let mut f = Follow::default();
        // Joining a board where Ada summoned 3 times before: nothing.
        assert_eq!(f.update(&[peer(1, Some([1.0, 0.0, 1.0]), 3)]).go_to, None);
        assert_eq!(f.update(&[peer(1, Some([2.0, 0.0, 1.0]), 3)]).go_to, None);
        // She summons: we go there once.
        assert_eq!(
            f.update(&[peer(1, Some([2.0, 0.0, 1.0]), 4)]).go_to,
            vp(2.0)
        );
        assert_eq!(f.update(&[peer(1, Some([9.0, 0.0, 1.0]), 4)]).go_to, None);
        // A peer that joins with a counter is not summoning.
        let both = [peer(1, Some([9.0, 0.0, 1.0]), 4), peer(2, vp_arr(3.0), 1)];
        assert_eq!(f.update(&both).go_to, None);
    }

    #[test]
    fn a_summon_ends_following_someone_else() {
        let mut f = Follow::default();
        let peers = [peer(1, vp_arr(1.0), 0), peer(2, vp_arr(2.0), 0)];
        f.update(&peers);
        f.toggle(1, &peers);
        let outcome = f.update(&[peer(1, vp_arr(1.0), 0), peer(2, vp_arr(2.0), 1)]);
        assert_eq!(outcome.go_to, vp(2.0));
        assert!(outcome.following_changed);
        assert_eq!(f.following(), None);
    }

    fn vp_arr(x: f64) -> Option<[f64; 3]> {
        Some([x, 0.0, 1.0])
    }
}
