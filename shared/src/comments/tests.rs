use super::*;

fn people() -> Vec<Mentionable> {
    [
        ("p-ann", "Ann Lee"),
        ("p-ann2", "Ann"),
        ("p-bo", "Bo"),
        ("p-cy", "Cy Ng"),
    ]
    .iter()
    .map(|(id, name)| Mentionable {
        id: (*id).into(),
        name: (*name).into(),
    })
    .collect()
}

fn actor(id: &str, role: Role) -> Actor {
    Actor {
        id: id.into(),
        name: format!("name of {id}"),
        role,
    }
}

fn start(thread: &str, comment: &str, text: &str) -> Command {
    Command::Start {
        thread: thread.into(),
        anchor: Anchor::Item {
            item: "note-1".into(),
        },
        comment: comment.into(),
        text: text.into(),
    }
}

fn reply(thread: &str, comment: &str, text: &str) -> Command {
    Command::Reply {
        thread: thread.into(),
        comment: comment.into(),
        text: text.into(),
    }
}

fn changed(outcome: Outcome) -> (Thread, Option<News>) {
    match outcome {
        Outcome::Changed { thread, news } => (thread, news),
        Outcome::Unchanged => panic!("expected a change"),
    }
}

#[test]
fn mentions_take_the_longest_name_at_word_ends_and_skip_email_addresses() {
    let p = people();
    assert_eq!(resolve_mentions("hi @Ann Lee, see this", &p), ["p-ann"]);
    assert_eq!(
        resolve_mentions("hi @ann, and @bo!", &p),
        ["p-ann2", "p-bo"]
    );
    assert!(resolve_mentions("@annabel and mail@bo", &p).is_empty());
    assert_eq!(resolve_mentions("@Bo @bo @BO", &p), ["p-bo"]);
    assert_eq!(resolve_mentions("@Cy Ng", &p), ["p-cy"]);
    assert!(
        resolve_mentions("@Cy", &p).is_empty(),
        "Cy is not a whole name"
    );
}

#[test]
fn completion_finds_the_query_at_the_cursor_and_ranks_prefixes_first() {
    assert_eq!(mention_query("hello @an", 9), Some((6, "an")));
    assert_eq!(mention_query("mail@an", 7), None);
    assert_eq!(mention_query("@a\nb", 4), None);
    let p = people();
    let names: Vec<&str> = complete("an", &p).iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Ann", "Ann Lee"]);
    let names: Vec<&str> = complete("ng", &p).iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Cy Ng"]);
    assert_eq!(complete("", &p).len(), 4);
}

#[test]
fn a_thread_with_a_mention_a_reply_an_edit_and_a_resolve() {
    let mut threads = Threads::default();
    let p = people();
    let ann = actor("p-ann", Role::Commenter);
    let bo = actor("p-bo", Role::Editor);
    let (t, news) = changed(
        threads
            .apply(&ann, &start("t1", "c1", "@Bo is this small?"), &p, 10)
            .unwrap(),
    );
    assert_eq!(t.comments[0].author, "p-ann");
    assert_eq!(t.comments[0].mentions, ["p-bo"]);
    let news = news.unwrap();
    assert_eq!(news.mentioned, ["p-bo"]);
    assert!(news.replied_to.is_empty());

    let (t, news) = changed(
        threads
            .apply(&bo, &reply("t1", "c2", "yes"), &p, 20)
            .unwrap(),
    );
    assert_eq!(t.comments.len(), 2);
    assert_eq!(news.unwrap().replied_to, ["p-ann"]);

    let edit = Command::Edit {
        thread: "t1".into(),
        comment: "c2".into(),
        text: "yes, ask @Cy Ng".into(),
    };
    assert_eq!(
        threads.apply(&ann, &edit, &p, 30),
        Err(CommentError::NotYours)
    );
    let (t, news) = changed(threads.apply(&bo, &edit, &p, 30).unwrap());
    assert_eq!(t.comments[1].edited_at, Some(30));
    assert_eq!(news.unwrap().mentioned, ["p-cy"]);
    // Editing again with the same mention notifies nobody new.
    let edit2 = Command::Edit {
        thread: "t1".into(),
        comment: "c2".into(),
        text: "yes, ask @Cy Ng today".into(),
    };
    assert_eq!(changed(threads.apply(&bo, &edit2, &p, 31).unwrap()).1, None);

    let resolve = Command::Resolve {
        thread: "t1".into(),
    };
    let (t, _) = changed(threads.apply(&ann, &resolve, &p, 40).unwrap());
    assert_eq!(t.resolved.as_ref().map(|r| r.by.as_str()), Some("p-ann"));
    assert_eq!(
        threads.apply(&ann, &resolve, &p, 41),
        Ok(Outcome::Unchanged)
    );
    // A reply opens it again.
    let (t, _) = changed(
        threads
            .apply(&bo, &reply("t1", "c3", "one more"), &p, 50)
            .unwrap(),
    );
    assert!(t.is_open());
}

