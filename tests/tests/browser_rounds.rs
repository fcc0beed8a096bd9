//! Deciding together in real browsers (issue 12's browser test): three Chromiums, three people
//! (own profiles, own person cookies) run a dot vote on six notes, a fist to five in which one
//! of them writes what would change their mind, and a planning poker round whose accepted
//! estimate lands in the story (one undo step for the facilitator) and in the Jira CSV export;
//! a fourth person, with a viewer link, follows every round and sees every result but cannot
//! vote. Everything a person does goes through the page: the Vote dialog, clicks on notes,
//! digit keys for cards, the bar's Reveal, the results panel's Accept and dissent prompt.

use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_shared::model::{Board, NewNote};
use huddle_shared::yrs::TransactionMut;
use huddle_tests::browser::{self, Browser, modifiers};
use huddle_tests::client::Client;
use huddle_tests::http;
use huddle_tests::person::{Person, READY};
use huddle_tests::server::TestServer;
use huddle_tests::visitor::Visitor;
use serde_json::{Value, json};

/// Where the six notes of the dot vote sit (a 3 x 2 grid of default 200 x 200 notes), then
/// the proposal and the story (a third row), and where every page looks while voting.
const GRID: [[f64; 2]; 6] = [
    [-345.0, -230.0],
    [-115.0, -230.0],
    [115.0, -230.0],
    [-345.0, 0.0],
    [-115.0, 0.0],
    [115.0, 0.0],
];
const PROPOSAL_AT: [f64; 2] = [-345.0, 230.0];
/// The story map with the two stories of the poker round (the Jira CSV exports the stories
/// of story maps).
const MAP_AT: [f64; 2] = [-345.0, 500.0];
const STORIES: [&str; 2] = ["Pay by card at checkout", "Refund a payment"];
/// `setCamera` arguments: the middle of the three rows, small enough that the round bar at
/// the top and the results panel at the right cover no note.
const CAMERA: &str = "huddle.setCamera(-15, 100, 0.6)";
/// The dot vote's deadline, as Ann (in New York) picks it: far enough not to close the round.
const DEADLINE: &str = "2030-01-01T10:00";

/// A fresh browser (a new person) on `url`, once the board is connected.
async fn person_at(name: &'static str, url: &str) -> anyhow::Result<Person> {
    let browser = Browser::launch().await?;
    let page = browser.new_page(url).await?;
    let person = Person {
        name,
        page,
        browser,
    };
    person.wait("the board page to connect", READY).await?;
    Ok(person)
}

fn note(client: &Client, text: &str, pos: [f64; 2]) -> String {
    client.edit(|board, txn| {
        board
            .create_note(
                txn,
                NewNote {
                    text: text.to_owned(),
                    pos,
                    ..NewNote::default()
                },
            )
            .expect("a valid note")
    })
}

/// The owner's connection hands the facilitator role to person `to`; fails unless the
/// server acknowledges it.
async fn hand_role(owner: &Client, to: &str) -> anyhow::Result<()> {
    use huddle_shared::facilitation::{Command, Event, Request};
    use huddle_shared::wire::{self, HuddleMessage};
    for (req, cmd) in [
        (1, Command::Hello),
        (2, Command::Hand { to: to.to_owned() }),
    ] {
        let request = HuddleMessage::FacilitationRequest(Request { req, cmd });
        owner.send_raw(wire::encode_huddle(&request));
        let state = owner
            .wait_state_for(|s| {
                s.fac_events.iter().any(|e| {
                    matches!(e, Event::Ack { req: r } | Event::Refused { req: r, .. } if *r == req)
                })
            })
            .await?;
        if let Some(reason) = state.fac_events.iter().find_map(|e| match e {
            Event::Refused { req: r, reason } if *r == req => Some(reason.clone()),
            _ => None,
        }) {
            anyhow::bail!("handing the role was refused: {reason}");
        }
    }
    Ok(())
}

