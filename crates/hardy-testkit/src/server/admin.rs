//! The fixture's own short-lived admin connections: raw commands and `CLIENT KILL`.
//!
//! Each call opens a fresh connection, so it works right after a restart and never shares a
//! socket with the code under test; `CLIENT KILL` skips the connection that sends it.

use std::io::{self, BufReader};
use std::net::{Shutdown, SocketAddr, TcpStream};
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

/// Sends one command on a fresh, authenticated connection and returns its reply.
pub(crate) fn command(
    addr: SocketAddr,
    auth: Option<&(Option<String>, String)>,
    args: &[&str],
) -> Result<Reply> {
    let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
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
fn close_and_wait(writer: TcpStream, mut reader: BufReader<TcpStream>) {
    if writer.shutdown(Shutdown::Write).is_ok() {
        // Ends at EOF, on error, or after IO_TIMEOUT; leftovers are not ours to read.
        let _ = io::copy(&mut reader, &mut io::sink());
    }
}

/// Closes every client connection of type `ty` except the admin connection itself.
pub(crate) fn client_kill(
    addr: SocketAddr,
    auth: Option<&(Option<String>, String)>,
    ty: ClientType,
) -> Result<u64> {
    let reply = command(addr, auth, &["CLIENT", "KILL", "TYPE", ty.as_str()])?;
    let killed = reply.as_integer().unwrap_or(0);
    Ok(u64::try_from(killed).unwrap_or(0))
}
