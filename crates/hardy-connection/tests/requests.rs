//! The request/reply layer: `Ctx::request`, the link's pending queue, `Client`, and the
//! control messages, with a line protocol that is nothing but its protocol.

mod support;

use std::time::Duration;

use hardy_connection::prelude::*;
use support::{closed_port, wait_connected, wait_stopped, LineServer, Mode, Scripted};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A line client: a request is a line, its reply the next line.
struct Lines(std::net::SocketAddr);

impl Connection for Lines {
    type Transport = TcpStream;
    type Incoming = String;
    type Error = LinesCodecError;

    fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
        let addr = self.0;
        async move { Ok(TcpStream::connect(addr).await?) }.boxed_local()
    }

    fn connected(&mut self, socket: TcpStream, cx: &mut Ctx<'_, Self>) {
        let (read, write) = socket.into_split();
        cx.read(FramedRead::new(read, LinesCodec::new()));
        cx.writer(write);
    }

    fn health_check(&mut self, cx: &mut Ctx<'_, Self>) -> Option<ProbeFuture<Self>> {
        cx.probe(
            |buf| buf.extend_from_slice(b"PING\n"),
            |reply| {
                assert_eq!(reply, "PONG", "the probe got another caller's reply");
                Ok(())
            },
        )
    }
}

struct Ask(&'static str);
impl Message for Ask {
    type Result = Result<String, RequestError>;
}
impl Handle<Ask> for Lines {
    type Result = Request<Self, Ask>;
    fn handle(&mut self, Ask(line): Ask, cx: &mut Ctx<'_, Self>) -> Request<Self, Ask> {
        cx.request(
            |buf| buf.extend_from_slice(format!("{line}\n").as_bytes()),
            Ok,
        )
    }
}

fn lines(addr: std::net::SocketAddr) -> Builder<Lines> {
    ConnectionActor::builder(Lines(addr))
        .no_connect_timeout()
        .backoff(Constant(Duration::from_millis(100)))
}

#[actix_rt::test]
async fn concurrent_requests_each_get_their_own_reply() {
    let server = LineServer::start(Mode::Echo).await;
    let client = lines(server.addr).start_client();
    let words = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let replies = futures::future::join_all(words.iter().map(|w| client.call(Ask(w)))).await;
    let replies: Vec<String> = replies.into_iter().map(Result::unwrap).collect();
    assert_eq!(replies, words);
}

#[actix_rt::test]
async fn a_request_while_disconnected_fails_at_once_with_not_connected() {
    let client = lines(closed_port()).start_client();
    let watch = client.state_watch().unwrap().clone();
    watch
        .wait_for(|s| matches!(s, ConnState::Backoff { .. }))
        .await;
    assert_eq!(
        client.call(Ask("hi")).await,
        Err(RequestError::NotConnected)
    );
}

#[actix_rt::test]
async fn requests_in_flight_when_the_link_drops_get_disconnected() {
    let server = LineServer::start(Mode::Silent).await;
    let client = lines(server.addr).start_client();
    let watch = client.state_watch().unwrap().clone();
    wait_connected(&watch).await;
    let waiting = futures::future::join(client.call(Ask("one")), client.call(Ask("two")));
    let kick = async {
        tokio::task::yield_now().await;
        server.kick_all();
    };
    let ((one, two), ()) = futures::future::join(waiting, kick).await;
    for outcome in [one, two] {
        assert!(
            matches!(outcome, Err(RequestError::Disconnected(_))),
            "{outcome:?}"
        );
    }
}

#[actix_rt::test]
async fn a_request_past_its_timeout_gets_timeout_and_its_late_reply_reaches_nobody() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    actix_rt::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut read = BufReader::new(read).lines();
        let first = read.next_line().await.unwrap().unwrap();
        let _ = released.await;
        write
            .write_all(format!("{first}\n").as_bytes())
            .await
            .unwrap();
        while let Ok(Some(line)) = read.next_line().await {
            write
                .write_all(format!("{line}\n").as_bytes())
                .await
                .unwrap();
        }
    });
    let builder = lines(addr).request_timeout(Duration::from_secs(1));
    let watch = builder.state_watch();
    let client = builder.start_client();
    wait_connected(&watch).await;
    tokio::time::pause();
    let slow = client.call(Ask("slow"));
    assert_eq!(
        slow.await,
        Err(RequestError::Timeout(Duration::from_secs(1)))
    );
    release.send(()).unwrap();
    assert_eq!(client.call(Ask("next")).await.as_deref(), Ok("next"));
    assert_eq!(watch.get(), ConnState::Connected);
}

