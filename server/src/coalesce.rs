//! A connection's writes gathered into few syscalls, with no buffer kept between flushes.
//!
//! tungstenite can buffer writes itself (`write_buffer_size`), but its buffer keeps the
//! capacity of the most it ever held, for the life of the connection. Huddle runs tungstenite
//! with that buffer off (every frame goes straight here) and gathers the frames of one batch
//! in [`Coalesce`] instead, which frees its buffer once a flush has written it out: an idle
//! connection holds no write buffer, and a large message (a board's initial sync, sent as
//! many small fragments) still leaves in writes of up to [`COALESCE_BYTES`], not one syscall
//! per fragment.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Most bytes gathered before they are written out. Large enough that a big board leaves in
/// few syscalls (a 3 MB board in about 50; in 4 KiB writes it took twice as long to send),
/// small enough to be harmless while a connection is sending.
pub const COALESCE_BYTES: usize = 64 << 10;

/// Gathers writes to `inner` until a flush or until [`COALESCE_BYTES`] are waiting.
/// Reads go straight through.
#[derive(Debug)]
pub struct Coalesce<T> {
    inner: T,
    /// Bytes written to us and not yet to `inner`. Freed (not just cleared) after each
    /// flush: an idle connection keeps no capacity here.
    buf: Vec<u8>,
}

impl<T> Coalesce<T> {
    pub fn new(inner: T) -> Self {
        Coalesce {
            inner,
            buf: Vec::new(),
        }
    }
}

impl<T: AsyncWrite + Unpin> Coalesce<T> {
    /// Writes all of `buf` to `inner` (not flushing it).
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.buf.is_empty() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.buf))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.buf.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Coalesce<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buf.len() + data.len() > COALESCE_BYTES {
            ready!(this.poll_write_out(cx))?;
        }
        if data.len() >= COALESCE_BYTES {
            return Pin::new(&mut this.inner).poll_write(cx, data);
        }
        this.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_out(cx))?;
        this.buf = Vec::new();
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_out(cx))?;
        this.buf = Vec::new();
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Coalesce<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    /// A writer that records each write it gets, accepting at most `max` bytes of each.
    #[derive(Default)]
    struct Recorder {
        writes: Vec<usize>,
        data: Vec<u8>,
        max: usize,
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            data: &[u8],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            let n = data.len().min(this.max);
            this.writes.push(n);
            this.data.extend_from_slice(&data[..n]);
            Poll::Ready(Ok(n))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn recorder(max: usize) -> Coalesce<Recorder> {
        Coalesce::new(Recorder {
            max,
            ..Recorder::default()
        })
    }

    #[tokio::test]
    async fn small_writes_leave_together_at_the_flush_and_the_buffer_is_freed() {
        let mut out = recorder(usize::MAX);
        for i in 0..64u8 {
            out.write_all(&[i; 100]).await.unwrap();
        }
        assert!(out.inner.writes.is_empty(), "written before the flush");
        out.flush().await.unwrap();
        assert_eq!(out.inner.writes, [6400]);
        assert_eq!(out.buf.capacity(), 0, "the buffer outlived the flush");
    }

    #[tokio::test]
    async fn many_fragments_leave_in_writes_of_at_most_coalesce_bytes_in_order() {
        let mut out = recorder(usize::MAX);
        let message: Vec<u8> = (0..1_000_000u32).map(|i| i as u8).collect();
        for fragment in message.chunks(4100) {
            out.write_all(fragment).await.unwrap();
        }
        out.flush().await.unwrap();
        assert_eq!(out.inner.data, message);
        assert!(out.inner.writes.iter().all(|&n| n <= COALESCE_BYTES));
        assert!(out.inner.writes.len() <= message.len() / (COALESCE_BYTES - 4100) + 1);
    }

    #[tokio::test]
    async fn partial_writes_by_the_socket_lose_nothing() {
        let mut out = recorder(1000);
        let message: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for chunk in message.chunks(3000) {
            out.write_all(chunk).await.unwrap();
        }
        out.write_all(&message).await.unwrap(); // larger than COALESCE_BYTES: straight through
        out.flush().await.unwrap();
        assert_eq!(out.inner.data, [message.clone(), message].concat());
        assert_eq!(out.buf.capacity(), 0);
    }
}