#[test]
fn viewers_are_refused_and_only_authors_or_owners_delete() {
    let mut threads = Threads::default();
    let p = people();
    let viewer = actor("p-v", Role::Viewer);
    assert_eq!(
        threads.apply(&viewer, &start("t1", "c1", "hi"), &p, 1),
        Err(CommentError::Viewer)
    );
    assert_eq!(
        threads.apply(&viewer, &Command::Hello, &p, 1),
        Ok(Outcome::Unchanged)
    );
    let ann = actor("p-ann", Role::Commenter);
    let bo = actor("p-bo", Role::Editor);
    let owner = actor("p-own", Role::Owner);
    threads
        .apply(&ann, &start("t1", "c1", "hi"), &p, 1)
        .unwrap();
    let delete = Command::Delete {
        thread: "t1".into(),
        comment: "c1".into(),
    };
    assert_eq!(
        threads.apply(&bo, &delete, &p, 2),
        Err(CommentError::NotYoursToDelete)
    );
    let (t, _) = changed(threads.apply(&owner, &delete, &p, 3).unwrap());
    assert!(t.comments[0].deleted);
    assert!(t.comments[0].text.is_empty());
    let edit = Command::Edit {
        thread: "t1".into(),
        comment: "c1".into(),
        text: "back".into(),
    };
    assert_eq!(
        threads.apply(&ann, &edit, &p, 4),
        Err(CommentError::Deleted)
    );
}

#[test]
fn sending_again_is_idempotent_and_ids_of_others_are_refused() {
    let mut threads = Threads::default();
    let p = people();
    let ann = actor("p-ann", Role::Commenter);
    let bo = actor("p-bo", Role::Commenter);
    threads
        .apply(&ann, &start("t1", "c1", "hi"), &p, 1)
        .unwrap();
    assert_eq!(
        threads.apply(&ann, &start("t1", "c1", "hi"), &p, 2),
        Ok(Outcome::Unchanged)
    );
    assert_eq!(
        threads.apply(&bo, &start("t1", "c9", "mine"), &p, 2),
        Err(CommentError::IdTaken)
    );
    threads
        .apply(&ann, &reply("t1", "c2", "more"), &p, 3)
        .unwrap();
    assert_eq!(
        threads.apply(&ann, &reply("t1", "c2", "more"), &p, 4),
        Ok(Outcome::Unchanged)
    );
    assert_eq!(threads.by_id["t1"].comments.len(), 2);
    assert_eq!(
        threads.apply(&bo, &reply("t1", "c2", "forged"), &p, 4),
        Err(CommentError::IdTaken)
    );
}

#[test]
fn lengths_points_and_limits_are_checked() {
    let mut threads = Threads::default();
    let p = people();
    let ann = actor("p-ann", Role::Commenter);
    assert_eq!(
        threads.apply(&ann, &start("t1", "c1", "   "), &p, 1),
        Err(CommentError::Empty)
    );
    let long = "x".repeat(MAX_COMMENT_CHARS + 1);
    assert_eq!(
        threads.apply(&ann, &start("t1", "c1", &long), &p, 1),
        Err(CommentError::TooLong)
    );
    let at_point = Command::Start {
        thread: "t2".into(),
        anchor: Anchor::Point {
            pos: [f64::NAN, 0.0],
        },
        comment: "c1".into(),
        text: "x".into(),
    };
    assert_eq!(
        threads.apply(&ann, &at_point, &p, 1),
        Err(CommentError::BadPoint)
    );
    assert_eq!(
        threads.apply(&ann, &reply("nope", "c5", "x"), &p, 1),
        Err(CommentError::NoSuchThread)
    );
}

#[test]
fn requests_round_trip_and_bad_ones_are_refused_when_decoded() {
    let req = Request {
        req: 7,
        cmd: start("t1", "c1", "hello @Bo"),
    };
    assert_eq!(Request::decode(&req.encode()), Ok(req));
    let bad = br#"{"req":1,"op":"reply","thread":"","comment":"c","text":"x"}"#;
    assert_eq!(Request::decode(bad), Err(ProtocolError::BadId));
    let long = format!(
        r#"{{"req":1,"op":"edit","thread":"t","comment":"c","text":"{}"}}"#,
        "y".repeat(MAX_COMMENT_CHARS + 1)
    );
    assert_eq!(
        Request::decode(long.as_bytes()),
        Err(ProtocolError::TooLong)
    );
    // Who wrote it is the server's to say: a request that claims an author is refused.
    let forged = br#"{"req":2,"op":"reply","thread":"t","comment":"c","text":"x","author":"p-bo"}"#;
    assert_eq!(
        Request::decode(forged),
        Err(ProtocolError::ForgedAuthor("author".into()))
    );
    assert!(Request::decode(b"{not json").is_err());
}
