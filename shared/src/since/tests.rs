use super::*;

fn entry(at: u64, person: &str, item: &str, kind: ChangeKind, title: &str) -> JournalEntry {
    JournalEntry {
        at,
        person: person.into(),
        name: person.to_uppercase(),
        item: item.into(),
        kind,
        title: title.into(),
        pos: Some([at as f64, 0.0]),
    }
}

#[test]
fn one_row_per_item_with_everyone_who_changed_it() {
    use ChangeKind::*;
    let log = [
        entry(1, "b", "n1", Moved, "One"),
        entry(2, "c", "n1", Edited, "One!"),
        entry(3, "b", "n1", Moved, "One!"),
        entry(4, "b", "n2", Edited, "Two"),
    ];
    let rows = summarize(&log, "a");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].kinds, vec![Edited, Moved]);
    assert_eq!(rows[0].by, vec!["B", "C"]);
    assert_eq!(rows[0].people, vec!["b", "c"]);
    assert_eq!(rows[0].title, "One!");
    assert_eq!(rows[0].pos, Some([3.0, 0.0]));
    assert_eq!(rows[0].at, 3);
    assert_eq!(rows[1].item.as_deref(), Some("n2"));
}

#[test]
fn created_and_deleted_stand_alone_and_together_vanish() {
    use ChangeKind::*;
    let log = [
        entry(1, "b", "new", Created, ""),
        entry(2, "b", "new", Edited, "Fresh"),
        entry(3, "b", "old", Edited, "Old"),
        entry(4, "b", "old", Deleted, "Old"),
        entry(5, "b", "brief", Created, "x"),
        entry(6, "b", "brief", Deleted, "x"),
    ];
    let rows = summarize(&log, "a");
    let kinds: Vec<_> = rows
        .iter()
        .map(|r| (r.item.clone().unwrap(), r.kinds.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![("new".into(), vec![Created]), ("old".into(), vec![Deleted])]
    );
    assert_eq!(rows[0].title, "Fresh");
}

#[test]
fn my_own_changes_are_not_listed() {
    let log = [entry(1, "a", "n", ChangeKind::Edited, "Mine")];
    assert!(summarize(&log, "a").is_empty());
}

#[test]
fn merge_orders_by_time() {
    let items = summarize(&[entry(5, "b", "n", ChangeKind::Edited, "N")], "a");
    let decision = Change {
        kinds: vec![ChangeKind::Decision],
        item: None,
        by: vec!["C".into()],
        people: vec![],
        title: "Ship it".into(),
        pos: None,
        at: 2,
    };
    let all = merge(items, vec![decision]);
    assert_eq!(all[0].kinds, vec![ChangeKind::Decision]);
    assert_eq!(all[1].item.as_deref(), Some("n"));
}

#[test]
fn titles_are_the_first_line_shortened() {
    assert_eq!(short_title("\n  Pay with card  \nmore"), "Pay with card");
    let long = "x".repeat(100);
    let t = short_title(&long);
    assert_eq!(t.chars().count(), TITLE_CHARS + 1);
    assert!(t.ends_with('…'));
    assert_eq!(short_title(""), "");
}