/// JavaScript: the view person's page has of round `id` (`undefined` if none).
fn view(id: &str) -> String {
    format!(
        "huddle.rounds().open.find(v => v.round.id === {})",
        json!(id)
    )
}

/// JavaScript: round `id`'s result as the page reads it from the document.
fn result(id: &str) -> String {
    format!("huddle.rounds().results[{}]", json!(id))
}

/// Opens a round of `kind` with the Vote dialog (on the selection, or the whole board when
/// nothing is selected); the new round's id, once every person's page shows it.
async fn open_round(
    facilitator: &Person,
    everyone: &[&Person],
    kind: &str,
    title: &str,
    deadline: Option<&str>,
) -> anyhow::Result<String> {
    let before = facilitator.page.eval("huddle.rounds().active").await?;
    facilitator.page.press("v", 0).await?;
    facilitator
        .wait(
            "the Vote dialog",
            "!document.querySelector('#vote-dialog').hidden",
        )
        .await?;
    facilitator
        .page
        .eval(&format!(
            "(() => {{ const k = document.querySelector('#vote-kind'); k.value = {};
                k.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()",
            json!(kind)
        ))
        .await?;
    facilitator.page.type_into("#vote-title", title).await?;
    if let Some(deadline) = deadline {
        // A `datetime-local` field takes no typed characters over CDP: set it as a picker does.
        facilitator
            .page
            .eval(&format!(
                "document.querySelector('#vote-deadline').value = {}; true",
                json!(deadline)
            ))
            .await?;
    }
    facilitator.page.click("#vote-start").await?;
    let id = facilitator
        .wait(
            "the new round in the bar",
            &format!(
                "(() => {{ const a = huddle.rounds().active; return a !== {} && a; }})()",
                before
            ),
        )
        .await?
        .as_str()
        .context("active round id")?
        .to_owned();
    for p in everyone {
        p.wait(
            "the round to be shown",
            &format!("huddle.rounds().active === {}", json!(id)),
        )
        .await?;
        p.wait(
            "the round bar",
            "!document.querySelector('#round-bar').hidden",
        )
        .await?;
    }
    Ok(id)
}

/// Clicks note `id` on `p`'s canvas, with `mods` held.
async fn click_note(p: &Person, id: &str, mods: u8) -> anyhow::Result<()> {
    let at = p.item_center(id).await?;
    p.page.click_at(at, mods).await
}

/// The two stories, in a story map with one activity, one step and one release.
fn story_map(board: &Board, txn: &mut TransactionMut) -> anyhow::Result<[String; 2]> {
    let map = board.create_story_map(txn, MAP_AT, "Checkout", "R", 0.0)?;
    let pay = board.add_activity(txn, &map, None, "Pay", "R", 0.0)?;
    let online = board.add_step(txn, &pay, None, "Pay online", "R", 0.0)?;
    let mvp = board.add_release(txn, &map, None, "MVP", "R", 0.0)?;
    let mut ids = Vec::new();
    for text in STORIES {
        let id = board.create_note(
            txn,
            NewNote {
                text: text.to_owned(),
                ..NewNote::default()
            },
        )?;
        board.place_story(txn, &id, &online, Some(&mvp), None)?;
        ids.push(id);
    }
    Ok([ids[0].clone(), ids[1].clone()])
}

/// Centres `p`'s view on the story map (as drawn by its layout).
async fn look_at_map(p: &Person) -> anyhow::Result<()> {
    p.wait(
        "the story map's layout",
        "huddle.storyMaps()[0]?.screen.stories.length === 2",
    )
    .await?;
    p.page
        .eval(
            "(() => { const b = huddle.storyMaps()[0].screen.bounds;
                const [x, y] = huddle.clientToWorld(b.x + b.w / 2, b.y + b.h / 2);
                huddle.setCamera(x, y, 0.6); return true; })()",
        )
        .await?;
    Ok(())
}

