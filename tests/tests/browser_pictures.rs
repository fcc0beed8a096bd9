//! The server's PNG of a frame against Chromium's own drawing of the same frame: a small
//! board (a frame, three coloured notes with text, a tag, an arrow) is shown in a real page
//! at 100%, the frame's rectangle is cut out of a screenshot and compared pixel by pixel with
//! `export?format=png&frame=ID`, within a loose tolerance (fonts are hinted differently, the
//! page draws a dot grid the picture leaves out, anti-aliasing differs). Both pictures and
//! their difference are kept under `target/artifacts/pictures/` for people to look at.

use std::path::Path;

use anyhow::{Context, ensure};
use huddle_shared::model::{Color, NewNote};
use huddle_tests::browser::{self, modifiers};
use huddle_tests::client::Client;
use huddle_tests::http;
use huddle_tests::person::Person;
use huddle_tests::server::TestServer;

/// The frame's place and size in the world.
const FRAME: [f64; 4] = [0.0, 0.0, 600.0, 400.0];
/// A pixel differs when one of its channels is this far off (of 255).
const PIXEL_TOLERANCE: u8 = 48;
/// At most this share of the frame's pixels may differ.
const MAX_DIFFERENT: f64 = 0.06;

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

    fn crop(&self, x: u32, y: u32, w: u32, h: u32) -> Image {
        let mut rgba = Vec::with_capacity((w * h * 4) as usize);
        for row in y..y + h {
            for col in x..x + w {
                let [r, g, b] = self.at(col, row);
                rgba.extend([r, g, b, 255]);
            }
        }
        Image { w, h, rgba }
    }

    fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut encoder = png::Encoder::new(file, self.w, self.h);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header()?.write_image_data(&self.rgba)?;
        Ok(())
    }
}

