//! The inbox and the webhooks in real Chromium. An editor (a browser that opened the editor
//! link) sees the badge count a decision made while they were away, opens the inbox, clicks
//! the entry and lands on the board with the count cleared. The admin (an owner of every
//! board) adds a generic webhook in the Webhooks dialog, is told why a Slack URL over plain
//! HTTP is refused, sends a test that a receiver on 127.0.0.1 gets, and sees it delivered in
//! the log.

use anyhow::ensure;
use huddle_shared::rounds::Command;
use huddle_tests::browser::{self, Browser};
use huddle_tests::person::{Person, READY};
use huddle_tests::receiver::Receiver;
use huddle_tests::rounds::Team;
use huddle_tests::server::{DataDir, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_and_the_webhooks_dialog_work_in_the_page() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let data = DataDir::new();
    let server = TestServer::start_on(data.path(), &["--webhooks-allow-private"])?;
    let team = Team::start(&server, "Olga Owner").await?;
    let board = team.board.clone();

    // Ed opens the editor link in his browser, then leaves for the home page.
    let browser = Browser::launch().await?;
    let page = browser
        .new_page(&server.http_url(team.link("editor")?))
        .await?;
    let ed = Person {
        name: "Ed",
        page,
        browser,
    };
    ed.wait("the board page to connect", READY).await?;
    ed.wait(
        "the inbox button",
        "!!document.querySelector('#inbox-button')",
    )
    .await?;
    ed.wait(
        "an empty inbox",
        "document.querySelector('#inbox-count')?.hidden === true",
    )
    .await?;
    ensure!(
        ed.page
            .eval("!document.querySelector('#webhooks-button')")
            .await?
            == true,
        "an editor is offered the webhooks"
    );
    ed.page.goto(&server.http_url("/")).await?;

    // Olga records a decision while Ed is away.
    let olga = team.tab(&server, &team.owner).await?;
    olga.ack(Command::Decide {
        text: "Saved cards first".into(),
        round: None,
        corrects: None,
    })
    .await?;

    // Ed's home page shows one unread entry; he opens it.
    ed.page.goto(&server.http_url("/")).await?;
    ed.wait(
        "the badge to count one",
        "document.querySelector('#inbox-count')?.hidden === false \
         && document.querySelector('#inbox-count').textContent === '1'",
    )
    .await?;
    ed.page.click("#inbox-button").await?;
    ed.wait(
        "the decision in the list",
        "[...document.querySelectorAll('.inbox-entry.unread')].some(e => \
           e.textContent.includes('Olga Owner recorded a decision: Saved cards first') \
           && e.textContent.includes('Deciding together'))",
    )
    .await?;
    ed.page.click(".inbox-entry").await?;
    ed.wait(
        "the board, opened from the inbox",
        &format!("location.pathname === '/b/{board}'"),
    )
    .await?;
    ed.wait("the board page to connect", READY).await?;
    ed.wait(
        "the badge to clear",
        "document.querySelector('#inbox-count')?.hidden === true",
    )
    .await?;
    ed.assert_no_errors()?;

    // The admin adds a webhook in the dialog.
    let receiver = Receiver::start().await?;
    let admin = Person::join("Admin", &server, &board).await?;
    admin.page.click("#webhooks-button").await?;
    admin
        .wait("the add form", "!!document.querySelector('#webhook-url')")
        .await?;
    admin
        .page
        .type_into("#webhook-url", &receiver.url("/slack"))
        .await?;
    admin.page.click("#webhook-add").await?;
    admin
        .wait(
            "Slack's refusal of plain HTTP",
            "document.querySelector('#webhooks-message')?.textContent.includes('https')",
        )
        .await?;
    admin
        .page
        .eval(&format!(
            "document.querySelector('#webhook-kind').value = 'generic'; \
             document.querySelector('#webhook-url').value = '{}'; true",
            receiver.url("/generic")
        ))
        .await?;
    admin.page.click("#webhook-add").await?;
    admin
        .wait(
            "the webhook in the list",
            "document.querySelectorAll('.webhook').length === 1 \
             && document.querySelector('.webhook-secret')?.textContent.startsWith('Signing secret: ')",
        )
        .await?;
    admin.page.click(".webhook [data-test]").await?;
    let got = receiver
        .wait_for("the test", |got| {
            got.iter()
                .any(|r| r.header("x-huddle-event") == Some("ping"))
        })
        .await?;
    ensure!(got.iter().all(|r| r.path == "/generic"), "{got:#?}");
    for _ in 0..100 {
        admin.page.click("#webhooks-refresh").await?;
        let delivered = admin
            .page
            .eval(
                "!!document.querySelector('.delivery[data-status=delivered] .delivery-status')\
                   ?.textContent.includes('Delivered (HTTP 200)')",
            )
            .await?;
        if delivered == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    admin
        .wait(
            "the delivery in the log",
            "!!document.querySelector('.delivery[data-status=delivered]')",
        )
        .await?;
    admin.assert_no_errors()?;
    Ok(())
}