/// Clicks story `id` where the story map draws it, with `mods` held.
async fn click_story(p: &Person, id: &str, mods: u8) -> anyhow::Result<()> {
    let rect = p
        .page
        .eval(&format!(
            "huddle.storyMaps()[0].screen.stories.find(s => s.id === {}).rect",
            json!(id)
        ))
        .await?;
    let at = [
        rect["x"].as_f64().context("x")? + rect["w"].as_f64().context("w")? / 2.0,
        rect["y"].as_f64().context("y")? + rect["h"].as_f64().context("h")? / 2.0,
    ];
    p.page.click_at(at, mods).await
}

/// Waits until the facilitator's page counts `n` ballots in round `id`, then reveals it and
/// waits until every page reads its result from the document.
async fn reveal(
    facilitator: &Person,
    everyone: &[&Person],
    id: &str,
    n: u32,
) -> anyhow::Result<()> {
    facilitator
        .wait(
            &format!("{n} ballots"),
            &format!("{}?.voted === {n}", view(id)),
        )
        .await?;
    let progress = facilitator
        .page
        .eval("document.querySelector('#round-progress')?.textContent")
        .await?;
    ensure!(
        progress
            .as_str()
            .is_some_and(|t| t.starts_with(&format!("{n} of "))),
        "the bar says {progress}"
    );
    facilitator.page.click("#round-reveal").await?;
    for p in everyone {
        p.wait(
            "the revealed result",
            &format!("{}?.round.status === 'revealed'", result(id)),
        )
        .await?;
        p.wait(
            "the bar to go",
            "document.querySelector('#round-bar').hidden",
        )
        .await?;
    }
    Ok(())
}

/// An impact/effort `Stat` as (median, min, max, n).
fn stat(v: &Value) -> Option<(f64, u64, u64, u64)> {
    Some((
        v["median"].as_f64()?,
        v["min"].as_u64()?,
        v["max"].as_u64()?,
        v["n"].as_u64()?,
    ))
}

