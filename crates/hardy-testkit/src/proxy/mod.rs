//! [`FaultProxy`]: a TCP proxy between a client under test and its server, whose link a
//! test can cut, slow down, black-hole or refuse.
//!
//! Killing the server tests only one failure; real networks also drop connections while
//! the server lives, add latency and silently stop delivering packets. The proxy runs on its
//! own thread with its own tokio runtime, so it keeps real time even when the test pauses
//! its clock, and its control methods are synchronous.

mod controls;
mod link;
mod serve;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::error::Result;
use controls::Controls;
use serve::Command;

/// A loopback TCP proxy in front of `upstream` with switchable faults.
///
/// ```no_run
/// use hardy_testkit::{FaultProxy, RedisServer};
///
/// let server = RedisServer::start()?;
/// let proxy = FaultProxy::start(server.addr())?;
/// // point the client under test at proxy.addr(), then:
/// proxy.cut(); // every open connection drops; reconnecting works
/// proxy.blackhole(true); // connections stay open, nothing arrives
/// # Ok::<(), hardy_testkit::Error>(())
/// ```
pub struct FaultProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    controls: Arc<Controls>,
    commands: mpsc::UnboundedSender<Command>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts forwarding from a free loopback port to `upstream`.
    pub fn start(upstream: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let controls = Arc::new(Controls::new());
        let (commands, command_rx) = mpsc::unbounded_channel();
        let serve_controls = controls.clone();
        let thread = thread::Builder::new()
            .name(format!("fault-proxy-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            serve::serve(listener, upstream, serve_controls, command_rx).await
                        }
                        Err(error) => eprintln!("fault proxy on {addr} could not start: {error}"),
                    }
                });
            })?;
        Ok(Self {
            addr,
            upstream,
            controls,
            commands,
            thread: Some(thread),
        })
    }

    /// Where clients connect to go through the proxy.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the proxy forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// Closes every current connection on both sides and returns once they are closed; new
    /// connections are still accepted.
    pub fn cut(&self) {
        let (done, closed) = std_mpsc::channel();
        if self.commands.send(Command::Cut(done)).is_ok() {
            // Err means the proxy thread is gone, so nothing is left open.
            let _ = closed.recv();
        }
    }

    /// Delays every forwarded chunk, in both directions, by `delay` (zero turns it off).
    pub fn set_delay(&self, delay: Duration) {
        self.controls.set_delay(delay);
    }

    /// While `true`, nothing is forwarded and nothing is closed: a half-open link, as when a
    /// peer vanishes without a FIN. Held data is delivered once set back to `false`.
    pub fn blackhole(&self, on: bool) {
        self.controls.set_blackhole(on);
    }

    /// While `true`, new connections are accepted and immediately closed (clients see EOF);
    /// existing ones are untouched.
    pub fn refuse(&self, on: bool) {
        self.controls.set_refuse(on);
    }

    /// How many proxied connections are open right now.
    pub fn connections(&self) -> usize {
        self.controls.connections()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.upstream)
            .field("connections", &self.connections())
            .finish()
    }
}
