//! Small blocking RESP client helpers shared by the testkit's tests.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Generous bound for anything that should happen promptly.
pub const PROMPT: Duration = Duration::from_secs(10);
/// How long we wait to conclude that nothing arrives.
pub const SILENCE: Duration = Duration::from_millis(300);

/// A plain client connection with a read timeout.
pub struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        Client::from_stream(TcpStream::connect_timeout(&addr, PROMPT).expect("connect"))
    }

    pub fn from_stream(stream: TcpStream) -> Client {
        stream.set_read_timeout(Some(PROMPT)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Client { stream, reader }
    }

    pub fn send_ping(&mut self) {
        self.stream.write_all(b"*1\r\n$4\r\nPING\r\n").unwrap();
    }

    /// Reads one line with the given timeout; `Err(kind)` on timeout or error, `Ok("")` on EOF.
    pub fn read_line(&mut self, timeout: Duration) -> Result<String, ErrorKind> {
        self.stream.set_read_timeout(Some(timeout)).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).map_err(|e| e.kind())?;
        Ok(line)
    }

    pub fn ping(&mut self) -> String {
        self.send_ping();
        self.read_line(PROMPT).expect("PING reply")
    }

    /// Waits (bounded) for the peer to close the connection: true on EOF or reset, false
    /// if data arrives or nothing happens within [`PROMPT`].
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0; 1];
        self.stream.set_read_timeout(Some(PROMPT)).unwrap();
        match self.reader.read(&mut byte) {
            Ok(n) => n == 0,
            Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        }
    }
}

/// Waits (bounded) until `condition` holds, checking every few milliseconds.
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PROMPT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
