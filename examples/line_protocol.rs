//! A custom protocol on hardy's `Connection`: a line-based TCP client that reconnects by
//! itself.
//!
//! The first half is everything a protocol needs to write: how to connect, what to do with
//! the socket, and how to encode a request. Matching replies to callers, failing them when
//! the link drops, and answering `NotConnected` while it is down come with `Ctx::request`. The second half is the demo: it starts a tiny uppercasing line server, kills it,
//! watches the client back off, restarts the server on the same port and watches the client
//! come back.
//!
//! ```text
//! cargo run -p hardy --example line_protocol
//! RUST_LOG=hardy_connection=debug cargo run -p hardy --example line_protocol   # + tracing
//! ```

use std::error::Error;
use std::net::SocketAddr;
use std::time::Duration;

use hardy::connection::prelude::*;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::codec::Framed;

// ---------------------------------------------------------------------------------------
// The protocol: one request line, one answer line, answers in request order.
// ---------------------------------------------------------------------------------------

/// A line client. The actor around it owns the reconnection and matches answers to
/// callers; this owns the protocol.
struct LineClient {
    addr: SocketAddr,
}

impl Connection for LineClient {
    type Transport = TcpStream;
    type Incoming = String;
    type Error = LinesCodecError;

    fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
        let addr = self.addr; // the future must not borrow `self`
        async move { Ok(TcpStream::connect(addr).await?) }.boxed_local()
    }

    fn connected(&mut self, socket: TcpStream, cx: &mut Ctx<'_, Self>) {
        let (read, write) = socket.into_split();
        cx.read(FramedRead::new(read, LinesCodec::new())); // each line answers a caller
        cx.writer(write);
    }

    fn disconnect(&mut self, failure: Failure<Self::Error>, _cx: &mut Ctx<'_, Self>) -> Next {
        println!("  link down: {failure}"); // callers in flight already got `Disconnected`
        Next::Backoff
    }
}

/// A request: send one line, get the server's answer.
struct Ask(String);

impl Message for Ask {
    type Result = Result<String, RequestError>;
}

impl Handle<Ask> for LineClient {
    type Result = Request<Self, Ask>;

    fn handle(&mut self, Ask(line): Ask, cx: &mut Ctx<'_, Self>) -> Request<Self, Ask> {
        cx.request(
            |buf| buf.extend_from_slice(format!("{line}\n").as_bytes()),
            Ok,
        )
    }
}

// ---------------------------------------------------------------------------------------
// The demo.
// ---------------------------------------------------------------------------------------

type Res<T = ()> = Result<T, Box<dyn Error>>;

#[actix_rt::main]
async fn main() -> Res {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut server = serve(listener);
    println!("line server listening on {addr}");

    let builder = ConnectionActor::builder(LineClient { addr })
        .name("line-demo")
        .backoff(Exponential::new(ms(100), 2.0, ms(1000)).jitter(Jitter::None));
    let watch = builder.state_watch();
    let mut changes = watch.changes(); // subscribe before starting: see every transition
    let client = builder.start_client();

    print_changes_until(&mut changes, ConnState::is_connected).await?;
    let hello = client.call(Ask("hello".into())).await;
    println!("ask \"hello\" -> {hello:?}");

    println!("-- killing the server (stop listening, close every connection)");
    server.abort();
    let _ = (&mut server).await; // the listener and its sockets are closed once this returns
    print_changes_until(&mut changes, |s| matches!(s, ConnState::Backoff { .. })).await?;
    let down = client.call(Ask("anyone there?".into())).await;
    println!("ask \"anyone there?\" while down -> {down:?}");
    print_changes_until(&mut changes, |s| {
        matches!(s, ConnState::Backoff { attempt: 3, .. })
    })
    .await?;

    println!("-- restarting the server on {addr}");
    let server = serve(TcpListener::bind(addr).await?);
    print_changes_until(&mut changes, ConnState::is_connected).await?;
    let back = client.call(Ask("back again".into())).await;
    println!("ask \"back again\" -> {back:?}");

    server.abort();
    println!("done; final state: {}", watch.get());
    Ok(())
}

/// Prints every state transition until one satisfies `until`; gives up after 5 s so the
/// demo always ends.
async fn print_changes_until(
    changes: &mut broadcast::Receiver<ConnState>,
    until: impl Fn(&ConnState) -> bool,
) -> Res {
    let follow = async {
        loop {
            let state = changes.recv().await?;
            println!("  state: {state}");
            if until(&state) {
                return Res::Ok(());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), follow).await?
}

/// The line server: answers every line with the same line in upper case. Aborting the
/// returned task stops listening and closes every connection (they live in its `JoinSet`).
fn serve(listener: TcpListener) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut connections = JoinSet::new();
        while let Ok((socket, _)) = listener.accept().await {
            connections.spawn(async move {
                let mut lines = Framed::new(socket, LinesCodec::new());
                while let Some(Ok(line)) = lines.next().await {
                    if lines.send(line.to_uppercase()).await.is_err() {
                        break;
                    }
                }
            });
        }
    })
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
