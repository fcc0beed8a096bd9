//! Where a mention or a reply becomes known: [`Room::comment_news`] is called once per
//! comment that was posted or edited and stored, with who was newly mentioned and whom a
//! reply answers (the people who wrote in the thread before; never the author).
//!
//! Notifications (a person's inbox, webhooks) are delivered by another part of the server:
//! it hooks in here. Until it does, the news is only logged, at debug level.

use huddle_shared::comments::News;

use crate::room::Room;

impl Room {
    /// A stored comment that mentions people or replies to others.
    pub(in crate::room) fn comment_news(&mut self, news: &News) {
        tracing::debug!(
            board = %self.id,
            thread = %news.thread,
            comment = %news.comment,
            by = %news.by,
            mentioned = ?news.mentioned,
            replied_to = ?news.replied_to,
            "comment news"
        );
    }
}
