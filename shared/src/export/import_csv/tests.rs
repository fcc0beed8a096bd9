use super::*;
use crate::export::Outline;
use crate::model::{Board, Status, StoryType};

fn backlog(text: &str) -> Backlog {
    parse_backlog(text).expect("valid backlog")
}

fn error(text: &str) -> (usize, usize, String) {
    let e = parse_backlog(text).expect_err("invalid backlog");
    (e.line, e.column, e.message)
}

#[test]
fn the_header_tells_jira_from_trello() {
    let jira = backlog("Issue key,Summary,Issue Type\nP-1,Login,Story\n");
    assert_eq!(jira.source, CsvSource::Jira);
    let trello = backlog("Card ID,Card Name,List Name,Labels\n1,Login,Doing,\n");
    assert_eq!(trello.source, CsvSource::Trello);
    let (line, column, message) = error("Name,Points\nx,1\n");
    assert_eq!((line, column), (1, 1));
    assert!(
        message.contains("Summary") && message.contains("Card Name"),
        "{message}"
    );
}

#[test]
fn jira_epics_become_activities_and_versions_slices() {
    let text = "\
Issue id,Issue key,Issue Type,Summary,Custom field (Story Points),Labels,Labels,Fix versions,Status,Parent,Epic Link,Description
10,P-10,Epic,Checkout,,,,,To Do,,,
11,P-11,Story,Pay by card,3,pay,mvp,1.0,In Progress,10,,\"Card, then \"\"3-D Secure\"\"\"
12,P-12,Bug,Fix rounding,1,,,,Closed,,P-10,
13,P-13,Task,Orphan,,,,2.0,Backlog,,,
14,P-14,Sub-task,Tiny,,,,,,11,,
";
    let b = backlog(text);
    assert_eq!(
        b.activities,
        [
            ("Checkout".to_owned(), vec![DEFAULT_STEP.to_owned()]),
            (NO_EPIC.to_owned(), vec![DEFAULT_STEP.to_owned()]),
        ]
    );
    assert_eq!(b.releases, ["1.0", "2.0"]);
    let titles: Vec<_> = b.stories.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Pay by card", "Fix rounding", "Orphan"]);
    let pay = &b.stories[0];
    assert_eq!(pay.fields.estimate, Some(3.0));
    assert_eq!(pay.fields.status, Some(Status::InProgress));
    assert_eq!(pay.labels, ["pay", "mvp"]);
    assert_eq!(pay.release, Some(0));
    assert_eq!(
        pay.fields.description.as_deref(),
        Some("Card, then \"3-D Secure\"")
    );
    assert_eq!(b.stories[1].fields.story_type, Some(StoryType::Bug));
    assert_eq!(b.stories[1].fields.status, Some(Status::Done));
    assert_eq!((b.stories[2].activity, b.stories[2].release), (1, Some(1)));
}

#[test]
fn trello_lists_become_activities_and_labels_lose_their_colour() {
    let text = "\
Card ID,Card Name,Card Description,Labels,List Name,Archived
a,Sign up,Email only,\"MVP (green), needs review (red), (blue)\",To do,false
b,Old card,,,To do,true
c,Invite,,,Doing,false
";
    let b = backlog(text);
    let names: Vec<_> = b.activities.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(names, ["To do", "Doing"]);
    assert_eq!(b.stories.len(), 2);
    assert_eq!(b.stories[0].labels, ["MVP", "needs review"]);
    assert_eq!(
        text_with_labels(&b.stories[0].title, &b.stories[0].labels),
        "Sign up #MVP #needs-review"
    );
    assert_eq!(text_with_labels("Fix #mvp", &["MVP".into()]), "Fix #mvp");
}

#[test]
fn malformed_files_name_line_and_column() {
    let head = "Summary,Story Points,Issue Type\n";
    // A bad estimate: the Story Points column.
    let (l, c, m) = error(&format!("{head}ok,1,Story\nbad,lots,Story\n"));
    assert_eq!((l, c), (3, 2), "{m}");
    assert!(m.contains("Story Points") && m.contains("lots"), "{m}");
    let (l, c, _) = error(&format!("{head}neg,-1,Story\n"));
    assert_eq!((l, c), (2, 2));
    // Wrong field count and an unbalanced quote.
    assert_eq!(error(&format!("{head}a,1\n")).0, 2);
    let (l, c, _) = error(&format!("{head}a,1,Story\n\"b,2,Story\n"));
    assert_eq!((l, c), (3, 1));
    // Empty, header only, too big.
    assert_eq!(error("").0, 1);
    assert_eq!(error(head).0, 2);
    let big = format!("{head}{}", "x,1,Story\n".repeat(MAX_CSV_BYTES / 10 + 1));
    assert!(error(&big).2.contains("bytes"));
    let many = format!("{head}{}", "x,1,Story\n".repeat(MAX_CSV_ROWS + 1));
    assert_eq!(error(&many).0, MAX_CSV_ROWS + 2);
}

#[test]
fn a_backlog_is_written_as_one_map_in_order() {
    let text = "\
Issue Id,Issue Type,Summary,Story Points,Fix Version,Component,Parent,Epic Name,Rank,Labels
1,Epic,Browse,,,,,Browse,1,
3,Story,Second,2,MVP,Search,1,,3,
2,Story,First #x,1,MVP,Search,1,,2,x
4,Tech debt,Later,5,,Filter,1,,4,
";
    let b = backlog(text);
    let board = Board::with_client_id(1);
    let mut txn = board.transact_mut();
    write_backlog(&board, &mut txn, &b, "Imported", [0.0, 0.0], "", 0.0).expect("write");
    let outline = &Outline::all(&board.snapshot(&txn))[0];
    assert_eq!(outline.title, "Imported");
    assert_eq!(
        outline.activities,
        [(
            "Browse".to_owned(),
            vec!["Search".to_owned(), "Filter".to_owned()]
        )]
    );
    assert_eq!(outline.releases, ["MVP", "Unscheduled"]);
    let titles: Vec<_> = outline.stories.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["First #x", "Second", "Later"]);
    assert_eq!(outline.stories[0].tags, ["x"]);
    assert_eq!(outline.stories[2].story_type, StoryType::TechDebt);
}

#[test]
fn step_order_beats_the_order_of_first_use() {
    // "Compare" is used first (in an earlier slice) but is the activity's second step.
    let text = "\
Summary,Component,Step Order,Fix Version,Epic Link
a,Compare,2,MVP,Decide
b,Save,1,R2,Decide
";
    let b = backlog(text);
    assert_eq!(
        b.activities,
        [(
            "Decide".to_owned(),
            vec!["Save".to_owned(), "Compare".to_owned()]
        )]
    );
    assert_eq!((b.stories[0].step, b.stories[1].step), (1, 0));
    let (l, c, _) = error("Summary,Step Order\na,first\n");
    assert_eq!((l, c), (2, 2));
}