#[actix_rt::test]
async fn a_reply_nobody_asked_for_drops_the_link() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    actix_rt::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        socket.write_all(b"surprise\n").await.unwrap();
        let _ = listener.accept().await;
    });
    let builder = lines(addr);
    let watch = builder.state_watch();
    let mut changes = watch.changes();
    let _client = builder.start_client();
    support::next_change(&mut changes, ConnState::is_connected).await;
    support::next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
}

#[actix_rt::test]
async fn dropping_the_last_client_stops_the_connection() {
    let server = LineServer::start(Mode::Echo).await;
    let client = lines(server.addr).start_client();
    let watch = client.state_watch().unwrap().clone();
    let other = client.clone();
    assert_eq!(client.call(Ask("hi")).await.as_deref(), Ok("hi"));
    drop(client);
    assert_eq!(other.call(Ask("still")).await.as_deref(), Ok("still"));
    drop(other);
    assert_eq!(wait_stopped(&watch).await, ExitReason::Shutdown);
}

#[actix_rt::test]
async fn a_call_to_a_stopped_connection_answers_stopped() {
    let server = LineServer::start(Mode::Echo).await;
    let client = lines(server.addr).start_client();
    let watch = client.state_watch().unwrap().clone();
    client.stop();
    wait_stopped(&watch).await;
    assert!(matches!(
        client.call(Ask("late")).await,
        Err(RequestError::Stopped(_))
    ));
}

#[actix_rt::test]
async fn stop_stops_any_connection_with_its_reason() {
    let server = LineServer::start(Mode::Echo).await;
    let (addr, watch) = support::start(Scripted::new(server.addr).builder());
    wait_connected(&watch).await;
    addr.do_send(Stop(ExitReason::ShutdownWith("maintenance".into())));
    assert_eq!(
        wait_stopped(&watch).await,
        ExitReason::ShutdownWith("maintenance".into())
    );
}

#[actix_rt::test]
async fn reconnect_drops_the_link_and_connects_again_at_once() {
    let server = LineServer::start(Mode::Echo).await;
    let conn = Scripted::new(server.addr);
    let log = conn.log.clone();
    let (addr, watch) = support::start(conn.builder().backoff(Constant(Duration::from_secs(60))));
    wait_connected(&watch).await;
    let mut changes = watch.changes();
    addr.send(Reconnect).await.unwrap();
    support::next_change(&mut changes, ConnState::is_connected).await;
    assert_eq!(server.accepted(), 2);
    assert!(support::events(&log).contains(&"disconnect requested".to_string()));
}

#[test]
fn a_connection_that_is_not_send_starts_on_another_arbiter() {
    let system = actix::System::new();
    system.block_on(async {
        let server = LineServer::start(Mode::Echo).await;
        let arbiter = actix::Arbiter::new();
        let target = server.addr;
        let watch = StateWatch::new();
        let shared = watch.clone();
        // `Scripted` holds `Rc`s: only the factory crosses to the other arbiter.
        let addr = Builder::start_on(&arbiter.handle(), move || {
            Scripted::new(target).builder().with_state_watch(shared)
        });
        wait_connected(&watch).await;
        assert_eq!(addr.send(support::Ping(1)).await.unwrap(), (1, true));
        arbiter.stop();
    });
}

#[actix_rt::test]
async fn probe_requests_take_their_turn_among_the_callers() {
    // Real time: a paused clock would jump past the probe deadline during real I/O.
    let server = LineServer::start(Mode::Echo).await;
    let builder = lines(server.addr).health_check(Duration::from_millis(1), Duration::from_secs(5));
    let watch = builder.state_watch();
    let client = builder.start_client();
    wait_connected(&watch).await;
    let mut changes = watch.changes();
    let words: Vec<&'static str> = (0..50).map(|i| ["x", "y", "z", "w", "v"][i % 5]).collect();
    for _ in 0..20 {
        let replies = futures::future::join_all(words.iter().map(|w| client.call(Ask(w)))).await;
        let replies: Vec<String> = replies.into_iter().map(Result::unwrap).collect();
        assert_eq!(replies, words);
        tokio::task::yield_now().await;
    }
    assert!(changes.try_recv().is_err(), "the link stayed up");
    assert_eq!(server.accepted(), 1);
}

#[actix_rt::test]
async fn a_probe_request_without_a_reply_drops_the_link() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Silent).await;
    let builder = lines(server.addr)
        .health_check(Duration::from_secs(1), Duration::from_millis(500))
        .backoff(Constant(Duration::from_secs(60)));
    let watch = builder.state_watch();
    let mut changes = watch.changes();
    let _client = builder.start_client();
    support::next_change(&mut changes, ConnState::is_connected).await;
    support::next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
}

/// A waiter whose late reply cannot be skipped: its timeout must drop the link.
struct Unskippable(Option<tokio::sync::oneshot::Sender<Result<String, RequestError>>>);

