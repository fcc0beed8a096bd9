//! The `huddle` binary.

use std::io::Write;

use clap::Parser;
use huddle_server::config::{Cli, Command};
use tokio_util::sync::CancellationToken;

/// jemalloc instead of the system's malloc: with thousands of connections joining and going
/// idle, glibc's heaps keep the holes the joins' short-lived buffers leave, and the server
/// stays larger than what it holds (BENCHMARKS.md, "Issue 16: idle connections, fourth pass").
#[cfg(all(unix, not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "huddle=info,huddle_server=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Serve(args) => {
            huddle_server::app::run(*args, CancellationToken::new(), |addr| {
                // Tests and scripts read this line to learn the port when started with port 0.
                println!("huddle listening on http://{addr}");
                let _ = std::io::stdout().flush();
            })
            .await
        }
        Command::Export(args) => huddle_server::cli::export(&args),
        Command::Migrate(args) => huddle_server::cli::migrate(&args),
        Command::AdminLink(args) => {
            println!("{}", huddle_server::cli::admin_link(&args)?);
            Ok(())
        }
        Command::Import(args) => {
            let id = huddle_server::cli::import(&args)?;
            // The id on the first line, the page's path on the second: easy to read and to script.
            println!("{id}\n/b/{id}");
            Ok(())
        }
    }
}
