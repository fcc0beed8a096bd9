//! Pictures and minutes through the real server (`GET /api/boards/{id}/export?format=...`)
//! and the CLI (`huddle export`): a board with two frames, coloured notes with tags, a
//! connector, a revealed dot vote and a fist to five with dissent. The SVG is parsed with a
//! real XML parser (items, texts, colours present and where they belong), the PNG decoded
//! (its size, not blank, a note's colour at the note's place, at 1x and 2x, of a frame and of
//! a selection), the PDF's pages counted (one per frame); the limits answer 400; the minutes
//! are the facilitator's or an owner's.

use std::net::SocketAddr;

use anyhow::{Context, ensure};
use huddle_shared::model::{Color, NewNote};
use huddle_shared::rounds::{Choice, Command, Kind, Settings};
use huddle_tests::http;
use huddle_tests::rounds::{Answer, Team, ballot, dots};
use huddle_tests::server::{TestServer, huddle_bin};

/// An answer with its body as bytes (pictures are binary).
struct Got {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Got {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get(addr: SocketAddr, path: &str, cookie: &str) -> anyhow::Result<Got> {
    let answer = http::get_binary(addr, path, &[("Cookie", cookie)]).await?;
    Ok(Got {
        status: answer.status,
        content_type: answer.header("content-type").unwrap_or_default().to_owned(),
        body: answer.body,
    })
}

/// A decoded PNG: width, height, RGBA pixels.
struct Image {
    w: u32,
    h: u32,
    rgba: Vec<u8>,
}

impl Image {
    fn decode(bytes: &[u8]) -> anyhow::Result<Image> {
        let mut decoder = png::Decoder::new(bytes);
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info()?;
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf)?;
        buf.truncate(info.buffer_size());
        let rgba = match info.color_type {
            png::ColorType::Rgba => buf,
            png::ColorType::Rgb => buf
                .chunks(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            other => anyhow::bail!("unexpected PNG colour type {other:?}"),
        };
        Ok(Image {
            w: info.width,
            h: info.height,
            rgba,
        })
    }

    fn at(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.w + x) * 4) as usize;
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2]]
    }

    /// How many distinct colours it holds (a blank picture has one).
    fn colours(&self) -> usize {
        let mut seen = std::collections::HashSet::new();
        for p in self.rgba.chunks(4) {
            seen.insert([p[0], p[1], p[2]]);
        }
        seen.len()
    }
}

fn rgb(hex: &str) -> [u8; 3] {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

fn close(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}

/// `/Type /Page` objects in a PDF (not `/Type /Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type /Page").count() - text.matches("/Type /Pages").count()
}

