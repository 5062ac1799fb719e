//! The fixture's own short-lived admin connections: raw commands and `CLIENT KILL`.
//!
//! Each call opens a fresh connection, so it works right after a restart and never shares a
//! socket with the code under test; `CLIENT KILL` skips the connection that sends it.

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Result;
use crate::resp::{self, Reply};

/// Longest a server may take to accept the admin connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest an admin command may take; generous so `DEBUG SLEEP` in tests fits.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// Kinds of client connection `CLIENT KILL TYPE` can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientType {
    /// Ordinary command connections.
    Normal,
    /// Connections subscribed to channels or patterns.
    PubSub,
    /// Replicas connected to this server.
    Replica,
    /// This server's connection to its own master.
    Master,
}

impl ClientType {
    fn as_str(self) -> &'static str {
        match self {
            ClientType::Normal => "normal",
            ClientType::PubSub => "pubsub",
            ClientType::Replica => "replica",
            ClientType::Master => "master",
        }
    }
}

/// Where the admin connection goes: the plaintext port, or the Unix socket of a server
/// whose port speaks TLS.
pub(crate) enum Target {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

/// A plaintext admin socket, TCP or Unix.
enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Socket {
    fn open(target: &Target) -> io::Result<Socket> {
        let socket = match target {
            Target::Tcp(addr) => Socket::Tcp(TcpStream::connect_timeout(addr, CONNECT_TIMEOUT)?),
            Target::Unix(path) => Socket::Unix(UnixStream::connect(path)?),
        };
        match &socket {
            Socket::Tcp(s) => {
                s.set_read_timeout(Some(IO_TIMEOUT))?;
                s.set_write_timeout(Some(IO_TIMEOUT))?;
            }
            Socket::Unix(s) => {
                s.set_read_timeout(Some(IO_TIMEOUT))?;
                s.set_write_timeout(Some(IO_TIMEOUT))?;
            }
        }
        Ok(socket)
    }

    fn try_clone(&self) -> io::Result<Socket> {
        Ok(match self {
            Socket::Tcp(s) => Socket::Tcp(s.try_clone()?),
            Socket::Unix(s) => Socket::Unix(s.try_clone()?),
        })
    }

    fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.shutdown(Shutdown::Write),
            Socket::Unix(s) => s.shutdown(Shutdown::Write),
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            Socket::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write(buf),
            Socket::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.flush(),
            Socket::Unix(s) => s.flush(),
        }
    }
}

/// Sends one command on a fresh, authenticated connection and returns its reply.
pub(crate) fn command(
    target: &Target,
    auth: Option<&(Option<String>, String)>,
    args: &[&str],
) -> Result<Reply> {
    let stream = Socket::open(target)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    if let Some((user, password)) = auth {
        match user {
            Some(user) => resp::write_command(&mut writer, &["AUTH", user, password])?,
            None => resp::write_command(&mut writer, &["AUTH", password])?,
        }
        resp::read_reply(&mut reader)?;
    }
    resp::write_command(&mut writer, args)?;
    let reply = resp::read_reply(&mut reader)?;
    close_and_wait(writer, reader);
    Ok(reply)
}

/// Half-closes and waits for the server to close its side, so the server has forgotten this
/// connection before we return: a following `CLIENT KILL` or `CLIENT LIST` cannot see it.
fn close_and_wait(writer: Socket, mut reader: BufReader<Socket>) {
    if writer.shutdown_write().is_ok() {
        // Ends at EOF, on error, or after IO_TIMEOUT; leftovers are not ours to read.
        let _ = io::copy(&mut reader, &mut io::sink());
    }
}

/// Closes every client connection of type `ty` except the admin connection itself.
pub(crate) fn client_kill(
    target: &Target,
    auth: Option<&(Option<String>, String)>,
    ty: ClientType,
) -> Result<u64> {
    let reply = command(target, auth, &["CLIENT", "KILL", "TYPE", ty.as_str()])?;
    let killed = reply.as_integer().unwrap_or(0);
    Ok(u64::try_from(killed).unwrap_or(0))
}
