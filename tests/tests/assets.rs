//! The app's files as a browser downloads them: brotli'd to a browser that takes brotli,
//! gzip'd to one that takes only gzip, as they are to one that takes neither, each
//! `Vary: Accept-Encoding` so that no cache hands one browser's copy to another.

use std::io::Read;
use std::net::SocketAddr;

use anyhow::ensure;
use huddle_tests::browser;
use huddle_tests::http::{self, BinaryResponse};
use huddle_tests::server::{TestServer, assets_dir};

/// `GET path` with `Accept-Encoding` as given (none: no header).
async fn get(addr: SocketAddr, path: &str, accept: Option<&str>) -> anyhow::Result<BinaryResponse> {
    let headers: Vec<_> = accept.map(|e| ("Accept-Encoding", e)).into_iter().collect();
    http::get_binary(addr, path, &headers).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_is_sent_compressed_as_the_browser_takes_it() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let dist = assets_dir();
    ensure!(
        dist.join("pkg/huddle_client_bg.wasm.br").exists(),
        "{} holds no compressed copies: a debug build of the client writes none; run \
         `cargo xtask build-client` (or `cargo xtask test`)",
        dist.display()
    );
    for file in [
        "pkg/huddle_client_bg.wasm",
        "pkg/huddle_client.js",
        "style.css",
        "boot.js",
    ] {
        let path = format!("/{file}");
        let raw = std::fs::read(dist.join(file))?;
        let varies = |a: &BinaryResponse| a.header("vary") == Some("accept-encoding");

        let br = get(server.addr(), &path, Some("gzip, deflate, br")).await?;
        ensure!(br.status == 200, "{path}: {br:?}");
        ensure!(
            br.header("content-encoding") == Some("br"),
            "{path}: {:?}",
            br.headers
        );
        ensure!(varies(&br), "{path}: {:?}", br.headers);
        let mut unpacked = Vec::new();
        brotli::Decompressor::new(&br.body[..], 64 * 1024).read_to_end(&mut unpacked)?;
        ensure!(unpacked == raw, "{path}: the brotli'd copy is not the file");

        let gz = get(server.addr(), &path, Some("gzip")).await?;
        ensure!(
            gz.header("content-encoding") == Some("gzip"),
            "{path}: {:?}",
            gz.headers
        );
        ensure!(varies(&gz), "{path}: {:?}", gz.headers);
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&gz.body[..]).read_to_end(&mut unpacked)?;
        ensure!(unpacked == raw, "{path}: the gzip'd copy is not the file");
        ensure!(
            br.body.len() <= gz.body.len(),
            "{path}: brotli {} bytes, gzip {}",
            br.body.len(),
            gz.body.len()
        );
        if file.ends_with(".wasm") {
            ensure!(
                gz.body.len() * 2 < raw.len(),
                "{path}: gzip'd {} of {} bytes",
                gz.body.len(),
                raw.len()
            );
            ensure!(br.header("content-type") == Some("application/wasm"));
        }

        for refusing in [None, Some("identity"), Some("br;q=0, gzip;q=0")] {
            let plain = get(server.addr(), &path, refusing).await?;
            ensure!(plain.status == 200, "{path} {refusing:?}: {plain:?}");
            ensure!(
                plain.header("content-encoding").is_none(),
                "{path} {refusing:?}: {:?}",
                plain.headers
            );
            ensure!(plain.body == raw, "{path} {refusing:?}: not the file");
        }
    }
    Ok(())
}