/// The board of these tests, as its owner's tab writes it.
struct Drawn {
    a: String,
    b: String,
    c: String,
    frame: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_show_the_board_as_drawn() -> anyhow::Result<()> {
    let (mut server, data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let d = owner.edit(|b, txn| -> anyhow::Result<Drawn> {
        let frame = b.create_frame(
            txn,
            [0.0, 0.0],
            Some([700.0, 400.0]),
            "Sprint 1",
            "Olga Owner",
            1.0,
        )?;
        b.create_frame(
            txn,
            [0.0, 600.0],
            Some([700.0, 400.0]),
            "Later",
            "Olga Owner",
            1.0,
        )?;
        let note = |txn: &mut yrs::TransactionMut, pos, text: &str, color, tags: &[&str]| {
            b.create_note(
                txn,
                NewNote {
                    pos,
                    text: text.into(),
                    color,
                    tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                    author: "Olga Owner".into(),
                    ..NewNote::default()
                },
            )
        };
        let a = note(
            txn,
            [40.0, 60.0],
            "Pay with saved card",
            Color::Blue,
            &["payments"],
        )?;
        let bb = note(
            txn,
            [400.0, 60.0],
            "Refunds within a day",
            Color::Green,
            &[],
        )?;
        let c = note(txn, [40.0, 660.0], "Gift cards", Color::Pink, &[])?;
        b.create_connector(txn, &a, &bb, "Olga Owner", 1.0)?;
        Ok(Drawn { a, b: bb, c, frame })
    })?;
    owner.save().await?;

    // A dot vote on A (2 dots), a named fist to five on B with dissent, and a decision.
    let votes = owner
        .open(
            Settings {
                budget: 3,
                ..Settings::new(Kind::Dots)
            },
            &[&d.a],
        )
        .await?;
    ensure!(owner.cast(&votes, dots([(d.a.as_str(), 2)])).await? == Answer::Ack(None));
    owner.reveal(&votes).await?;
    let fist = owner.open(Settings::new(Kind::FistToFive), &[&d.b]).await?;
    ensure!(
        owner
            .cast(&fist, ballot([(d.b.as_str(), Choice::Fist(1))]))
            .await?
            == Answer::Ack(None)
    );
    owner.reveal(&fist).await?;
    owner
        .ack(Command::Dissent {
            round: fist.clone(),
            text: "Needs a load test".into(),
        })
        .await?;
    owner
        .ack(Command::Decide {
            text: "Refunds wait for the load test".into(),
            round: Some(fist.clone()),
            corrects: None,
        })
        .await?;
    owner.save().await?;

    let addr = server.addr();
    let cookie = team.owner.cookie.clone();
    let url = |q: &str| format!("/api/boards/{}/export?{q}", team.board);

    // Kept for people to look at.
    let artifacts = huddle_tests::workspace_root().join("target/artifacts/pictures");
    std::fs::create_dir_all(&artifacts)?;
    for (q, name) in [
        ("format=svg", "board.svg"),
        ("format=png", "board.png"),
        ("format=png&scale=2", "board-2x.png"),
        ("format=pdf", "board.pdf"),
        ("format=minutes&since=0", "minutes.md"),
        ("format=minutes-pdf&since=0", "minutes.pdf"),
    ] {
        std::fs::write(
            artifacts.join(name),
            get(addr, &url(q), &cookie).await?.body,
        )?;
    }

    // SVG: a real XML parser finds each note with its colour at its place, its text, its tag,
    // the frame titles, the arrow, the vote badge and the dissent mark.
    let svg = get(addr, &url("format=svg"), &cookie).await?;
    ensure!(svg.status == 200, "svg: {} {}", svg.status, svg.text());
    ensure!(svg.content_type == "image/svg+xml", "{}", svg.content_type);
    let text = svg.text();
    let doc = roxmltree::Document::parse(&text).context("the SVG is not XML")?;
    let root = doc.root_element();
    ensure!(
        root.attribute("viewBox") == Some("-32 -32 764 1064"),
        "{:?}",
        root.attribute("viewBox")
    );
    let group = |id: &str, kind: &str| {
        doc.descendants()
            .find(|n| n.attribute("data-id") == Some(id) && n.attribute("data-kind") == Some(kind))
    };
    for (id, color, x, y) in [
        (&d.a, "#90caf9", "40", "60"),
        (&d.b, "#c5e1a5", "400", "60"),
        (&d.c, "#f8bbd0", "40", "660"),
    ] {
        let g = group(id, "note").with_context(|| format!("no note {id} in the SVG"))?;
        ensure!(
            g.children().any(|r| r.has_tag_name("rect")
                && r.attribute("fill") == Some(color)
                && r.attribute("x") == Some(x)
                && r.attribute("y") == Some(y)
                && r.attribute("width") == Some("200")),
            "note {id}: no {color} rectangle at {x},{y}"
        );
    }
    let texts: Vec<(String, f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let num = |a| {
                n.attribute(a)
                    .and_then(|v: &str| v.parse().ok())
                    .unwrap_or(f64::NAN)
            };
            (n.text().unwrap_or_default().to_owned(), num("x"), num("y"))
        })
        .collect();
    let find = |s: &str| texts.iter().find(|t| t.0 == s);
    let pay = find("Pay with saved card").context("no note text")?;
    ensure!(
        pay.1 > 40.0 && pay.1 < 60.0 && pay.2 > 60.0 && pay.2 < 100.0,
        "text placed at {pay:?}"
    );
    let tag = find("#payments").context("no tag chip")?;
    ensure!(
        tag.2 > 220.0 && tag.2 < 260.0,
        "tag chip placed at {tag:?} (the note's foot)"
    );
    ensure!(
        find("Sprint 1").is_some() && find("Later").is_some(),
        "frame titles: {texts:?}"
    );
    ensure!(
        find("Refunds within a day").is_some() || find("Refunds within a").is_some(),
        "{texts:?}"
    );
    ensure!(
        doc.descendants().any(|n| n.has_tag_name("line")),
        "no connector line"
    );
    let badge = group(&d.a, "votes").context("no vote badge")?;
    ensure!(
        badge.descendants().any(|n| n.text() == Some("2")),
        "the badge says 2"
    );
    ensure!(group(&d.b, "dissent").is_some(), "no dissent mark");

    // PNG at 1x: the board's size, not blank, the notes' colours where the notes are.
    let png1 = get(addr, &url("format=png"), &cookie).await?;
    ensure!(
        png1.status == 200 && png1.content_type == "image/png",
        "png: {} {}",
        png1.status,
        png1.text()
    );
    let img = Image::decode(&png1.body)?;
    ensure!((img.w, img.h) == (764, 1064), "{} x {}", img.w, img.h);
    ensure!(
        img.colours() > 20,
        "a blank picture ({} colours)",
        img.colours()
    );
    // Inside note A, below its one line of text and above its tag: (46, 180) in the world.
    let px =
        |wx: f64, wy: f64, scale: f64| (((wx + 32.0) * scale) as u32, ((wy + 32.0) * scale) as u32);
    let (x, y) = px(46.0, 180.0, 1.0);
    ensure!(
        close(img.at(x, y), rgb("#90caf9"), 3),
        "note A at {x},{y} is {:?}",
        img.at(x, y)
    );
    let (x, y) = px(560.0, 230.0, 1.0);
    ensure!(
        close(img.at(x, y), rgb("#c5e1a5"), 3),
        "note B at {x},{y} is {:?}",
        img.at(x, y)
    );
    let (x, y) = px(100.0, 820.0, 1.0);
    ensure!(
        close(img.at(x, y), rgb("#f8bbd0"), 3),
        "note C at {x},{y} is {:?}",
        img.at(x, y)
    );
    // Outside everything: the paper.
    ensure!(
        close(img.at(5, 5), rgb("#f6f8fa"), 2),
        "paper is {:?}",
        img.at(5, 5)
    );

    // 2x: twice the pixels, the same colours at the same world places.
    let png2 = get(addr, &url("format=png&scale=2"), &cookie).await?;
    ensure!(png2.status == 200, "png 2x: {}", png2.text());
    let img2 = Image::decode(&png2.body)?;
    ensure!((img2.w, img2.h) == (1528, 2128), "{} x {}", img2.w, img2.h);
    let (x, y) = px(46.0, 180.0, 2.0);
    ensure!(
        close(img2.at(x, y), rgb("#90caf9"), 3),
        "2x note A is {:?}",
        img2.at(x, y)
    );

    // A frame: its own size; the selection: the note and its margin.
    let framed = Image::decode(
        &get(
            addr,
            &url(&format!("format=png&frame={}", d.frame)),
            &cookie,
        )
        .await?
        .body,
    )?;
    ensure!(
        (framed.w, framed.h) == (700, 400),
        "frame {} x {}",
        framed.w,
        framed.h
    );
    ensure!(
        close(framed.at(46, 180), rgb("#90caf9"), 3),
        "frame's note A {:?}",
        framed.at(46, 180)
    );
    let sel = get(addr, &url(&format!("format=svg&items={}", d.c)), &cookie).await?;
    ensure!(sel.status == 200, "{}", sel.text());
    let sel = sel.text();
    ensure!(
        sel.contains("Gift cards") && !sel.contains("Refunds"),
        "the selection only: {sel}"
    );
    let sel_png = Image::decode(
        &get(addr, &url(&format!("format=png&items={}", d.c)), &cookie)
            .await?
            .body,
    )?;
    ensure!(
        (sel_png.w, sel_png.h) == (264, 264),
        "selection {} x {}",
        sel_png.w,
        sel_png.h
    );

    // PDF: a page per frame.
    let pdf = get(addr, &url("format=pdf"), &cookie).await?;
    ensure!(
        pdf.status == 200 && pdf.content_type == "application/pdf",
        "pdf: {}",
        pdf.text()
    );
    ensure!(pdf.body.starts_with(b"%PDF-"), "not a PDF");
    ensure!(pdf_pages(&pdf.body) == 2, "{} pages", pdf_pages(&pdf.body));

    // Clear refusals.
    for (q, says) in [
        ("format=png&scale=9", "scale"),
        ("format=png&frame=nope", "no frame"),
        ("format=png&items=nope", "no item"),
        ("format=pdf&frame=x", "page per frame"),
    ] {
        let r = get(addr, &url(q), &cookie).await?;
        ensure!(
            r.status == 400 && r.text().contains(says),
            "{q}: {} {}",
            r.status,
            r.text()
        );
    }
    let frame_and_items = get(
        addr,
        &url(&format!("format=png&frame={}&items={}", d.frame, d.a)),
        &cookie,
    )
    .await?;
    ensure!(frame_and_items.status == 400, "{}", frame_and_items.text());

    // Anyone with a role sees pictures; the minutes are the facilitator's or an owner's.
    let ed = team.member(&server, "editor", "Eddie Editor").await?;
    let ed_png = get(addr, &url("format=png"), &ed.cookie).await?;
    ensure!(
        ed_png.status == 200,
        "an editor's picture: {}",
        ed_png.status
    );
    let ed_minutes = get(addr, &url("format=minutes"), &ed.cookie).await?;
    ensure!(
        ed_minutes.status == 403,
        "an editor's minutes: {} {}",
        ed_minutes.status,
        ed_minutes.text()
    );
    let stranger = huddle_tests::visitor::Visitor::arrive(&server).await?;
    let theirs = get(addr, &url("format=png"), &stranger.cookie).await?;
    ensure!(
        theirs.status == 404,
        "a stranger's picture: {}",
        theirs.status
    );

    let minutes = get(addr, &url("format=minutes&since=0"), &cookie).await?;
    ensure!(
        minutes.status == 200,
        "minutes: {} {}",
        minutes.status,
        minutes.text()
    );
    let md = minutes.text();
    for want in [
        "# Minutes: Deciding together",
        "## Who took part",
        "- Olga Owner",
        "Refunds wait for the load test",
        "Needs a load test",
        "- Gift cards (note, by Olga Owner)",
    ] {
        ensure!(md.contains(want), "minutes lack {want:?}:\n{md}");
    }
    let minutes_pdf = get(addr, &url("format=minutes-pdf&since=0"), &cookie).await?;
    ensure!(
        minutes_pdf.status == 200 && minutes_pdf.body.starts_with(b"%PDF-"),
        "minutes pdf: {}",
        minutes_pdf.status
    );
    ensure!(pdf_pages(&minutes_pdf.body) >= 1);

    // Too large a PNG: 400 with the size, while SVG still works.
    owner.edit(|b, txn| {
        b.create_note(
            txn,
            NewNote {
                pos: [30_000.0, 30_000.0],
                text: "Far away".into(),
                ..NewNote::default()
            },
        )
    })?;
    owner.save().await?;
    let huge = get(addr, &url("format=png&scale=2"), &cookie).await?;
    ensure!(
        huge.status == 400 && huge.text().contains("pixels"),
        "{} {}",
        huge.status,
        huge.text()
    );
    ensure!(get(addr, &url("format=svg"), &cookie).await?.status == 200);

    // The CLI, on the data directory once the server stopped: the same picture.
    drop(owner);
    server.stop()?;
    let out = data.path().join("board.png");
    let run = std::process::Command::new(huddle_bin())
        .args([
            "export",
            &team.board,
            "--format",
            "png",
            "--frame",
            &d.frame,
            "-o",
        ])
        .arg(&out)
        .arg("--data")
        .arg(data.path())
        .output()?;
    ensure!(
        run.status.success(),
        "huddle export: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let cli = Image::decode(&std::fs::read(&out)?)?;
    ensure!(
        (cli.w, cli.h) == (700, 400),
        "CLI frame {} x {}",
        cli.w,
        cli.h
    );
    ensure!(
        close(cli.at(46, 180), rgb("#90caf9"), 3),
        "CLI note A {:?}",
        cli.at(46, 180)
    );
    let bad = std::process::Command::new(huddle_bin())
        .args(["export", &team.board, "--format", "png", "--scale", "0"])
        .arg("--data")
        .arg(data.path())
        .output()?;
    ensure!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("scale"));
    Ok(())
}
