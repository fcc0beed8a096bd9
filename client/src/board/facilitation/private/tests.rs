use std::collections::{BTreeMap, HashSet};

use huddle_shared::facilitation::PrivateNote;

use super::{Local, reconcile};

fn note(id: &str, text: &str) -> PrivateNote {
    PrivateNote {
        id: id.into(),
        pos: [0.0, 0.0],
        size: [200.0, 200.0],
        color: "yellow".into(),
        text: text.into(),
        session: "s1".into(),
    }
}

fn local(notes: &[(&str, &str, bool)]) -> BTreeMap<String, Local> {
    notes
        .iter()
        .map(|(id, text, dirty)| {
            let l = Local {
                note: note(id, text),
                dirty: *dirty,
            };
            (id.to_string(), l)
        })
        .collect()
}

fn texts(notes: &BTreeMap<String, Local>) -> Vec<(String, String, bool)> {
    notes
        .values()
        .map(|l| (l.note.id.clone(), l.note.text.clone(), l.dirty))
        .collect()
}

#[test]
fn the_servers_list_wins_for_notes_with_nothing_unsent() {
    // "a" was changed in another tab, "b" deleted there, "c" written there.
    let mut notes = local(&[("a", "old", false), ("b", "gone", false)]);
    reconcile(
        &mut notes,
        vec![note("a", "new"), note("c", "theirs")],
        &HashSet::new(),
    );
    let want = [("a", "new", false), ("c", "theirs", false)];
    let want: Vec<_> = want
        .iter()
        .map(|(i, t, d)| (i.to_string(), t.to_string(), *d))
        .collect();
    assert_eq!(texts(&notes), want);
}

#[test]
fn unsent_and_awaited_notes_are_kept_as_the_page_has_them() {
    // "a" was typed offline (unsent); "b" was sent and the server has not answered yet; "c"
    // is being typed: the server's older copies (or their absence) do not win.
    let mut notes = local(&[
        ("a", "offline", true),
        ("b", "sent", false),
        ("c", "typing", false),
    ]);
    let busy: HashSet<String> = ["b".to_string(), "c".to_string()].into();
    reconcile(&mut notes, vec![note("c", "typ")], &busy);
    let got: Vec<_> = texts(&notes).into_iter().map(|(i, t, _)| (i, t)).collect();
    let want: Vec<_> = [("a", "offline"), ("b", "sent"), ("c", "typing")]
        .iter()
        .map(|(i, t)| (i.to_string(), t.to_string()))
        .collect();
    assert_eq!(got, want);
    assert!(notes["a"].dirty, "an unsent note stays unsent");
}
