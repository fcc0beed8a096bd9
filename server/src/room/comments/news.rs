//! Where a mention or a reply becomes known: [`Room::comment_news`] is called once per
//! comment that was posted or edited and stored, with who was newly mentioned and whom a
//! reply answers (the people who wrote in the thread before; never the author). It hands
//! them to the [`crate::notify::Notifier`] (inboxes; a mention also to the board's
//! webhooks), which never makes the room wait.

use huddle_shared::comments::News;
use huddle_shared::notify::What;

use crate::notify::notice;
use crate::room::Room;

impl Room {
    /// A stored comment that mentions people or replies to others.
    pub(in crate::room) fn comment_news(&mut self, news: &News) {
        let Some(comment) = self
            .comments
            .threads
            .get(&news.thread)
            .and_then(|t| t.comments.iter().find(|c| c.id == news.comment))
        else {
            return;
        };
        let (author, text) = (comment.name.clone(), comment.text.clone());
        if !news.mentioned.is_empty() {
            self.ctx.notifier.notify(notice(
                &self.id,
                What::Mention {
                    thread: news.thread.clone(),
                    comment: news.comment.clone(),
                    author: author.clone(),
                    text: text.clone(),
                    recipients: news.mentioned.clone(),
                    author_person: Some(news.by.clone()),
                },
            ));
        }
        // Someone both mentioned and answered gets one entry: the mention.
        let replied: Vec<String> = news
            .replied_to
            .iter()
            .filter(|p| !news.mentioned.contains(p))
            .cloned()
            .collect();
        if !replied.is_empty() {
            self.ctx.notifier.notify(notice(
                &self.id,
                What::Reply {
                    thread: news.thread.clone(),
                    comment: news.comment.clone(),
                    author,
                    text,
                    recipients: replied,
                    author_person: Some(news.by.clone()),
                },
            ));
        }
    }
}
