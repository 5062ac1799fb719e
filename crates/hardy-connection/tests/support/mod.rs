//! A line protocol whose every answer a test can script, and a line server it talks to.
#![allow(dead_code)]

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use actix::{Addr, Message, MessageResult};
use futures::{FutureExt, SinkExt, StreamExt};
use hardy_connection::backoff::{Constant, Exponential, Jitter};
use hardy_connection::{
    Builder, ConnState, ConnectFuture, ConnectInfo, Connection, ConnectionActor, Ctx, Failure,
    Handle, LinkWriter, Next, ProbeFuture, StateWatch,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, oneshot};
use tokio_util::codec::{Framed, FramedRead, LinesCodec, LinesCodecError};

pub type Log = Rc<RefCell<Vec<String>>>;
type Answer<T> = Box<dyn FnMut(T) -> Next>;

/// A connection whose callbacks log what happened and answer what the test scripted.
pub struct Scripted {
    pub addr: SocketAddr,
    pub log: Log,
    pub on_init: Box<dyn FnMut() -> Next>,
    pub on_connect: Box<dyn FnMut(ConnectInfo) -> Option<ConnectFuture<Scripted>>>,
    pub on_connect_failed: Answer<String>,
    pub on_disconnect: Answer<String>,
    pub writer: Option<LinkWriter>,
    /// A clone of the writer that `disconnect` does not clear, to see a stale one.
    pub kept_writer: Option<LinkWriter>,
    pub pending_pings: Vec<oneshot::Sender<()>>,
}

impl Scripted {
    pub fn new(addr: SocketAddr) -> Self {
        Scripted {
            addr,
            log: Log::default(),
            on_init: Box::new(|| Next::Connect),
            on_connect: Box::new(|_| None),
            on_connect_failed: Box::new(|_| Next::Backoff),
            on_disconnect: Box::new(|_| Next::Backoff),
            writer: None,
            kept_writer: None,
            pending_pings: Vec::new(),
        }
    }

    /// The builder tests use: no jitter, and no connect timeout (a timer that would fire
    /// whenever a paused clock auto-advances during real I/O).
    pub fn builder(self) -> Builder<Scripted> {
        ConnectionActor::builder(self)
            .backoff(Constant(Duration::from_millis(100)))
            .no_connect_timeout()
    }

    fn note(&self, event: String) {
        self.log.borrow_mut().push(event);
    }
}

impl Connection for Scripted {
    type Transport = TcpStream;
    type Incoming = String;
    type Error = LinesCodecError;

    fn init(&mut self, _cx: &mut Ctx<'_, Self>) -> Next {
        self.note("init".into());
        (self.on_init)()
    }

    fn connect(&mut self, info: ConnectInfo) -> ConnectFuture<Self> {
        self.note(format!("connect {:?} {}", info.cause, info.attempt));
        if let Some(fut) = (self.on_connect)(info) {
            return fut;
        }
        let addr = self.addr;
        async move { Ok(TcpStream::connect(addr).await?) }.boxed_local()
    }

    fn connected(&mut self, socket: TcpStream, cx: &mut Ctx<'_, Self>) {
        self.note("connected".into());
        let (read, write) = socket.into_split();
        cx.read(FramedRead::new(read, LinesCodec::new()));
        let writer = cx.writer(write);
        self.kept_writer = Some(writer.clone());
        self.writer = Some(writer);
    }

    fn connect_failed(&mut self, failure: Failure<Self::Error>, _info: ConnectInfo) -> Next {
        let text = failure.to_string();
        self.note(format!("connect_failed {text}"));
        (self.on_connect_failed)(text)
    }

    fn disconnect(&mut self, failure: Failure<Self::Error>, _cx: &mut Ctx<'_, Self>) -> Next {
        let text = match &failure {
            Failure::Closed => "closed".to_string(),
            Failure::HealthCheckTimeout(_) => "health_check_timeout".to_string(),
            Failure::Requested => "requested".to_string(),
            other => other.to_string(),
        };
        self.writer = None;
        self.pending_pings.clear();
        self.note(format!("disconnect {text}"));
        (self.on_disconnect)(text)
    }