/// `GET path` as the server's admin; the status and the body's bytes.
async fn get_bytes(server: &TestServer, path: &str) -> anyhow::Result<(u16, Vec<u8>)> {
    let auth = format!("Bearer {}", server.admin_key());
    let answer = http::get_binary(server.addr(), path, &[("Authorization", &auth)]).await?;
    Ok((answer.status, answer.body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_png_matches_chromiums_drawing() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = http::create_board(server.addr(), "Pictures").await?;
    let writer = Client::join(&server.ws_url(&board)).await?;
    let frame = writer.edit(|b, txn| -> anyhow::Result<String> {
        let frame = b.create_frame(
            txn,
            [FRAME[0], FRAME[1]],
            Some([FRAME[2], FRAME[3]]),
            "Sprint 1",
            "",
            1.0,
        )?;
        let note = |txn: &mut yrs::TransactionMut, pos, text: &str, color, tags: Vec<String>| {
            b.create_note(
                txn,
                NewNote {
                    pos,
                    size: Some([220.0, 140.0]),
                    text: text.into(),
                    color,
                    tags,
                    ..NewNote::default()
                },
            )
        };
        let a = note(
            txn,
            [40.0, 60.0],
            "Pay with a saved card",
            Color::Blue,
            vec!["payments".into()],
        )?;
        let c = note(
            txn,
            [340.0, 60.0],
            "Refunds within a day",
            Color::Green,
            Vec::new(),
        )?;
        note(
            txn,
            [40.0, 230.0],
            "Gift cards for the holidays",
            Color::Pink,
            Vec::new(),
        )?;
        b.create_connector(txn, &a, &c, "", 1.0)?;
        Ok(frame)
    })?;
    writer.save().await?;

    let person = Person::join("A", &server, &board).await?;
    person
        .wait(
            "the five items",
            "Object.keys(huddle.snapshot().items).length === 5",
        )
        .await?;
    person
        .page
        .eval(&format!(
            "huddle.setCamera({}, {}, 1)",
            FRAME[0] + FRAME[2] / 2.0,
            FRAME[1] + FRAME[3] / 2.0
        ))
        .await?;
    // Every text laid out and two frames drawn at this camera.
    person
        .wait(
            "the frame drawn at 100%",
            "huddle.camera().zoom === 1 && new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))",
        )
        .await?;
    let tl = person
        .page
        .eval(&format!("huddle.worldToClient({}, {})", FRAME[0], FRAME[1]))
        .await?;
    let ratio = person
        .page
        .eval("window.devicePixelRatio")
        .await?
        .as_f64()
        .unwrap_or(1.0);
    let n = |v: &serde_json::Value, i: usize| v[i].as_f64().with_context(|| format!("{v}"));
    let (x, y) = (
        (n(&tl, 0)? * ratio).round() as u32,
        (n(&tl, 1)? * ratio).round() as u32,
    );

    let dir = huddle_tests::workspace_root().join("target/artifacts/pictures");
    let shot_path = dir.join("chromium-screenshot.png");
    person.page.screenshot(&shot_path).await?;
    let shot = Image::decode(&std::fs::read(&shot_path)?)?;
    let (w, h) = ((FRAME[2] * ratio) as u32, (FRAME[3] * ratio) as u32);
    ensure!(
        x + w <= shot.w && y + h <= shot.h,
        "the frame at {x},{y} is not all on screen ({} x {})",
        shot.w,
        shot.h
    );
    let chromium = shot.crop(x, y, w, h);
    chromium.save(&dir.join("chromium-frame.png"))?;

    let scale = if ratio == 1.0 {
        String::new()
    } else {
        format!("&scale={ratio}")
    };
    let (status, body) = get_bytes(
        &server,
        &format!("/api/boards/{board}/export?format=png&frame={frame}{scale}"),
    )
    .await?;
    ensure!(
        status == 200,
        "export: {status} {}",
        String::from_utf8_lossy(&body)
    );
    std::fs::write(dir.join("server-frame.png"), &body)?;
    let ours = Image::decode(&body)?;
    ensure!(
        (ours.w, ours.h) == (w, h),
        "the server's frame is {} x {}, Chromium's {w} x {h}",
        ours.w,
        ours.h
    );

    let mut diff = Image {
        w,
        h,
        rgba: Vec::with_capacity((w * h * 4) as usize),
    };
    let mut different = 0u64;
    let mut total = 0u64;
    for row in 0..h {
        for col in 0..w {
            let (a, b) = (chromium.at(col, row), ours.at(col, row));
            let d = a
                .iter()
                .zip(b)
                .map(|(p, q)| p.abs_diff(q))
                .max()
                .unwrap_or(0);
            total += u64::from(d);
            if d > PIXEL_TOLERANCE {
                different += 1;
                diff.rgba.extend([220, 38, 38, 255]);
            } else {
                // Small differences in grey, four times as dark as they are.
                let g = 255 - (u16::from(d) * 4).min(255) as u8;
                diff.rgba.extend([g, g, g, 255]);
            }
        }
    }
    diff.save(&dir.join("difference.png"))?;
    let pixels = u64::from(w) * u64::from(h);
    let share = different as f64 / pixels as f64;
    let mean = total as f64 / pixels as f64;
    println!(
        "pictures: {different} of {pixels} pixels differ by more than {PIXEL_TOLERANCE} ({:.2}%); mean difference {mean:.2}",
        share * 100.0
    );
    ensure!(
        share <= MAX_DIFFERENT,
        "{:.2}% of the frame's pixels differ (at most {:.0}%); see {}",
        share * 100.0,
        MAX_DIFFERENT * 100.0,
        dir.display()
    );
    // The board menu's "Picture of this frame (PNG)": the frame in the middle of the view,
    // downloaded under the server's file name.
    let downloads = tempfile::tempdir()?;
    person.page.allow_downloads(downloads.path()).await?;
    person.page.click("#board-menu-button").await?;
    person.page.click("[data-picture=frame-png]").await?;
    person
        .wait(
            "the menu to say the picture was saved",
            "document.querySelector('#board-menu-message')?.textContent.startsWith('Saved')",
        )
        .await?;
    let file = downloads.path().join(format!(
        "pictures-frame-{}.png",
        huddle_shared::export::slug(&frame)
    ));
    let deadline = std::time::Instant::now() + huddle_tests::client::WAIT;
    let saved = loop {
        match std::fs::read(&file) {
            Ok(bytes) if bytes.starts_with(b"\x89PNG") => break Image::decode(&bytes)?,
            _ if std::time::Instant::now() > deadline => anyhow::bail!(
                "no {} in {:?}",
                file.display(),
                std::fs::read_dir(downloads.path())?.collect::<Vec<_>>()
            ),
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    };
    ensure!(
        (saved.w, saved.h) == (FRAME[2] as u32, FRAME[3] as u32),
        "the menu's PNG is {} x {}",
        saved.w,
        saved.h
    );

    // Shift+P with nothing selected: a PNG of the whole board, its outcome in the notice.
    person.page.press("Escape", 0).await?;
    person.page.press("Escape", 0).await?;
    person.page.press("P", modifiers::SHIFT).await?;
    person
        .wait(
            "the notice to say the board's picture was saved",
            "document.querySelector('#notice')?.textContent.startsWith('Saved')",
        )
        .await?;
    let deadline = std::time::Instant::now() + huddle_tests::client::WAIT;
    let board_png = loop {
        let other = std::fs::read_dir(downloads.path())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p != &file && p.extension().is_some_and(|e| e == "png"));
        match other.map(std::fs::read) {
            Some(Ok(bytes)) if bytes.starts_with(b"\x89PNG") => break Image::decode(&bytes)?,
            _ if std::time::Instant::now() > deadline => {
                anyhow::bail!(
                    "Shift+P saved no board PNG in {}",
                    downloads.path().display()
                )
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    };
    ensure!(
        board_png.w >= saved.w && board_png.h >= saved.h,
        "the board's PNG ({} x {}) is smaller than its frame's",
        board_png.w,
        board_png.h
    );

    // Not trivially equal by being blank: both show the notes' colours at a note.
    let blue = [0x90, 0xca, 0xf9];
    let at = ((50.0 * ratio) as u32, (180.0 * ratio) as u32);
    for (who, img) in [("Chromium", &chromium), ("the server", &ours)] {
        let p = img.at(at.0, at.1);
        ensure!(
            p.iter().zip(blue).all(|(a, b)| a.abs_diff(b) <= 4),
            "{who} shows {p:?} inside the blue note"
        );
    }
    Ok(())
}
