//! A real Redis for the cluster tests: Debian's `redis-server` on a free loopback port, with
//! its own temporary directory and the persistence cluster mode needs (`appendonly yes`,
//! `appendfsync always`: Redis answers a write only once it is fsynced). `kill -9` and
//! restart on the same port and directory.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `redis-server` binary: `$HUDDLE_REDIS`, or Debian's (`cargo xtask test` installs the
/// `redis-server` package when it is missing).
pub fn redis_server_bin() -> PathBuf {
    std::env::var_os("HUDDLE_REDIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/redis-server"))
}

/// A running `redis-server`; killed when dropped.
pub struct TestRedis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl TestRedis {
    /// Starts Redis on a free port of 127.0.0.1 and waits until it answers.
    pub fn start() -> TestRedis {
        let mut redis = TestRedis {
            child: None,
            port: 0,
            dir: tempfile::tempdir().expect("temporary directory for Redis"),
        };
        // The port is free now; another program could take it before Redis binds it, so a
        // Redis that does not come up is tried again on another.
        for _ in 0..5 {
            redis.port = free_port();
            if redis.spawn() {
                return redis;
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    /// The running server's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills Redis with SIGKILL (no shutdown, no last save) and starts it again on the same
    /// port and directory: it reloads its append-only file.
    pub fn kill_and_restart(&mut self) {
        self.kill();
        assert!(self.spawn(), "redis-server did not restart on its port");
    }

    /// Kills Redis with SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts `redis-server`; whether it answers PING within 10 s.
    fn spawn(&mut self) -> bool {
        let bin = redis_server_bin();
        let child = Command::new(&bin)
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(self.dir.path())
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
                "--loglevel",
                "warning",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}); `cargo xtask test` installs Debian's redis-server, \
                     or set HUDDLE_REDIS",
                    bin.display()
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.child = None;
                return false; // exited: the port was taken
            }
            if ping(self.port) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        false
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Whether Redis on `port` answers PING (and has loaded its data: it answers `-LOADING`
/// until then).
fn ping(port: u16) -> bool {
    let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = conn.set_read_timeout(Some(Duration::from_secs(1)));
    if conn.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut answer = [0u8; 7];
    conn.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
}