    fn incoming(&mut self, line: String, _cx: &mut Ctx<'_, Self>) {
        if line == "PONG" {
            self.note("pong".into());
            if !self.pending_pings.is_empty() {
                let _ = self.pending_pings.remove(0).send(());
            }
            return;
        }
        self.note(format!("incoming {line}"));
    }

    fn health_check(&mut self, _cx: &mut Ctx<'_, Self>) -> Option<ProbeFuture<Self>> {
        let writer = self.writer.as_ref()?;
        writer.write(b"PING\n");
        let (tx, rx) = oneshot::channel();
        self.pending_pings.push(tx);
        Some(
            async move {
                rx.await
                    .map_err(|_| LinesCodecError::Io(std::io::ErrorKind::BrokenPipe.into()))
            }
            .boxed_local(),
        )
    }

    fn stopped(&mut self, reason: &hardy_connection::ExitReason) {
        self.note(format!("stopped {reason}"));
    }
}

/// A request: answers its number and whether the link was up when it was handled.
pub struct Ping(pub u32);
impl Message for Ping {
    type Result = (u32, bool);
}
impl Handle<Ping> for Scripted {
    type Result = MessageResult<Ping>;
    fn handle(&mut self, Ping(n): Ping, cx: &mut Ctx<'_, Self>) -> MessageResult<Ping> {
        self.note(format!("ping {n} connected={}", cx.is_connected()));
        MessageResult((n, cx.is_connected()))
    }
}

/// Asks to connect (Elixir: handler answers `connect`), replying "ok".
pub struct ConnectNow;
impl Message for ConnectNow {
    type Result = &'static str;
}
impl Handle<ConnectNow> for Scripted {
    type Result = MessageResult<ConnectNow>;
    fn handle(&mut self, _: ConnectNow, cx: &mut Ctx<'_, Self>) -> MessageResult<ConnectNow> {
        self.note("handler connect".into());
        cx.connect();
        MessageResult("ok")
    }
}

/// Asks to disconnect, replying "bye" (Elixir: handler answers `disconnect` with a reply).
pub struct DisconnectNow;
impl Message for DisconnectNow {
    type Result = &'static str;
}
impl Handle<DisconnectNow> for Scripted {
    type Result = MessageResult<DisconnectNow>;
    fn handle(&mut self, _: DisconnectNow, cx: &mut Ctx<'_, Self>) -> MessageResult<DisconnectNow> {
        self.note(format!(
            "handler disconnect connected={}",
            cx.is_connected()
        ));
        cx.disconnect(Failure::Requested);
        MessageResult("bye")
    }
}

/// Asks to disconnect without a reply of its own (the message returns nothing).
pub struct DropLink;
impl Message for DropLink {
    type Result = ();
}
impl Handle<DropLink> for Scripted {
    type Result = ();
    fn handle(&mut self, _: DropLink, cx: &mut Ctx<'_, Self>) {
        cx.disconnect(Failure::Requested);
    }
}

/// Writes a line to the link.
pub struct Say(pub &'static str);
impl Message for Say {
    type Result = bool;
}
impl Handle<Say> for Scripted {
    type Result = bool;
    fn handle(&mut self, Say(line): Say, _cx: &mut Ctx<'_, Self>) -> bool {
        match &self.writer {
            Some(w) => {
                w.write(line.as_bytes());
                w.write(b"\n");
                true
            }
            None => false,
        }
    }
}

/// How the line server treats its clients.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Echo every line back ("PING" is answered "PONG").
    Echo,
    /// Read but never answer (a half-open link, seen from the client).
    Silent,
    /// Accept, then close at once (a flapping peer).
    Hangup,
}

/// A line server on a loopback port, run as a task of the test's runtime.
pub struct LineServer {
    pub addr: SocketAddr,
    kick: broadcast::Sender<()>,
    accepted: Rc<RefCell<u32>>,
    stop: Option<oneshot::Sender<()>>,
}

