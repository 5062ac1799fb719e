//! The read and write halves of a [`Stream`](super::Stream), one type each whatever the
//! transport, so a `Connection` names them once.
//!
//! TCP and Unix sockets split into their own owned halves (no lock on the hot path); a
//! TLS session is one state machine, so its halves share it through tokio's `split`.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::tcp;

use super::Inner;

/// The read half of a [`Stream`](super::Stream).
pub struct ReadHalf(ReadInner);

/// The write half of a [`Stream`](super::Stream); `poll_shutdown` sends TLS's
/// `close_notify` before the FIN.
pub struct WriteHalf(WriteInner);

enum ReadInner {
    Tcp(tcp::OwnedReadHalf),
    #[cfg(unix)]
    Unix(tokio::net::unix::OwnedReadHalf),
    #[cfg(feature = "tls")]
    Tls(tokio::io::ReadHalf<Box<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>>),
}

enum WriteInner {
    Tcp(tcp::OwnedWriteHalf),
    #[cfg(unix)]
    Unix(tokio::net::unix::OwnedWriteHalf),
    #[cfg(feature = "tls")]
    Tls(tokio::io::WriteHalf<Box<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>>),
}

pub(super) fn split(inner: Inner) -> (ReadHalf, WriteHalf) {
    match inner {
        Inner::Tcp(s) => {
            let (r, w) = s.into_split();
            (ReadHalf(ReadInner::Tcp(r)), WriteHalf(WriteInner::Tcp(w)))
        }
        #[cfg(unix)]
        Inner::Unix(s) => {
            let (r, w) = s.into_split();
            (ReadHalf(ReadInner::Unix(r)), WriteHalf(WriteInner::Unix(w)))
        }
        #[cfg(feature = "tls")]
        Inner::Tls(s) => {
            let (r, w) = tokio::io::split(s);
            (ReadHalf(ReadInner::Tls(r)), WriteHalf(WriteInner::Tls(w)))
        }
    }
}

impl fmt::Debug for ReadHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReadHalf")
    }
}

impl fmt::Debug for WriteHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteHalf")
    }
}

macro_rules! each {
    ($enum:ident, $inner:expr, $s:ident => $e:expr) => {
        match $inner {
            $enum::Tcp($s) => $e,
            #[cfg(unix)]
            $enum::Unix($s) => $e,
            #[cfg(feature = "tls")]
            $enum::Tls($s) => $e,
        }
    };
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(ReadInner, &mut self.get_mut().0, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(WriteInner, &mut self.get_mut().0, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(WriteInner, &mut self.get_mut().0, s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        each!(WriteInner, &self.0, s => s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(WriteInner, &mut self.get_mut().0, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(WriteInner, &mut self.get_mut().0, s => Pin::new(s).poll_shutdown(cx))
    }
}
