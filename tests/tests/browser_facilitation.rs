//! Facilitating a session in real browsers (issue 13's browser test): four Chromiums, four
//! people (own profiles, own person cookies). Olga owns the board (so she facilitates until
//! she hands the role on); Ben and Cat join with the editor link, Dan with the commenter link,
//! and Dan's computer clock is an hour fast.
//!
//! - Olga writes a five-step agenda in the facilitator panel (write privately 1 min, cluster,
//!   dot vote, discuss, decide) and runs it with Start and Next; nobody else touches the
//!   agenda or the timer. Everyone sees the same remaining time on the timer badge, read from
//!   the page (Dan's fast clock included), and "Time is up" when the first minute is over,
//!   with one tone.
//! - In the write-privately step Ben and Dan write a note each: nothing of it reaches Olga's
//!   or Cat's page until Olga moves on, and then everyone sees both.
//! - Olga and Ben write notes while clustering, the dot-vote step opens a round in which Dan
//!   casts a dot, and leaving the step reveals it. Cat does nothing: the contribution balance
//!   ranks her first, for Olga and, once Olga shares it, for Cat too.
//! - Olga runs a standalone timer: pause, +1 min, resume, Cat reloads her page, end; every
//!   page follows.
//! - The role goes round: Olga hands it to Ben, Ben hands it back, and Olga's Rotate gives it
//!   to whichever of Cat and Dan (who never facilitated) the rule picks.

use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_shared::facilitation::{PersonRef, Turn, rotate_pick};
use huddle_tests::browser::{self, Browser};
use huddle_tests::person::{Person, READY};
use huddle_tests::server::TestServer;
use serde_json::json;

/// The agenda Olga writes: (kind as the editor's `<select>` names it, minutes).
const AGENDA: [(&str, u32); 5] = [
    ("write_privately", 1),
    ("cluster", 5),
    ("dot_vote", 5),
    ("discuss", 10),
    ("decide", 5),
];
/// How far Dan's clock is ahead of everyone's: an hour.
const DAN_CLOCK_AHEAD_MS: u64 = 3_600_000;
/// Longest wait for the first step's minute to run out (the minute, and slack for a busy
/// machine running four browsers).
const MINUTE_AND_SLACK: Duration = Duration::from_secs(90);
/// The timer badge's remaining seconds, as shown (`data-left-secs` holds what the text says).
const SHOWN_SECS: &str =
    "Number(document.querySelector('#fac-timer')?.getAttribute('data-left-secs'))";

/// Counts the tones the page plays (`window.tones`): each starts an oscillator.
const COUNT_TONES: &str = "(() => { window.tones = 0; const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (...args) { window.tones += 1;
        return start.apply(this, args); }; })();";

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

/// Olga: a fresh browser that creates the board from the home page (so she owns it) and
/// opens it; the board's id.
async fn owner(server: &TestServer) -> anyhow::Result<(Person, String)> {
    let browser = Browser::launch().await?;
    let page = browser.new_page(&server.http_url("/")).await?;
    let created = page
        .eval(
            "fetch('/api/boards', { method: 'POST', credentials: 'same-origin',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ title: 'Refinement' }) })
              .then(r => r.json())",
        )
        .await?;
    let board = created["id"]
        .as_str()
        .with_context(|| format!("POST /api/boards answered {created}"))?
        .to_owned();
    page.goto(&server.http_url(&format!("/b/{board}"))).await?;
    let olga = Person {
        name: "Olga",
        page,
        browser,
    };
    wait(&olga, "the board page to connect", READY).await?;
    ensure!(olga.page.eval("huddle.role()").await? == "owner");
    Ok((olga, board))
}

/// The person's id as the server knows it.
async fn id_of(p: &Person) -> anyhow::Result<String> {
    Ok(wait(p, "the person's id", "huddle.me()?.id")
        .await?
        .as_str()
        .context("me().id")?
        .to_owned())
}

/// [`Person::wait`], with the page's notice (a refusal, in the server's words) and its
/// facilitation state in the error.
async fn wait(p: &Person, what: &str, js: &str) -> anyhow::Result<serde_json::Value> {
    match p.wait(what, js).await {
        Ok(v) => Ok(v),
        Err(err) => {
            let seen = p
                .page
                .eval(
                    "({ notice: document.querySelector('#notice')?.textContent,
                        facilitation: huddle.facilitation() })",
                )
                .await
                .map_or_else(|e| format!("(unreadable: {e:#})"), |v| v.to_string());
            Err(err.context(format!("{} also shows {seen}", p.name)))
        }
    }
}