impl Waiter<String> for Unskippable {
    fn take(&mut self, item: String) -> bool {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(Ok(item));
        }
        true
    }
    fn fail(&mut self, error: RequestError) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(Err(error));
        }
    }
    fn drop_link_on_timeout(&self) -> bool {
        true
    }
}

struct AskUnskippable;
impl Message for AskUnskippable {
    type Result =
        Result<tokio::sync::oneshot::Receiver<Result<String, RequestError>>, RequestError>;
}
impl Handle<AskUnskippable> for Lines {
    type Result = MessageResult<AskUnskippable>;
    fn handle(
        &mut self,
        _: AskUnskippable,
        cx: &mut Ctx<'_, Self>,
    ) -> MessageResult<AskUnskippable> {
        let Some(writer) = cx.link_writer() else {
            return MessageResult(Err(RequestError::NotConnected));
        };
        writer.write(b"mode switch\n");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let pending = cx.pending();
        pending.push(
            Unskippable(Some(tx)),
            Some(Duration::from_secs(1)),
            cx.context(),
        );
        MessageResult(Ok(rx))
    }
}

#[actix_rt::test]
async fn a_waiter_that_cannot_be_skipped_drops_the_link_when_it_times_out() {
    let server = LineServer::start(Mode::Silent).await;
    let builder = lines(server.addr).backoff(Constant(Duration::from_secs(60)));
    let watch = builder.state_watch();
    let client = builder.start_client();
    wait_connected(&watch).await;
    let mut changes = watch.changes();
    tokio::time::pause();
    let reply = client.addr().send(AskUnskippable).await.unwrap().unwrap();
    assert_eq!(
        reply.await.unwrap(),
        Err(RequestError::Timeout(Duration::from_secs(1)))
    );
    support::next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
}

#[actix_rt::test]
async fn requests_that_keep_timing_out_drop_the_link() {
    let server = LineServer::start(Mode::Silent).await;
    let builder = lines(server.addr)
        .request_timeout(Duration::from_secs(1))
        .max_consecutive_timeouts(3)
        .backoff(Constant(Duration::from_secs(60)));
    let watch = builder.state_watch();
    let client = builder.start_client();
    wait_connected(&watch).await;
    tokio::time::pause();
    let two = futures::future::join(client.call(Ask("one")), client.call(Ask("two"))).await;
    assert_eq!(two.0, Err(RequestError::Timeout(Duration::from_secs(1))));
    assert_eq!(two.1, Err(RequestError::Timeout(Duration::from_secs(1))));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        watch.get(),
        ConnState::Connected,
        "two timeouts are not three"
    );
    let mut changes = watch.changes();
    let third = client.call(Ask("three")).await;
    assert_eq!(third, Err(RequestError::Timeout(Duration::from_secs(1))));
    support::next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
}

/// A waiter answering through a channel of its own.
struct Patient(Option<tokio::sync::oneshot::Sender<Result<String, RequestError>>>);

impl Waiter<String> for Patient {
    fn take(&mut self, item: String) -> bool {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(Ok(item));
        }
        true
    }
    fn fail(&mut self, error: RequestError) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(Err(error));
        }
    }
}

/// A request whose time started `waited` before it was written, with a timeout of 10 s.
struct AskLate {
    waited: Duration,
}
impl Message for AskLate {
    type Result =
        Result<tokio::sync::oneshot::Receiver<Result<String, RequestError>>, RequestError>;
}
impl Handle<AskLate> for Lines {
    type Result = MessageResult<AskLate>;
    fn handle(&mut self, msg: AskLate, cx: &mut Ctx<'_, Self>) -> MessageResult<AskLate> {
        let Some(writer) = cx.link_writer() else {
            return MessageResult(Err(RequestError::NotConnected));
        };
        writer.write(b"late\n");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let limit = Duration::from_secs(10);
        let deadline = tokio::time::Instant::now() + limit - msg.waited;
        let pending = cx.pending();
        pending.push_until(Patient(Some(tx)), deadline, limit, cx.context());
        MessageResult(Ok(rx))
    }
}

#[actix_rt::test]
async fn a_request_pushed_until_a_deadline_times_out_at_that_deadline() {
    let server = LineServer::start(Mode::Silent).await;
    let builder = lines(server.addr);
    let watch = builder.state_watch();
    let client = builder.start_client();
    wait_connected(&watch).await;
    tokio::time::pause();
    let started = tokio::time::Instant::now();
    let reply = client
        .addr()
        .send(AskLate {
            waited: Duration::from_secs(7),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        reply.await.unwrap(),
        Err(RequestError::Timeout(Duration::from_secs(10)))
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(watch.get(), ConnState::Connected);
}