impl LineServer {
    pub async fn start(mode: Mode) -> LineServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::serve(listener, mode)
    }

    /// Serves on `addr` again (after `stop`), e.g. a restarted server.
    pub async fn restart_on(addr: SocketAddr, mode: Mode) -> LineServer {
        let listener = TcpListener::bind(addr).await.expect("rebind");
        Self::serve(listener, mode)
    }

    fn serve(listener: TcpListener, mode: Mode) -> LineServer {
        let addr = listener.local_addr().expect("local addr");
        let (kick, _) = broadcast::channel(4);
        let accepted = Rc::new(RefCell::new(0));
        let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
        let kick2 = kick.clone();
        let accepted2 = accepted.clone();
        actix_rt::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stop_rx => return,
                    conn = listener.accept() => {
                        let Ok((socket, _)) = conn else { return };
                        *accepted2.borrow_mut() += 1;
                        if mode == Mode::Hangup {
                            drop(socket);
                            continue;
                        }
                        let mut kicked = kick2.subscribe();
                        actix_rt::spawn(async move {
                            let mut framed = Framed::new(socket, LinesCodec::new());
                            loop {
                                tokio::select! {
                                    _ = kicked.recv() => return,
                                    line = framed.next() => {
                                        let Some(Ok(line)) = line else { return };
                                        if mode == Mode::Echo {
                                            let reply = if line == "PING" { "PONG".to_string() } else { line };
                                            if framed.send(reply).await.is_err() { return; }
                                        }
                                    }
                                }
                            }
                        });
                    }
                }
            }
        });
        LineServer {
            addr,
            kick,
            accepted,
            stop: Some(stop_tx),
        }
    }

    /// Closes every client connection (the listener keeps accepting).
    pub fn kick_all(&self) {
        let _ = self.kick.send(());
    }

    /// Stops listening and closes every client connection.
    pub fn stop(mut self) {
        self.kick_all();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    pub fn accepted(&self) -> u32 {
        *self.accepted.borrow()
    }
}

/// A loopback address with nothing listening (connects are refused).
pub fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

/// Starts `conn` and returns its address and state handle.
pub fn start(builder: Builder<Scripted>) -> (Addr<ConnectionActor<Scripted>>, StateWatch) {
    let watch = builder.state_watch();
    (builder.start(), watch)
}

pub async fn wait_connected(watch: &StateWatch) {
    watch.wait_for(ConnState::is_connected).await;
}

pub async fn wait_stopped(watch: &StateWatch) -> hardy_connection::ExitReason {
    match watch.wait_for(|s| matches!(s, ConnState::Stopped(_))).await {
        ConnState::Stopped(reason) => reason,
        _ => unreachable!(),
    }
}

pub fn exponential(initial_ms: u64, factor: f64, max_ms: u64) -> Exponential {
    Exponential::new(
        Duration::from_millis(initial_ms),
        factor,
        Duration::from_millis(max_ms),
    )
    .jitter(Jitter::None)
}

pub fn events(log: &Log) -> Vec<String> {
    log.borrow().clone()
}

/// Waits until the log holds `event`. Driven by the actor's own progress: each check
/// yields until the state or log changes, bounded by a count, not by time.
pub async fn wait_for_event(log: &Log, event: &str) {
    wait_for_events(log, event, 1).await
}

/// Waits until the log holds `event` at least `count` times.
pub async fn wait_for_events(log: &Log, event: &str, count: usize) {
    for _ in 0..1_000_000 {
        if log.borrow().iter().filter(|e| *e == event).count() >= count {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("never saw {count}× {event:?}: {:?}", log.borrow());
}

/// Waits for the next transition matching `pred` in a stream from `StateWatch::changes`
/// (subscribed before the fault, so a transient state cannot be missed).
pub async fn next_change(
    changes: &mut broadcast::Receiver<ConnState>,
    mut pred: impl FnMut(&ConnState) -> bool,
) -> ConnState {
    loop {
        let state = changes.recv().await.expect("state stream open");
        if pred(&state) {
            return state;
        }
    }
}

/// Whether the writer of the first link, kept past it, still says it is open.
pub struct KeptWriterOpen;
impl Message for KeptWriterOpen {
    type Result = Option<bool>;
}
impl Handle<KeptWriterOpen> for Scripted {
    type Result = Option<bool>;
    fn handle(&mut self, _: KeptWriterOpen, _cx: &mut Ctx<'_, Self>) -> Option<bool> {
        self.kept_writer
            .as_ref()
            .map(|w| w.is_open() && w.write(b"late\n"))
    }
}
