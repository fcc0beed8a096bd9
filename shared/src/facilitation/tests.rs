use super::*;

fn person(id: &str, name: &str) -> PersonRef {
    PersonRef {
        id: id.into(),
        name: name.into(),
    }
}

fn turn(person: &str, from: u64, to: Option<u64>) -> Turn {
    Turn {
        person: person.into(),
        name: person.into(),
        from,
        to,
    }
}

#[test]
fn rotate_prefers_who_never_facilitated_then_least_recent() {
    let present = [person("a", "Ana"), person("b", "Bo"), person("c", "Cy")];
    let history = [
        turn("a", 0, Some(10)),
        turn("b", 10, Some(20)),
        turn("a", 20, None),
    ];
    // Cy never facilitated.
    assert_eq!(rotate_pick(&present, &history, Some("a")).unwrap().id, "c");
    let history = [
        turn("c", 0, Some(5)),
        turn("b", 5, Some(20)),
        turn("a", 20, None),
    ];
    assert_eq!(rotate_pick(&present, &history, Some("a")).unwrap().id, "c");
    // Nobody else present: nobody to hand to.
    assert!(rotate_pick(&present[..1], &history, Some("a")).is_none());
}

#[test]
fn rotate_ties_by_name() {
    let present = [person("x", "zed"), person("y", "Amy"), person("z", "bob")];
    assert_eq!(rotate_pick(&present, &[], None).unwrap().id, "y");
}

#[test]
fn timer_pauses_resumes_and_extends_on_the_servers_clock() {
    let mut t = Timer::start("Write".into(), 60, true, 1_000);
    assert_eq!(t.left(31_000), 30_000);
    t.pause(31_000);
    assert_eq!(t.left(99_000), 30_000);
    t.resume(100_000);
    assert_eq!(t.left(100_000), 30_000);
    t.extend(60, 110_000);
    assert_eq!(t.left(110_000), 80_000);
    assert_eq!(t.total_ms, 120_000);
    // Ran out, then extended: runs again from now.
    assert_eq!(t.left(500_000), 0);
    t.extend(60, 500_000);
    assert_eq!(t.left(500_000), 60_000);
}

#[test]
fn timer_arithmetic_saturates_instead_of_overflowing() {
    let mut t = Timer::start("Huge".into(), u64::MAX, false, u64::MAX - 5);
    assert_eq!(t.ends_at, Some(u64::MAX));
    assert_eq!(t.total_ms, u64::MAX);
    t.extend(u64::MAX, u64::MAX);
    assert_eq!(t.left(0), u64::MAX);
    t.pause(1);
    assert_eq!(t.left_ms, u64::MAX - 1);
    t.extend(10, 0);
    assert_eq!(t.left_ms, u64::MAX);
    t.resume(u64::MAX);
    assert_eq!(t.left(u64::MAX), 0);
    t.version = u64::MAX;
    t.pause(u64::MAX);
    assert_eq!(t.version, 0);
}

#[test]
fn quiet_people_rank_first() {
    let mut people = vec![
        Contribution {
            person: "a".into(),
            name: "Ana".into(),
            notes: 3,
            words: 12,
            ..Default::default()
        },
        Contribution {
            person: "b".into(),
            name: "Bo".into(),
            ..Default::default()
        },
        Contribution {
            person: "c".into(),
            name: "Cy".into(),
            ballots: 1,
            ..Default::default()
        },
    ];
    rank_quiet(&mut people);
    let order: Vec<_> = people.iter().map(|p| p.person.as_str()).collect();
    assert_eq!(order, ["b", "c", "a"]);
}

#[test]
fn requests_are_checked_when_decoded() {
    let ok = Request {
        req: 1,
        cmd: Command::TimerStart {
            secs: 300,
            label: "Discuss".into(),
            sound: true,
        },
    };
    assert_eq!(Request::decode(&ok.encode()).unwrap(), ok);
    let zero = br#"{"req":1,"op":"timer_start","secs":0}"#;
    assert_eq!(Request::decode(zero), Err(ProtocolError::BadTime));
    let bad_id = br#"{"req":1,"op":"hand","to":""}"#;
    assert_eq!(Request::decode(bad_id), Err(ProtocolError::BadId));
    let unknown = br#"{"req":1,"op":"take_over_the_world"}"#;
    assert!(matches!(
        Request::decode(unknown),
        Err(ProtocolError::Json(_))
    ));
    let steps = vec![
        Step {
            kind: StepKind::Free,
            title: String::new(),
            minutes: 1,
            targets: vec![],
            scope: Default::default(),
            settings: None,
        };
        MAX_STEPS + 1
    ];
    let long = Request {
        req: 2,
        cmd: Command::AgendaSet { steps },
    };
    assert_eq!(Request::decode(&long.encode()), Err(ProtocolError::TooMany));
}

#[test]
fn private_notes_are_checked() {
    let mut note = PrivateNote {
        id: "n1".into(),
        pos: [10.0, 20.0],
        size: [160.0, 120.0],
        color: "yellow".into(),
        text: "idea".into(),
        session: "s".into(),
    };
    assert!(note.check().is_ok());
    note.pos[0] = f64::NAN;
    assert!(note.check().is_err());
    note.pos[0] = 0.0;
    note.text = "x".repeat(MAX_NOTE_CHARS + 1);
    assert!(note.check().is_err());
}
