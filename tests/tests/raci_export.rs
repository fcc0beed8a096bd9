//! RACI matrices through the real server: a client makes a matrix over the WebSocket; the
//! export API answers its CSV (`export?format=raci-csv`) and its Markdown table, with the
//! rows that break the rules flagged and the rows named by their notes' current text; a
//! second client sees the same matrix; a board with two matrices asks which one.

use huddle_shared::model::{NewNote, NewRaci};
use huddle_shared::raci::{Letter, NewCol};
use huddle_tests::client::Client;
use huddle_tests::http;
use huddle_tests::server::TestServer;

async fn export(server: &TestServer, board: &str, query: &str) -> http::Response {
    http::get(
        server.addr(),
        &format!("/api/boards/{board}/export?{query}"),
    )
    .await
    .expect("export")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matrix_exports_as_csv_and_markdown() {
    let (server, _data) = TestServer::start().expect("server");
    let board = http::create_board(server.addr(), "Sprint 9")
        .await
        .expect("board");
    let client = Client::join(&server.ws_url(&board)).await.expect("join");

    let none = export(&server, &board, "format=raci-csv").await;
    assert_eq!(none.status, 400, "{}", none.body);
    assert!(none.body.contains("no RACI matrix"), "{}", none.body);

    let (m, rows, cols) = client.edit(|b, txn| {
        let note = |txn: &mut yrs::TransactionMut, text: &str| {
            b.create_note(
                txn,
                NewNote {
                    text: text.into(),
                    ..NewNote::default()
                },
            )
            .expect("note")
        };
        let rows = vec![note(txn, "Pay by card"), note(txn, "Refunds")];
        let m = b
            .create_raci(
                txn,
                NewRaci {
                    title: "Checkout".into(),
                    rows: rows.clone(),
                    cols: vec![NewCol::person("p-ann", "Ann"), NewCol::role("Design lead")],
                    ..NewRaci::default()
                },
            )
            .expect("matrix");
        let cols: Vec<String> = b
            .raci(txn, &m)
            .expect("read")
            .cols
            .into_iter()
            .map(|c| c.id)
            .collect();
        b.set_raci_cell(txn, &m, &rows[0], &cols[0], Some(Letter::A))
            .expect("cell");
        b.set_raci_cell(txn, &m, &rows[0], &cols[1], Some(Letter::R))
            .expect("cell");
        b.set_raci_cell(txn, &m, &rows[1], &cols[1], Some(Letter::C))
            .expect("cell");
        (m, rows, cols)
    });
    client.save().await.expect("saved");

    let csv = export(&server, &board, "format=raci-csv").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        csv.header("content-disposition")
            .is_some_and(|d| d.contains("sprint-9-checkout.csv")),
        "{:?}",
        csv.headers
    );
    assert_eq!(
        csv.body,
        "Item,Ann,Design lead\nPay by card,A,R\nRefunds,,C\n"
    );

    let md = export(&server, &board, "format=markdown").await;
    assert_eq!(md.status, 200, "{}", md.body);
    assert!(
        md.body.contains(
            "## RACI: Checkout\n\n| Item | Ann | Design lead | Check |\n| --- | :-: | :-: | --- |\n\
             | Pay by card | A | R | ok |\n| Refunds |  | C | ⚠ no A, no R |\n"
        ),
        "{}",
        md.body
    );

    // A second client joins and sees the same matrix; it renames a story and fixes a row.
    let other = Client::join(&server.ws_url(&board)).await.expect("join");
    let seen = other
        .wait_until(|s| s.items.get(&m).and_then(|i| i.raci.as_ref()).is_some())
        .await;
    assert!(seen.is_ok(), "the second client never saw the matrix");
    assert_eq!(
        other.snapshot().items[&m].raci,
        client.snapshot().items[&m].raci
    );
    other.edit(|b, txn| {
        b.insert_text(txn, &rows[1], 0, "Partial ").expect("rename");
        b.set_raci_cell(txn, &m, &rows[1], &cols[0], Some(Letter::A))
            .expect("cell");
        b.set_raci_cell(txn, &m, &rows[1], &cols[1], Some(Letter::R))
            .expect("cell");
    });
    other.save().await.expect("saved");
    let md = export(&server, &board, "format=markdown").await;
    assert!(
        md.body.contains("| Partial Refunds | A | R | ok |"),
        "{}",
        md.body
    );
    assert!(!md.body.contains('⚠'), "{}", md.body);

    // With two matrices, the CSV export needs to know which.
    let second = client.edit(|b, txn| b.create_raci(txn, NewRaci::default()).expect("second"));
    client.save().await.expect("saved");
    let ambiguous = export(&server, &board, "format=raci-csv").await;
    assert_eq!(ambiguous.status, 400);
    assert!(
        ambiguous.body.contains(&m) && ambiguous.body.contains(&second),
        "{}",
        ambiguous.body
    );
    let chosen = export(&server, &board, &format!("format=raci-csv&matrix={second}")).await;
    assert_eq!(chosen.status, 200, "{}", chosen.body);
    assert_eq!(chosen.body, "Item\n");
    let missing = export(&server, &board, "format=raci-csv&matrix=nope").await;
    assert_eq!(missing.status, 400);
}