/// The value of column `name` in the CSV row whose line contains `needle`.
fn csv_field(csv: &str, needle: &str, name: &str) -> anyhow::Result<String> {
    let split = |line: &str| -> Vec<String> {
        let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => fields.push(std::mem::take(&mut field)),
                _ => field.push(c),
            }
        }
        fields.push(field);
        fields
    };
    let mut lines = csv.lines();
    let header = split(lines.next().context("empty CSV")?);
    let column = header
        .iter()
        .position(|h| h == name)
        .with_context(|| format!("no {name} column in {header:?}"))?;
    let row = lines
        .find(|l| l.contains(needle))
        .with_context(|| format!("no row with {needle:?} in\n{csv}"))?;
    split(row)
        .get(column)
        .cloned()
        .with_context(|| format!("row too short: {row}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_people_vote_decide_and_estimate_while_a_viewer_watches() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Refinement").await?;
    let links = owner
        .call("GET", &format!("/api/boards/{board}/access"), None)
        .await?
        .json()?["links"]
        .clone();
    let link = |role: &str| -> anyhow::Result<String> {
        Ok(server.http_url(
            links[role]
                .as_str()
                .with_context(|| format!("no {role} link"))?,
        ))
    };
    let writer = owner.join(&board, None).await?;
    let notes: Vec<String> = GRID
        .iter()
        .enumerate()
        .map(|(i, at)| note(&writer, &format!("Idea {}", i + 1), *at))
        .collect();
    writer.save().await?;

    // Ann facilitates (an editor), Ben votes (an editor), Cat votes (a commenter), Dan looks
    // on (a viewer).
    let ann = person_at("Ann", &link("editor")?).await?;
    let ben = person_at("Ben", &link("editor")?).await?;
    let cat = person_at("Cat", &link("commenter")?).await?;
    let dan = person_at("Dan", &link("viewer")?).await?;
    let everyone = [&ann, &ben, &cat, &dan];
    // Only the facilitator runs rounds: the owner hands Ann the role.
    let ann_id = ann.page.eval("huddle.me().id").await?;
    hand_role(&writer, ann_id.as_str().context("Ann's id")?).await?;
    ann.wait(
        "Ann to facilitate",
        "huddle.facilitation().facilitates === true",
    )
    .await?;
    for p in everyone {
        p.wait(
            "the six notes",
            "Object.keys(huddle.snapshot().items).length === 6",
        )
        .await?;
        p.page.eval(CAMERA).await?;
    }
    ensure!(dan.page.eval("huddle.role()").await? == "viewer");
    let vote_button = dan
        .page
        .eval("getComputedStyle(document.querySelector('[data-action=vote]')).display")
        .await?;
    ensure!(
        vote_button == "none",
        "a viewer is offered Vote: {vote_button}"
    );

    // Ann is in New York, Ben in Tokyo: each sees the deadline in their own time.
    for (p, zone) in [(&ann, "America/New_York"), (&ben, "Asia/Tokyo")] {
        p.page
            .call(
                "Emulation.setTimezoneOverride",
                json!({ "timezoneId": zone }),
            )
            .await?;
    }

    // Cat, a commenter, may vote but not start a round: `V` does nothing for her, as every
    // shortcut that would change the board.
    cat.page.press("v", 0).await?;
    ensure!(
        cat.page
            .eval("document.querySelector('#vote-dialog').hidden")
            .await?
            == true,
        "a commenter got the Vote dialog"
    );

    // ---- A dot vote on the whole board (nothing selected): three dots each. ----------------
    let dots = open_round(&ann, &everyone, "dots", "What next?", Some(DEADLINE)).await?;
    let round = ann.page.eval(&format!("{}.round", view(&dots))).await?;
    // 10:00 in New York on 1 January 2030 is 15:00 UTC, and midnight on the 2nd in Tokyo.
    ensure!(
        round["settings"]["deadline"] == json!(1_893_510_000_000u64),
        "deadline {} (UTC ms)",
        round["settings"]["deadline"]
    );
    let shown = ben
        .page
        .eval(
            "(() => { const d = new Date(1893510000000);
                return [document.querySelector('#round-deadline')?.textContent,
                        'Closes ' + d.toLocaleString(), d.getDate(), d.getHours()]; })()",
        )
        .await?;
    ensure!(
        shown[0] == shown[1] && shown[2] == 2 && shown[3] == 0,
        "Ben's bar shows the deadline as {shown}"
    );
    let mut targets: Vec<String> = serde_json::from_value(round["targets"].clone())?;
    targets.sort();
    let mut six = notes.clone();
    six.sort();
    ensure!(
        targets == six,
        "the round is on {targets:?}, not the six notes"
    );
    // Ann: three on idea 1. Ben: one on idea 1, two on idea 2 (the second from the bar's
    // list). Cat: one each on ideas 3, 4 and 5, after taking back a second dot on idea 4
    // with Shift+click.
    let plan: [(&Person, &[(usize, u8)]); 3] = [
        (&ann, &[(0, 0), (0, 0), (0, 0)]),
        (&ben, &[(0, 0), (1, 0)]),
        (
            &cat,
            &[(2, 0), (3, 0), (3, 0), (3, modifiers::SHIFT), (4, 0)],
        ),
    ];
    for (p, clicks) in plan {
        for &(i, mods) in clicks {
            click_note(p, &notes[i], mods).await?;
        }
        if p.name == "Ben" {
            p.wait("one dot left", &format!("{}?.left === 1", view(&dots)))
                .await?;
            // From the keyboard: open the list, then press its + for idea 2.
            let plus = format!(
                "#round-dot-list [data-dot=add][data-item={}]",
                json!(notes[1])
            );
            // The bar redraws whenever a round's progress arrives: a key pressed on a summary
            // that a redraw replaced opens nothing. Press again (only while the list is shut,
            // so as never to close it) until its + can take focus.
            for _ in 0..5 {
                let shut = p
                    .page
                    .eval("!document.querySelector('#round-dot-list')?.open")
                    .await?;
                if shut == json!(true) {
                    focus_and_press_space(p, "#round-dot-list summary").await?;
                }
                if p.page
                    .wait_for(&can_focus(&plus), Duration::from_secs(3))
                    .await
                    .is_ok()
                {
                    break;
                }
            }
            // The list can redraw (a round's progress arrives) between focusing its + and
            // the key, and the key then goes to a button that is gone: press again, a few
            // times, until the dot is taken. A press too many asks for a fourth dot, which
            // the server refuses; the count checked below stays the same.
            let used = format!("{}?.left === 0", view(&dots));
            let mut presses = 0;
            loop {
                focus_and_press_space(p, &plus).await?;
                presses += 1;
                if presses == 5 || p.page.wait_for(&used, Duration::from_secs(3)).await.is_ok() {
                    break;
                }
            }
        }
        p.wait(
            "all three dots used",
            &format!("{}?.left === 0", view(&dots)),
        )
        .await?;
        let left = p
            .page
            .eval("document.querySelector('#round-left')?.textContent")
            .await?;
        if left != "0 of 3 dots left" {
            let state = p
                .page
                .eval(&format!(
                    "[{}, document.querySelector('#notice')?.textContent]",
                    view(&dots)
                ))
                .await?;
            anyhow::bail!("{}: {left}; view and notice: {state}", p.name);
        }
    }
    let cat_mine = cat.page.eval(&format!("{}.mine", view(&dots))).await?;
    ensure!(
        cat_mine
            == json!({ notes[2].clone(): {"dots": 1}, notes[3].clone(): {"dots": 1}, notes[4].clone(): {"dots": 1} }),
        "Cat's ballot: {cat_mine}"
    );
    // Dan can follow but not vote: the bar says so, and a click on a note casts nothing.
    dan.wait(
        "the look-only line",
        "!!document.querySelector('#round-look-only')",
    )
    .await?;
    ensure!(dan.page.eval(&format!("{}.can_vote", view(&dots))).await? == false);
    click_note(&dan, &notes[5], 0).await?;
    // Until the reveal nobody's page has a result or anyone else's dots.
    for p in everyone {
        ensure!(
            p.page
                .eval("Object.keys(huddle.rounds().votes).length")
                .await?
                == 0,
            "{} sees votes before the reveal",
            p.name
        );
    }
    reveal(&ann, &everyone, &dots, 3).await?;
    let expected = json!({
        notes[0].clone(): 4, notes[1].clone(): 2, notes[2].clone(): 1,
        notes[3].clone(): 1, notes[4].clone(): 1,
    });
    for p in everyone {
        let votes = p.page.eval("huddle.rounds().votes").await?;
        let mut got = votes.as_object().cloned().unwrap_or_default();
        got.retain(|_, v| v != &json!(0));
        ensure!(Value::Object(got) == expected, "{} counts {votes}", p.name);
        p.wait(
            "the result in the panel",
            &format!(
                "document.querySelector('#round-result [data-item={}] .result-votes')?.textContent === '4 dots'",
                json!(notes[0])
            ),
        )
        .await?;
    }

    // ---- Fist to five on a proposal; Cat (at 1) says what would change her mind. ------------
    let proposal = note(&writer, "Ship the beta to all teams", PROPOSAL_AT);
    let stories = writer.edit(story_map)?;
    writer.save().await?;
    for p in everyone {
        p.wait(
            "the proposal and the story map",
            &format!(
                "huddle.snapshot().items[{}] && huddle.storyMaps()[0]?.screen.stories.length === 2",
                json!(proposal)
            ),
        )
        .await?;
    }
    click_note(&ann, &proposal, 0).await?;
    ann.wait(
        "the proposal selected",
        &format!("huddle.selection()[0] === {}", json!(proposal)),
    )
    .await?;
    let fist = open_round(&ann, &everyone, "fist_to_five", "Ship the beta?", None).await?;
    for (p, key) in [(&ann, "4"), (&ben, "5"), (&cat, "1")] {
        p.page.press(key, 0).await?;
        p.wait(
            "the card picked",
            &format!(
                "document.querySelector('#round-cards [data-card=\"{key}\"]')?.getAttribute('aria-pressed') === 'true'"
            ),
        )
        .await?;
    }
    dan.page.press("3", 0).await?;
    reveal(&ann, &everyone, &fist, 3).await?;
    let spread = ben
        .page
        .eval(&format!(
            "{}.items[{}].spread",
            result(&fist),
            json!(proposal)
        ))
        .await?;
    ensure!(
        spread == json!({"0": 0, "1": 1, "2": 0, "3": 0, "4": 1, "5": 1}),
        "fist spread {spread}"
    );
    const DISSENT: &str = "A rollback plan for the teams on the old version";
    cat.wait(
        "the dissent prompt",
        "!document.querySelector('#dissent-box').hidden",
    )
    .await?;
    for p in [&ann, &ben, &dan] {
        ensure!(
            p.page
                .eval("document.querySelector('#dissent-box').hidden")
                .await?
                == true,
            "{} is asked for dissent",
            p.name
        );
    }
    cat.page.type_into("#dissent-text", DISSENT).await?;
    cat.page.click("#dissent-send").await?;
    for p in everyone {
        p.wait(
            "the dissent in the result",
            &format!("{}?.dissent[0]?.text === {}", result(&fist), json!(DISSENT)),
        )
        .await?;
        p.wait(
            "the dissent in the panel",
            &format!(
                "document.querySelector('#round-result').innerText.includes({})",
                json!(DISSENT)
            ),
        )
        .await?;
    }
    // The proposal is marked, and the card's panel lists the dissent.
    for p in everyone {
        p.wait(
            "the proposal marked for dissent",
            &format!("huddle.rounds().dissented.includes({})", json!(proposal)),
        )
        .await?;
    }
    click_note(&ben, &proposal, 0).await?;
    ben.page.press("i", 0).await?;
    ben.wait(
        "the dissent in the story panel",
        &format!(
            "document.querySelector('#story-dissent')?.innerText.includes({})",
            json!(DISSENT)
        ),
    )
    .await?;
    ben.page.press("i", 0).await?;
    // Ann records the decision from the result.
    ann.page.click("#record-from").await?;
    ann.page
        .type_into("#decision-text", "beta for all teams, with a rollback plan")
        .await?;
    ann.page.click("#decision-record").await?;
    for p in everyone {
        p.wait(
            "the decision in the log",
            "huddle.rounds().decisions.length === 1",
        )
        .await?;
        p.wait(
            "the decision in the panel",
            "document.querySelector('#decision-list').innerText.includes('with a rollback plan')",
        )
        .await?;
    }
    let decision = dan.page.eval("huddle.rounds().decisions[0]").await?;
    ensure!(decision["round"] == json!(fist), "decision {decision}");

    // After talking, Ann re-runs it: a new round on the same proposal; this time nobody is
    // at 2 or below, so the latest result has no dissent and the mark goes.
    ann.page.click("#round-rerun").await?;
    let again = ann
        .wait(
            "the re-run",
            &format!(
                "(() => {{ const a = huddle.rounds().active; return a !== {} && a; }})()",
                json!(fist)
            ),
        )
        .await?
        .as_str()
        .context("re-run id")?
        .to_owned();
    let rerun_of = ann
        .page
        .eval(&format!("{}.round.rerun_of", view(&again)))
        .await?;
    ensure!(rerun_of == json!(fist), "the re-run runs {rerun_of}");
    for (p, key) in [(&ann, "4"), (&ben, "5"), (&cat, "3")] {
        p.wait(
            "the re-run",
            &format!("huddle.rounds().active === {}", json!(again)),
        )
        .await?;
        p.page.press(key, 0).await?;
        p.wait(
            "the card picked",
            &format!(
                "{}?.mine[{}]?.fist === {key}",
                view(&again),
                json!(proposal)
            ),
        )
        .await?;
    }
    reveal(&ann, &everyone, &again, 3).await?;
    for p in everyone {
        p.wait(
            "the dissent mark to go",
            &format!("!huddle.rounds().dissented.includes({})", json!(proposal)),
        )
        .await?;
    }

    // ---- Planning poker on two stories of a story map; Ann accepts 5 and 2. ---------------
    for p in everyone {
        look_at_map(p).await?;
    }
    click_story(&ann, &stories[0], 0).await?;
    click_story(&ann, &stories[1], modifiers::SHIFT).await?;
    ann.wait("both stories selected", "huddle.selection().length === 2")
        .await?;
    let poker = open_round(&ann, &everyone, "poker", "Estimate", None).await?;
    let order: Vec<String> = serde_json::from_value(
        ann.page
            .eval(&format!("{}.round.targets", view(&poker)))
            .await?,
    )?;
    let mut sorted = order.clone();
    sorted.sort();
    let mut expected = stories.to_vec();
    expected.sort();
    ensure!(
        sorted == expected,
        "poker on {order:?}, not the two stories"
    );
    // Keys pick the card at that place in the Fibonacci deck (4 -> 3, 5 -> 5, 6 -> 8, 3 -> 2);
    // `.` goes to the next story. On the second story everyone shows 2.
    for (p, key, card) in [(&ann, "4", "3"), (&ben, "5", "5"), (&cat, "6", "8")] {
        p.page.press(key, 0).await?;
        p.wait(
            "the card on the first story",
            &format!(
                "{}?.mine[{}]?.card === {}",
                view(&poker),
                json!(order[0]),
                json!(card)
            ),
        )
        .await?;
        p.page.press(".", 0).await?;
        p.wait("the second story", "huddle.rounds().story === 1")
            .await?;
        p.page.press("3", 0).await?;
        p.wait(
            "the card on the second story",
            &format!("{}?.mine[{}]?.card === '2'", view(&poker), json!(order[1])),
        )
        .await?;
    }
    dan.page.press("5", 0).await?;
    reveal(&ann, &everyone, &poker, 3).await?;
    let first = dan
        .page
        .eval(&format!("{}.items[{}]", result(&poker), json!(order[0])))
        .await?;
    ensure!(
        first["spread"] == json!({"3": 1, "5": 1, "8": 1})
            && first["low"] == "3"
            && first["high"] == "8",
        "poker result {first}"
    );
    let second = dan
        .page
        .eval(&format!(
            "{}.items[{}].spread",
            result(&poker),
            json!(order[1])
        ))
        .await?;
    ensure!(second == json!({"2": 3}), "second story {second}");
    let outliers = ann
        .page
        .eval(&format!(
            "[...document.querySelectorAll('#round-result [data-item={}] .spread.outlier')].map(e => e.dataset.value)",
            json!(order[0])
        ))
        .await?;
    ensure!(outliers == json!(["3", "8"]), "outliers marked: {outliers}");
    ensure!(
        dan.page
            .eval("document.querySelectorAll('#round-result [data-act=accept]').length")
            .await?
            == 0,
        "a viewer is offered Accept"
    );
    let estimate = |id: &str| format!("huddle.snapshot().items[{}].estimate", json!(id));
    for (story, card) in [(&order[0], "5"), (&order[1], "2")] {
        ann.page
            .click(&format!(
                "#round-result [data-item={}] [data-act=accept][data-card=\"{card}\"]",
                json!(story)
            ))
            .await?;
        for p in everyone {
            p.wait(
                "the accepted estimate",
                &format!("{} === {card}", estimate(story)),
            )
            .await?;
            p.wait(
                "the accepted card in the result",
                &format!(
                    "{}?.accepted[{}] === '{card}'",
                    result(&poker),
                    json!(story)
                ),
            )
            .await?;
        }
    }
    // One undo step for Ann: undo takes the last estimate away, redo brings it back.
    ann.page.press("z", modifiers::CTRL).await?;
    ben.wait(
        "the estimate undone",
        &format!("{} === undefined", estimate(&order[1])),
    )
    .await?;
    ensure!(
        ben.page.eval(&estimate(&order[0])).await? == 5,
        "undo took more than one step"
    );
    ann.page
        .press("z", modifiers::CTRL | modifiers::SHIFT)
        .await?;
    ben.wait(
        "the estimate redone",
        &format!("{} === 2", estimate(&order[1])),
    )
    .await?;
    ann.wait_saved().await?;

    // ---- Impact/effort on ideas 5 and 6: each person scores idea 5 with the pickers. -------
    for p in everyone {
        p.page.eval(CAMERA).await?;
    }
    click_note(&ann, &notes[4], 0).await?;
    click_note(&ann, &notes[5], modifiers::SHIFT).await?;
    ann.wait("ideas 5 and 6 selected", "huddle.selection().length === 2")
        .await?;
    let scored = open_round(&ann, &everyone, "impact_effort", "Worth it?", None).await?;
    for (p, impact, effort) in [(&ann, 5, 1), (&ben, 4, 2), (&cat, 3, 3)] {
        for (axis, value) in [("impact", impact), ("effort", effort)] {
            p.page
                .eval(&format!(
                    "(() => {{ const s = document.querySelector('#round-scores [data-item={}][data-axis={axis}]');
                        s.value = '{value}'; s.dispatchEvent(new Event('change', {{ bubbles: true }}));
                        return true; }})()",
                    json!(notes[4])
                ))
                .await?;
            p.wait(
                "the score kept",
                &format!(
                    "{}?.mine[{}]?.score?.{axis} === {value}",
                    view(&scored),
                    json!(notes[4])
                ),
            )
            .await?;
        }
    }
    ensure!(
        dan.page
            .eval("document.querySelectorAll('#round-scores select').length")
            .await?
            == 0,
        "a viewer is offered score pickers"
    );
    reveal(&ann, &everyone, &scored, 3).await?;
    let idea5 = cat
        .page
        .eval(&format!("{}.items[{}]", result(&scored), json!(notes[4])))
        .await?;
    ensure!(
        stat(&idea5["impact"]) == Some((4.0, 3, 5, 3))
            && stat(&idea5["effort"]) == Some((2.0, 1, 3, 3)),
        "impact/effort result {idea5}"
    );
    dan.wait(
        "the medians in the panel",
        "document.querySelector('#round-result').innerText.includes('Impact 4 (3–5)')",
    )
    .await?;

    // The Jira CSV export carries the estimates.
    let csv = http::get(
        server.addr(),
        &format!("/api/boards/{board}/export?format=csv"),
    )
    .await?;
    ensure!(csv.status == 200, "export: {} {}", csv.status, csv.body);
    let texts: std::collections::HashMap<&String, &str> = stories.iter().zip(STORIES).collect();
    for (story, points) in [(&order[0], "5"), (&order[1], "2")] {
        let text = texts.get(story).context("a story of the map")?;
        let got = csv_field(&csv.body, text, "Story Points")?;
        ensure!(
            got == points,
            "{text}: Story Points {got:?} in\n{}",
            csv.body
        );
    }

    // Dan never cast a ballot: every result counts three voters.
    for id in [&dots, &fist, &poker, &scored] {
        let voters = dan.page.eval(&format!("{}.voters", result(id))).await?;
        ensure!(voters == 3, "round {id} counts {voters} voters");
    }
    for p in everyone {
        p.assert_no_errors()?;
    }
    Ok(())
}

/// Focuses `target` once it can take focus (the dot list's + is inside the list, which opens
/// on the summary's activation a moment after the key, later on a busy machine), then presses
/// Space, which presses a focused button (the driver's Enter sends no character, so the
/// browser would not activate anything with it).
async fn focus_and_press_space(p: &Person, target: &str) -> anyhow::Result<()> {
    p.wait(&format!("{target} to take focus"), &can_focus(target))
        .await?;
    p.page.press(" ", 0).await
}

/// A page expression: focuses `target` and says whether it took focus.
fn can_focus(target: &str) -> String {
    format!(
        "(() => {{ const e = document.querySelector({}); e?.focus(); \
         return !!e && document.activeElement === e; }})()",
        json!(target)
    )
}
