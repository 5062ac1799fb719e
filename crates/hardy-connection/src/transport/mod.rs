//! Opening the byte stream a [`Connection`](crate::Connection) talks over: TCP, a Unix
//! socket, or TLS over TCP (feature `tls`, rustls with the ring provider, no OpenSSL).
//!
//! Every protocol client needs the same three transports, and TLS is easy to get subtly
//! wrong (verification, SNI, `close_notify`, telling a bad certificate from a network
//! blip). This module does it once: a [`Connector`] opens an [`Endpoint`] and yields one
//! [`Stream`] type, whatever the transport, which splits into halves for
//! [`Ctx::read`](crate::Ctx::read) and [`Ctx::writer`](crate::Ctx::writer). A graceful close
//! of the write half (the actor flushes, then shuts it down) sends TLS's `close_notify`.
//!
//! ```no_run
//! use hardy_connection::transport::{Connector, Endpoint};
//! # async fn demo() -> std::io::Result<()> {
//! let stream = Connector::plain()
//!     .connect(&Endpoint::tcp("127.0.0.1", 6379))
//!     .await?;
//! let (read, write) = stream.into_split();
//! # Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

mod halves;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "tls")]
mod verify;

pub use halves::{ReadHalf, WriteHalf};
#[cfg(feature = "tls")]
pub use tls::{certificate_problem, Tls, TlsConfigError};

/// Where to connect: a TCP host and port, or a Unix socket path.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// A host name or IP address, and a port.
    Tcp {
        /// The host name (also the TLS server name unless overridden) or address.
        host: String,
        /// The port.
        port: u16,
    },
    /// A Unix domain socket.
    Unix(PathBuf),
}

impl Endpoint {
    /// A TCP endpoint.
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        Endpoint::Tcp {
            host: host.into(),
            port,
        }
    }

    /// A Unix socket endpoint.
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        Endpoint::Unix(path.into())
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Endpoint::Tcp { host, port } => write!(f, "{host}:{port}"),
            Endpoint::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// Opens [`Stream`]s: plain, or TLS when built with [`Connector::tls`].
///
/// Cheap to clone (the TLS configuration is shared); build it once and reuse it for every
/// reconnect.
#[derive(Clone, Default)]
pub struct Connector {
    #[cfg(feature = "tls")]
    tls: Option<tls::Client>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Connector");
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls.is_some());
        d.finish()
    }
}

impl Connector {
    /// A connector without TLS: TCP (with `TCP_NODELAY`) or Unix sockets.
    pub fn plain() -> Self {
        Connector::default()
    }

    /// A connector that wraps TCP in TLS as configured by `tls` (see [`Tls`]).
    ///
    /// Fails when the configuration cannot work: a PEM that holds no certificate or key,
    /// a key that does not match, no trusted roots.
    #[cfg(feature = "tls")]
    pub fn tls(tls: &Tls) -> Result<Self, TlsConfigError> {
        Ok(Connector {
            tls: Some(tls.client()?),
        })
    }

    /// Whether streams from this connector use TLS.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// Connects to `endpoint` and, for TLS, runs the TLS handshake, verifying the
    /// server's certificate against the endpoint's host name (or the configured server
    /// name).
    ///
    /// A certificate the client refuses fails with an [`io::Error`] for which
    /// [`certificate_problem`] returns what to fix; retrying will not help. Any other
    /// error is the network's: worth a retry. Bound the whole call with a timeout: a TLS
    /// client talking to a plaintext port waits for an answer that never comes.
    pub async fn connect(&self, endpoint: &Endpoint) -> io::Result<Stream> {
        match endpoint {
            Endpoint::Tcp { host, port } => {
                let tcp = TcpStream::connect((host.as_str(), *port)).await?;
                tcp.set_nodelay(true)?;
                #[cfg(feature = "tls")]
                if let Some(tls) = &self.tls {
                    let stream = tls.handshake(host, tcp).await?;
                    return Ok(Stream(Inner::Tls(Box::new(stream))));
                }
                Ok(Stream(Inner::Tcp(tcp)))
            }
            #[cfg(unix)]
            Endpoint::Unix(path) => {
                if self.is_tls() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "TLS over a Unix socket is not supported: connect without TLS",
                    ));
                }
                Ok(Stream(Inner::Unix(
                    tokio::net::UnixStream::connect(path).await?,
                )))
            }
            #[cfg(not(unix))]
            Endpoint::Unix(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "Unix sockets need a Unix operating system",
            )),
        }
    }
}

/// A connected byte stream: TCP, Unix socket or TLS over TCP.
///
/// Reads and writes like any tokio stream; [`into_split`](Self::into_split) gives halves
/// for [`Ctx::read`](crate::Ctx::read) and [`Ctx::writer`](crate::Ctx::writer). TCP and Unix
/// halves are the sockets' own (no lock); TLS halves share the session.
pub struct Stream(Inner);

enum Inner {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    /// The TCP socket underneath (plain or TLS), e.g. to set keepalive; `None` for Unix
    /// sockets.
    pub fn tcp(&self) -> Option<&TcpStream> {
        match &self.0 {
            Inner::Tcp(tcp) => Some(tcp),
            #[cfg(unix)]
            Inner::Unix(_) => None,
            #[cfg(feature = "tls")]
            Inner::Tls(tls) => Some(tls.get_ref().0),
        }
    }

    /// Whether this stream is encrypted with TLS.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return matches!(self.0, Inner::Tls(_));
        #[cfg(not(feature = "tls"))]
        false
    }

    /// Splits the stream into a read half and a write half. Shutting the write half down
    /// (as the actor does on a graceful close) sends a FIN, or `close_notify` then a FIN.
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        halves::split(self.0)
    }
}

impl From<TcpStream> for Stream {
    fn from(tcp: TcpStream) -> Self {
        Stream(Inner::Tcp(tcp))
    }
}

#[cfg(unix)]
impl From<tokio::net::UnixStream> for Stream {
    fn from(unix: tokio::net::UnixStream) -> Self {
        Stream(Inner::Unix(unix))
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.0 {
            Inner::Tcp(_) => "tcp",
            #[cfg(unix)]
            Inner::Unix(_) => "unix",
            #[cfg(feature = "tls")]
            Inner::Tls(_) => "tls",
        };
        f.debug_struct("Stream").field("kind", &kind).finish()
    }
}

/// Delegates a poll method to whichever stream is inside.
macro_rules! each {
    ($inner:expr, $s:ident => $e:expr) => {
        match $inner {
            Inner::Tcp($s) => $e,
            #[cfg(unix)]
            Inner::Unix($s) => $e,
            #[cfg(feature = "tls")]
            Inner::Tls($s) => $e,
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(&mut self.get_mut().0, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(&mut self.get_mut().0, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(&mut self.get_mut().0, s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        each!(&self.0, s => s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(&mut self.get_mut().0, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(&mut self.get_mut().0, s => Pin::new(s).poll_shutdown(cx))
    }
}