/// Writes a private note with the page's shortcut (`N`, then typing) and waits until the
/// page holds it as sent.
async fn write_private(p: &Person, text: &str) -> anyhow::Result<()> {
    p.page.eval("document.activeElement?.blur(); true").await?;
    p.page.press("n", 0).await?;
    wait(
        p,
        "the private note's text field",
        "!!document.querySelector('.private-editor')",
    )
    .await?;
    p.page.type_into(".private-editor", text).await?;
    p.page.press("Escape", 0).await?;
    wait(
        p,
        "the private note",
        &format!(
            "huddle.facilitation().private.notes.some(n => n.text === {})",
            json!(text)
        ),
    )
    .await?;
    Ok(())
}

/// JavaScript: the view a page has of open round `id`.
fn round_view(id: &str) -> String {
    format!(
        "huddle.rounds().open.find(v => v.round.id === {})",
        json!(id)
    )
}

/// JavaScript: `p`'s page reads the public facilitation state `expr` (e.g. `agenda.current`).
fn public(expr: &str) -> String {
    format!("huddle.facilitation().public.{expr}")
}

/// Sets a field of the panel as a person picking a value does, and tells the page.
async fn set_field(p: &Person, selector: &str, value: &str) -> anyhow::Result<()> {
    let done = p
        .page
        .eval(&format!(
            "(() => {{ const el = document.querySelector({sel});
                if (!el) return 'no ' + {sel};
                el.value = {value};
                el.dispatchEvent(new Event('input', {{ bubbles: true }}));
                el.dispatchEvent(new Event('change', {{ bubbles: true }}));
                return true; }})()",
            sel = json!(selector),
            value = json!(value)
        ))
        .await?;
    ensure!(done == true, "{}: {done}", p.name);
    Ok(())
}

/// Waits until every page runs agenda step `step` (`null`: none).
async fn everyone_on_step(everyone: &[&Person], step: Option<usize>) -> anyhow::Result<()> {
    for p in everyone {
        wait(
            p,
            &format!("agenda step {step:?}"),
            &format!("({}) === {}", public("agenda.current ?? null"), json!(step)),
        )
        .await?;
    }
    Ok(())
}

/// Everyone's timer badge read at (nearly) the same moment: the reads run concurrently.
async fn shown_secs(everyone: &[&Person; 4]) -> anyhow::Result<Vec<f64>> {
    let [a, b, c, d] = everyone;
    let (a, b, c, d) = tokio::join!(
        a.page.eval(SHOWN_SECS),
        b.page.eval(SHOWN_SECS),
        c.page.eval(SHOWN_SECS),
        d.page.eval(SHOWN_SECS)
    );
    [a?, b?, c?, d?]
        .iter()
        .map(|v| v.as_f64().with_context(|| format!("the badge shows {v}")))
        .collect()
}

