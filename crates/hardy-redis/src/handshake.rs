//! Opening a link: TCP, TLS or Unix socket connect, then `HELLO 3` (or RESP2's `AUTH`),
//! `SELECT`, `CLIENT SETNAME`.
//!
//! Runs inside the connect future, before the link is handed to the actor, so a link is
//! never used half-configured. A Redis error here is a configuration problem (wrong
//! password, missing ACL permission, bad database): it is reported as
//! [`Error::Handshake`], which stops the actor instead of retrying forever. So is a TLS
//! certificate problem, reported as [`Error::Config`] with what to fix; a network error
//! during the TLS handshake is an [`Error::Io`], retried like any connect failure.

use std::time::Duration;

use bytes::BytesMut;
use hardy_connection::transport::{Connector, Endpoint, Stream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::Decoder;

use crate::config::{Config, Protocol};
use crate::resp::{Frame, RespDecoder, ServerError};
use crate::{cmd, Cmd, Error};

/// A configured link, ready for commands.
pub struct Link {
    pub(crate) stream: Stream,
    /// Bytes read past the last handshake reply (normally none).
    pub(crate) leftover: BytesMut,
    pub(crate) protocol: Protocol,
    /// The data node a Sentinel connection resolved to (`None` without Sentinel).
    pub(crate) node: Option<(String, u16)>,
    /// The server is still loading its dataset: it answered the handshake's `PING` with
    /// this `-LOADING` (only [`open`] hands over such a link).
    pub(crate) loading: Option<ServerError>,
}

impl Link {
    /// The link, or the `-LOADING` refusal for a user that cannot wait on a loading link
    /// (the Pub/Sub connection retries its connect instead).
    pub(crate) fn ready_now(mut self) -> Result<Link, Error> {
        match self.loading.take() {
            Some(error) => Err(loading_refusal(error)),
            None => Ok(self),
        }
    }
}

/// The handshake error for a server still loading its dataset.
fn loading_refusal(error: ServerError) -> Error {
    Error::Handshake {
        step: "PING",
        error,
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

/// A link during (or just after) its handshake: commands answered one at a time.
pub(crate) struct Handshake {
    stream: Stream,
    buf: BytesMut,
    decoder: RespDecoder,
    protocol: Protocol,
    /// The server answered `PING` with `-LOADING` (see [`Link::loading`]).
    loading: Option<ServerError>,
}

/// Connects to the configured server (asking the sentinels where it is, for a Sentinel
/// configuration) and runs the handshake.
///
/// `hint`: where a sentinel just announced the primary to be (`+switch-master`), tried
/// before asking the sentinels again.
///
/// A server still loading its dataset gives a link marked [`Link::loading`] (the data
/// connection waits on it); through Sentinel, it is refused like a node in the wrong role.
pub(crate) async fn open(config: &Config, hint: Option<(String, u16)>) -> Result<Link, Error> {
    config.validate()?;
    if let Some(group) = &config.sentinel {
        return crate::sentinel::open(config, group, hint).await;
    }
    Ok(handshake(config, config.endpoint()).await?.into_link(None))
}

/// Connects to `endpoint` and runs the handshake with `config`'s options; a server still
/// loading its dataset is refused (`Error::Handshake` with its `-LOADING`).
pub(crate) async fn session(config: &Config, endpoint: Endpoint) -> Result<Handshake, Error> {
    let mut hs = handshake(config, endpoint).await?;
    match hs.loading.take() {
        Some(error) => Err(loading_refusal(error)),
        None => Ok(hs),
    }
}

async fn handshake(config: &Config, endpoint: Endpoint) -> Result<Handshake, Error> {
    let connector = connector(config)?;
    run(config, &connector, endpoint)
        .await
        .map_err(|e| certificate_problem(config, e))
}

/// The transport's connector: plain, or TLS with the configured options (built once per
/// [`Tls`](hardy_connection::transport::Tls) value and shared by reconnects).
fn connector(config: &Config) -> Result<Connector, Error> {
    #[cfg(feature = "tls")]
    if let Some(tls) = &config.tls {
        return Connector::tls(tls).map_err(|e| Error::Config(e.to_string()));
    }
    let _ = config;
    Ok(Connector::plain())
}

/// A TLS error that retrying cannot fix becomes a configuration error saying what to
/// change; everything else is left as it is.
fn certificate_problem(config: &Config, error: Error) -> Error {
    #[cfg(feature = "tls")]
    if let Error::Io(io) = &error {
        if let Some(fix) = hardy_connection::transport::certificate_problem(io) {
            return Error::Config(format!("TLS with {}: {fix}", config.peer()));
        }
    }
    let _ = config;
    error
}

async fn run(
    config: &Config,
    connector: &Connector,
    endpoint: Endpoint,
) -> Result<Handshake, Error> {
    let stream = connector.connect(&endpoint).await?;
    if let (Some(idle), Some(tcp)) = (config.tcp_keepalive, stream.tcp()) {
        set_keepalive(tcp, idle)?;
    }
    let mut hs = Handshake {
        stream,
        buf: BytesMut::with_capacity(4096),
        decoder: RespDecoder::new(config.limits),
        protocol: Protocol::Resp2,
        loading: None,
    };
    let protocol = match config.protocol {
        Protocol::Resp3 => hs.hello(config).await?,
        Protocol::Resp2 => Protocol::Resp2,
    };
    if protocol == Protocol::Resp2 {
        hs.auth(config).await?;
        if let Some(name) = &config.client_name {
            hs.expect_ok(
                "CLIENT SETNAME",
                cmd("CLIENT").arg("SETNAME").arg(name.as_str()),
            )
            .await?;
        }
    }
    if config.database != 0 {
        hs.expect_ok("SELECT", cmd("SELECT").arg(config.database))
            .await?;
    }
    if config.cluster_readonly {
        // Per connection, so on every (re)connect: lets a cluster replica serve reads.
        hs.expect_ok("READONLY", cmd("READONLY")).await?;
    }
    hs.ready().await?;
    hs.protocol = protocol;
    Ok(hs)
}

impl Handshake {
    /// The configured link, for the connection actor.
    pub(crate) fn into_link(self, node: Option<(String, u16)>) -> Link {
        Link {
            stream: self.stream,
            leftover: self.buf,
            protocol: self.protocol,
            node,
            loading: self.loading,
        }
    }

    /// `HELLO 3 [AUTH user pass] [SETNAME name]`; RESP2 when the server does not know it.
    async fn hello(&mut self, config: &Config) -> Result<Protocol, Error> {
        let mut hello = cmd("HELLO").arg(3);
        if let Some(pass) = &config.password {
            let user = config.username.as_deref().unwrap_or("default");
            hello = hello.arg("AUTH").arg(user).arg(pass.expose());
        }
        if let Some(name) = &config.client_name {
            hello = hello.arg("SETNAME").arg(name.as_str());
        }
        match server_error(self.call(&hello).await?) {
            Ok(_) => Ok(Protocol::Resp3),
            Err(e) if e.code() == "NOPROTO" || contains(&e, "unknown command") => {
                tracing::debug!("the server does not speak RESP3: falling back to RESP2");
                Ok(Protocol::Resp2)
            }
            Err(error) => Err(Error::Handshake {
                step: "HELLO",
                error,
            }),
        }
    }

    /// `PING`, the one handshake step a server still loading its dataset refuses
    /// (`-LOADING`: `HELLO`, `AUTH`, `CLIENT SETNAME` and `SELECT` are allowed while it
    /// loads). Such a link would answer every request `-LOADING`: it is marked
    /// ([`Link::loading`]), and the data connection keeps requests off it until a `PING`
    /// on it succeeds (within `reconnect_wait`); other users refuse it.
    ///
    /// Only a momentary refusal (`LOADING`, `BUSY`, ...) fails the step: a user whose ACL
    /// does not allow `PING` (`NOPERM`) still gets its connection, as before this step
    /// existed.
    async fn ready(&mut self) -> Result<(), Error> {
        match server_error(self.call(&cmd("PING")).await?) {
            Err(error) if error.code() == "LOADING" => {
                self.loading = Some(error);
                Ok(())
            }
            Err(error) if crate::conn::busy(&error) => Err(Error::Handshake {
                step: "PING",
                error,
            }),
            Err(error) => {
                tracing::debug!(error = %error, "PING refused during the handshake: not a sign of loading, carrying on");
                Ok(())
            }
            Ok(_) => Ok(()),
        }
    }

    /// `AUTH [user] pass`, falling back to `AUTH pass` on servers without ACLs (< 6).
    async fn auth(&mut self, config: &Config) -> Result<(), Error> {
        let Some(pass) = &config.password else {
            return Ok(());
        };
        if let Some(user) = &config.username {
            let with_user = cmd("AUTH").arg(user.as_str()).arg(pass.expose());
            match server_error(self.call(&with_user).await?) {
                Ok(_) => return Ok(()),
                Err(e) if contains(&e, "wrong number of arguments") => {
                    tracing::debug!("the server has no ACL users: AUTH with the password only");
                }
                Err(error) => {
                    return Err(Error::Handshake {
                        step: "AUTH",
                        error,
                    })
                }
            }
        }
        self.expect_ok("AUTH", cmd("AUTH").arg(pass.expose())).await
    }

    async fn expect_ok(&mut self, step: &'static str, command: Cmd) -> Result<(), Error> {
        server_error(self.call(&command).await?)
            .map(drop)
            .map_err(|error| Error::Handshake { step, error })
    }

    /// Sends `command` and reads its reply.
    pub(crate) async fn call(&mut self, command: &Cmd) -> Result<Frame, Error> {
        self.send(command).await?;
        self.read_frame().await
    }

    /// Sends `command` without waiting for a reply.
    pub(crate) async fn send(&mut self, command: &Cmd) -> Result<(), Error> {
        let mut out = BytesMut::with_capacity(command.encoded_len());
        command.write_to(&mut out);
        self.stream.write_all(&out).await?;
        // TLS buffers what is written until it is flushed.
        self.stream.flush().await?;
        Ok(())
    }

    /// The next frame the server sends. Cancel-safe: a partial frame stays buffered.
    pub(crate) async fn read_frame(&mut self) -> Result<Frame, Error> {
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.buf)? {
                return Ok(frame);
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(Error::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "Redis closed the connection",
                )));
            }
        }
    }
}

/// TCP keepalive: probes after `idle` without traffic, then every sixth of that (at least
/// a second), so a vanished peer is noticed by the OS even when nothing is sent.
fn set_keepalive(stream: &tokio::net::TcpStream, idle: Duration) -> std::io::Result<()> {
    let keepalive = socket2::TcpKeepalive::new().with_time(idle);
    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
    let keepalive = keepalive.with_interval((idle / 6).max(Duration::from_secs(1)));
    socket2::SockRef::from(stream).set_tcp_keepalive(&keepalive)
}

fn server_error(frame: Frame) -> Result<Frame, ServerError> {
    if frame.is_error() {
        ServerError::from_frame(frame).map_or_else(Ok, Err)
    } else {
        Ok(frame)
    }
}

fn contains(e: &ServerError, needle: &str) -> bool {
    String::from_utf8_lossy(e.text())
        .to_ascii_lowercase()
        .contains(needle)
}