/// Every badge shows the same remaining seconds, give or take one (the reads are nearly
/// simultaneous, and each page rounds the same server time); the smallest reading.
async fn same_time(everyone: &[&Person; 4]) -> anyhow::Result<f64> {
    let secs = shown_secs(everyone).await?;
    let (min, max) = secs
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
    ensure!(
        max - min <= 1.0 && min >= 1.0,
        "the badges show {secs:?} seconds left (Olga, Ben, Cat, Dan)"
    );
    Ok(min)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_facilitator_runs_a_five_step_agenda_for_four_people() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let (olga, board) = owner(&server).await?;
    let links = olga
        .page
        .eval(&format!(
            "fetch('/api/boards/{board}/access', {{ credentials: 'same-origin' }}).then(r => r.json())"
        ))
        .await?["links"]
        .clone();
    let link = |role: &str| -> anyhow::Result<String> {
        Ok(server.http_url(
            links[role]
                .as_str()
                .with_context(|| format!("no {role} link in {links}"))?,
        ))
    };
    let ben = person_at("Ben", &link("editor")?).await?;
    let cat = person_at("Cat", &link("editor")?).await?;
    let dan = person_at("Dan", &link("commenter")?).await?;
    // Dan's clock is an hour fast: the page's own clock must not move the timer.
    let dan_url = dan.page.eval("location.href").await?;
    dan.page
        .call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": format!(
                "(() => {{ const real = Date.now; Date.now = () => real.call(Date) + {DAN_CLOCK_AHEAD_MS}; }})();
                 {COUNT_TONES}"
            ) }),
        )
        .await?;
    dan.page
        .goto(dan_url.as_str().context("Dan's address")?)
        .await?;
    wait(&dan, "the board page to reconnect", READY).await?;
    let skew = dan
        .page
        .eval("Date.now() - (performance.timeOrigin + performance.now())")
        .await?;
    ensure!(
        skew.as_f64().is_some_and(|s| s > 3_500_000.0),
        "Dan's clock is not fast: {skew}"
    );
    let everyone = [&olga, &ben, &cat, &dan];
    let mut ids = Vec::new();
    for p in everyone {
        p.page.eval("huddle.setCamera(0, 0, 1)").await?;
        ids.push(id_of(p).await?);
    }
    let [olga_id, ben_id, cat_id, dan_id] = [&ids[0], &ids[1], &ids[2], &ids[3]];
    // Until the role is handed on, the owner facilitates; the others see who does.
    for p in everyone {
        wait(
            p,
            "the server's clock",
            "huddle.facilitation().clockKnown === true",
        )
        .await?;
        let fac = p.page.eval("huddle.facilitation().facilitates").await?;
        ensure!(fac == (p.name == "Olga"), "{} facilitates: {fac}", p.name);
    }
    // Ben, an editor but not the facilitator, is not offered the Vote dialog.
    ben.page.press("v", 0).await?;
    ensure!(
        ben.page
            .eval("document.querySelector('#vote-dialog').hidden")
            .await?
            == true,
        "Ben got the Vote dialog without facilitating"
    );

    // ---- Olga writes the agenda in the panel (toolbar's Facilitate). ----------------------
    olga.page.click("[data-action=facilitate]").await?;
    wait(
        &olga,
        "the facilitator panel",
        "!document.querySelector('#facilitation-panel').hidden",
    )
    .await?;
    for (i, (kind, minutes)) in AGENDA.iter().enumerate() {
        olga.page.click("#fac-agenda-add").await?;
        let row = format!("#fac-steps [data-step='{i}']");
        wait(
            &olga,
            "the new step",
            &format!("!!document.querySelector({})", json!(row)),
        )
        .await?;
        set_field(&olga, &format!("{row} select[data-field=kind]"), kind).await?;
        set_field(
            &olga,
            &format!("{row} input[data-field=minutes]"),
            &minutes.to_string(),
        )
        .await?;
    }
    olga.page
        .type_into(
            "#fac-steps [data-step='3'] input[data-field=title]",
            "Which two first?",
        )
        .await?;
    olga.page.click("#fac-agenda-save").await?;
    for p in everyone {
        wait(
            p,
            "the agenda",
            &format!("{}.length === 5", public("agenda.steps")),
        )
        .await?;
    }
    let steps = dan.page.eval(&public("agenda.steps")).await?;
    let kinds: Vec<&str> = steps
        .as_array()
        .context("steps")?
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    ensure!(kinds == AGENDA.map(|(k, _)| k), "the agenda holds {steps}");
    ensure!(steps[0]["minutes"] == 1 && steps[3]["title"] == "Which two first?");
    // Everyone sees the steps in their panel (Dan opens his with G).
    dan.page.press("g", 0).await?;
    wait(
        &dan,
        "the agenda in Dan's panel",
        "document.querySelectorAll('#fac-steps li').length === 5",
    )
    .await?;
    ensure!(
        dan.page
            .eval("!!document.querySelector('#fac-agenda-add')")
            .await?
            == false,
        "Dan, who does not facilitate, is offered the agenda editor"
    );
    dan.page.press("g", 0).await?;

    // ---- Step 1: write privately, one minute. ----------------------------------------------
    olga.page.click("#fac-agenda-start").await?;
    everyone_on_step(&everyone, Some(0)).await?;
    for p in everyone {
        wait(
            p,
            "the timer badge",
            &format!("!document.querySelector('#fac-timer').hidden && {SHOWN_SECS} > 0"),
        )
        .await?;
    }
    // The same remaining time on every screen, Dan's fast clock included; three looks, a
    // few seconds apart.
    for _ in 0..3 {
        let min = same_time(&everyone).await?;
        ensure!(min <= 60.0, "a one-minute step shows {min} seconds left");
        tokio::time::sleep(Duration::from_millis(2_300)).await;
    }
    let text = dan
        .page
        .eval("document.querySelector('#fac-timer-left').textContent")
        .await?;
    ensure!(
        text.as_str().is_some_and(|t| t.starts_with("0:")),
        "Dan's badge says {text}"
    );
    // What the facilitator sees (for people to look at; nothing is compared).
    let shot = huddle_tests::workspace_root().join("tests/artifacts/facilitation-agenda.png");
    olga.page.screenshot(&shot).await?;
    // Ben and Dan write privately: nothing of it reaches Olga's or Cat's page.
    let private = [
        (&ben, "BEN-PRIVATE-ship-csv"),
        (&dan, "DAN-PRIVATE-fix-login"),
    ];
    for (p, text) in private {
        write_private(p, text).await?;
    }
    for p in [&olga, &cat] {
        let held = p
            .page
            .eval("JSON.stringify({ doc: huddle.snapshot(), fac: huddle.facilitation() })")
            .await?;
        let held = held.as_str().unwrap_or_default();
        for (_, text) in private {
            ensure!(
                !held.contains(text),
                "{}'s page holds {text} before the step ended",
                p.name
            );
        }
    }
    // At zero every badge says so.
    for p in everyone {
        p.page
            .wait_for(
                "document.querySelector('#fac-timer-left').textContent === 'Time is up'",
                MINUTE_AND_SLACK,
            )
            .await
            .with_context(|| format!("{}'s badge never said time is up", p.name))?;
    }
    // The step's timer asks for sound: Dan's page played its tone, once.
    ensure!(
        dan.page
            .eval("huddle.facilitation().public.timer.sound")
            .await?
            == true,
        "an agenda step's timer without sound"
    );
    wait(&dan, "the tone", "window.tones === 1").await?;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let tones = dan.page.eval("window.tones").await?;
    ensure!(tones == 1, "Dan's page played {tones} tones at zero");

    // ---- Step 2: cluster. Olga and Ben write a note each; Cat and Dan write nothing. -------
    olga.page.click("#fac-agenda-next").await?;
    everyone_on_step(&everyone, Some(1)).await?;
    // Leaving the write-privately step published everyone's notes, for everyone.
    for p in everyone {
        for (author, text) in private {
            wait(
                p,
                &format!("{}'s private note, published", author.name),
                &format!(
                    "Object.values(huddle.snapshot().items).some(n => n.text === {})",
                    json!(text)
                ),
            )
            .await?;
        }
    }
    let notes_before = olga.items().await?.len();
    for (p, dx, text) in [(&olga, 150.0, "Export to CSV"), (&ben, -150.0, "Dark mode")] {
        let at = p.canvas_point(dx, 120.0).await?;
        p.create_note(at).await?;
        p.type_text(text).await?;
        p.end_edit().await?;
        p.wait_saved().await?;
    }
    for p in everyone {
        wait(
            p,
            "the two new notes",
            &format!(
                "Object.keys(huddle.snapshot().items).length === {}",
                notes_before + 2
            ),
        )
        .await?;
    }

    // ---- Step 3: dot vote. The step opens the round; Dan casts a dot. ----------------------
    olga.page.click("#fac-agenda-next").await?;
    everyone_on_step(&everyone, Some(2)).await?;
    let round = wait(&dan, "the step's round", "huddle.rounds().active")
        .await?
        .as_str()
        .context("active round")?
        .to_owned();
    ensure!(
        olga.page.eval(&public("agenda.round")).await? == json!(round),
        "the step's round is not the one the pages show"
    );
    let target = dan
        .page
        .eval("huddle.rounds().open[0].round.targets[0]")
        .await?
        .as_str()
        .context("a target")?
        .to_owned();
    let at = dan.item_center(&target).await?;
    dan.page.click_at(at, 0).await?;
    wait(
        &dan,
        "Dan's dot",
        "huddle.rounds().open[0]?.left === huddle.rounds().open[0]?.round.settings.budget - 1",
    )
    .await?;
    // The server took it: Olga's bar counts one voter (the page shows a dot at once, before
    // the server's answer).
    wait(
        &olga,
        "one ballot in the round",
        &format!("{}?.voted === 1", round_view(&round)),
    )
    .await?;

    // ---- Steps 4 and 5: discuss, decide; then the agenda is over. --------------------------
    olga.page.click("#fac-agenda-next").await?;
    everyone_on_step(&everyone, Some(3)).await?;
    // Leaving the vote step revealed its round.
    wait(
        &dan,
        "the revealed dot vote",
        &format!(
            "huddle.rounds().results[{}]?.round.status === 'revealed'",
            json!(round)
        ),
    )
    .await?;
    let title = cat
        .page
        .eval("document.querySelector('#fac-timer-label').textContent")
        .await?;
    ensure!(
        title == "Which two first?",
        "Cat's badge is labelled {title}"
    );
    olga.page.click("#fac-agenda-next").await?;
    everyone_on_step(&everyone, Some(4)).await?;
    olga.page.click("#fac-agenda-next").await?;
    everyone_on_step(&everyone, None).await?;

    // ---- The balance: Cat, who wrote nothing, is at the top of Olga's. --------------------
    wait(
        &olga,
        "the balance with four people",
        "document.querySelectorAll('#fac-balance-list li').length === 4",
    )
    .await?;
    // The bars as the page draws them: (person, weight) from the top.
    let bars = "[...document.querySelectorAll('#fac-balance-list li')]
        .map(li => [li.getAttribute('data-person'), Number(li.getAttribute('data-weight'))])";
    // Everyone but Cat has done something (notes, words, edits, a ballot), and the server's
    // counts reached the page: then Cat, with nothing, is on top.
    let ranked = format!(
        "(() => {{ const b = {bars}; return b.length === 4 && b[0][0] === {cat}
            && b[0][1] === 0 && b.slice(1).every(([, w]) => w > 0); }})()",
        cat = json!(cat_id)
    );
    wait(&olga, "Cat alone at the top of the balance", &ranked).await?;
    // The counts behind the bars, once the server's latest reached the page (it pushes them
    // about once a second when they change): Olga and Ben wrote notes while clustering, Ben
    // and Dan private ones (published notes count for their authors), Dan voted.
    let counts = format!(
        "(() => {{ const ps = huddle.facilitation().balance?.people ?? [];
            const c = (id, what) => ps.find(p => p.person === id)?.[what] ?? 0;
            return c({olga}, 'notes') >= 1 && c({olga}, 'words') >= 3
                && c({ben}, 'notes') >= 2 && c({dan}, 'notes') >= 1
                && c({dan}, 'ballots') >= 1 && c({cat}, 'edits') === 0; }})()",
        olga = json!(olga_id),
        ben = json!(ben_id),
        dan = json!(dan_id),
        cat = json!(cat_id),
    );
    wait(&olga, "the balance's counts", &counts).await?;
    // Cat sees no balance until Olga shares it.
    ensure!(
        cat.page
            .eval("document.querySelectorAll('#fac-balance-list li').length")
            .await?
            == 0,
        "Cat sees the balance before it is shared"
    );
    olga.page.click("#fac-balance-share").await?;
    wait(&cat, "the shared flag", &public("balance_public")).await?;
    cat.page.press("g", 0).await?;
    wait(&cat, "the balance, shared", &ranked).await?;
    let shot = huddle_tests::workspace_root().join("tests/artifacts/facilitation-balance.png");
    cat.page.screenshot(&shot).await?;

    // ---- A standalone timer: start, pause, +1 min, resume, a reload, end. ------------------
    set_field(&olga, "#fac-timer-minutes", "2").await?;
    olga.page.click("#fac-timer-start").await?;
    for p in everyone {
        wait(
            p,
            "the two-minute timer",
            &format!("{SHOWN_SECS} > 100 && {SHOWN_SECS} <= 120"),
        )
        .await?;
    }
    same_time(&everyone).await?;
    olga.page.click("#fac-timer-pause").await?;
    let paused = "document.querySelector('#fac-timer').getAttribute('data-running') === 'false'
        && document.querySelector('#fac-timer-left').textContent.endsWith('(paused)')";
    for p in everyone {
        wait(p, "the timer paused", paused).await?;
    }
    // Paused, it shows exactly what the server kept, on every page.
    let left = shown_secs(&everyone).await?;
    ensure!(
        left.iter().all(|s| *s == left[0]),
        "the paused badges show {left:?}"
    );
    olga.page.click("#fac-timer-plus1").await?;
    for p in everyone {
        wait(
            p,
            "a minute more",
            &format!("{SHOWN_SECS} === {}", left[0] + 60.0),
        )
        .await?;
    }
    olga.page.click("#fac-timer-resume").await?;
    // Cat reloads: the timer goes on where it was.
    let cat_url = cat.page.eval("location.href").await?;
    cat.page
        .goto(cat_url.as_str().context("Cat's address")?)
        .await?;
    wait(&cat, "the board page to reconnect", READY).await?;
    for p in everyone {
        wait(
            p,
            "the timer running again",
            &format!("{SHOWN_SECS} > 100 && {SHOWN_SECS} < {}", left[0] + 60.0),
        )
        .await?;
    }
    same_time(&everyone).await?;
    olga.page.click("#fac-timer-end").await?;
    for p in everyone {
        wait(
            p,
            "the timer to go",
            "document.querySelector('#fac-timer').hidden",
        )
        .await?;
    }

    // ---- The role goes round. --------------------------------------------------------------
    wait(
        &olga,
        "Ben in the Hand to list",
        &format!(
            "!!document.querySelector('#fac-hand-to option[value={}]')",
            json!(ben_id)
        ),
    )
    .await?;
    set_field(&olga, "#fac-hand-to", ben_id).await?;
    olga.page.click("#fac-hand").await?;
    for p in everyone {
        wait(
            p,
            "Ben facilitating",
            &format!("{} === {}", public("facilitator?.id"), json!(ben_id)),
        )
        .await?;
    }
    wait(
        &ben,
        "Ben's own panel",
        "huddle.facilitation().facilitates === true",
    )
    .await?;
    ensure!(olga.page.eval("huddle.facilitation().facilitates").await? == false);
    ben.page.press("g", 0).await?;
    wait(
        &ben,
        "Olga in Ben's Hand to list",
        &format!(
            "!!document.querySelector('#fac-hand-to option[value={}]')",
            json!(olga_id)
        ),
    )
    .await?;
    set_field(&ben, "#fac-hand-to", olga_id).await?;
    ben.page.click("#fac-hand").await?;
    wait(
        &olga,
        "Olga facilitating again",
        &format!("{} === {}", public("facilitator?.id"), json!(olga_id)),
    )
    .await?;
    // Rotate: of the people present, whoever facilitated least recently, Cat or Dan (never).
    let history: Vec<Turn> = serde_json::from_value(olga.page.eval(&public("history")).await?)?;
    let present: Vec<PersonRef> = {
        let mut present = Vec::new();
        for (p, id) in everyone.iter().zip(&ids) {
            let name = p.page.eval("huddle.me().name").await?;
            present.push(PersonRef {
                id: id.clone(),
                name: name.as_str().context("a name")?.to_owned(),
            });
        }
        present
    };
    let expected = rotate_pick(&present, &history, Some(olga_id))
        .context("nobody to rotate to")?
        .id
        .clone();
    ensure!(
        [cat_id, dan_id].contains(&&expected),
        "the rule picks {expected}, who facilitated before"
    );
    wait(
        &olga,
        "the Rotate button",
        "!!document.querySelector('#fac-rotate')",
    )
    .await?;
    olga.page.click("#fac-rotate").await?;
    for p in everyone {
        wait(
            p,
            "the role rotated",
            &format!("{} === {}", public("facilitator?.id"), json!(expected)),
        )
        .await?;
    }
    // The history, newest first: the rotated-to person, Olga, Ben (Olga's first turn, as
    // the owner, was never recorded: nobody had been handed the role).
    let shown = olga
        .page
        .eval(
            "[...document.querySelectorAll('#fac-history li')].map(li => li.getAttribute('data-person'))",
        )
        .await?;
    ensure!(
        shown == json!([expected, olga_id, ben_id]),
        "the history panel lists {shown}"
    );
    for p in everyone {
        p.assert_no_errors()?;
    }
    Ok(())
}
