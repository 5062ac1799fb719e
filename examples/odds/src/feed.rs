//! The feed client: a hardy-connection `Connection` that reads the odds feed.
//!
//! It connects to the feed over TCP, assembles messages with [`FeedDecoder`], and routes
//! each odds update to its match through the [`Matches`] registry. When the feed drops, the
//! `ConnectionActor` running it backs off and reconnects; the feed sends its fixtures again
//! on every connection. Malformed input is counted here (broken XML, unknown match); odds
//! out of range are the match worker's to judge.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use hardy_connection::backoff::Exponential;
use hardy_connection::{
    ConnectFuture, ConnectInfo, Connection, ConnectionActor, Ctx, Failure, Next, StateWatch,
};
use tokio::net::TcpStream;
use tokio_util::codec::FramedRead;

use crate::hub::Hub;
use crate::model::Fixture;
use crate::stats::Stats;
use crate::tree::Matches;
use crate::worker::Shared;
use crate::xml::{FeedDecoder, FeedItem};

/// The feed client as an actor.
pub type FeedActor = ConnectionActor<FeedClient>;

/// The first backoff delay after the feed drops, and its cap.
pub const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(3));

/// The protocol side of the feed connection; see the module docs.
pub struct FeedClient {
    addr: SocketAddr,
    matches: Matches,
    stats: Arc<Stats>,
    hub: Hub,
    fixtures: HashMap<u32, Fixture>,
}

impl FeedClient {
    /// A client of the feed at `addr`.
    pub fn new(addr: SocketAddr, matches: Matches, shared: Shared) -> Self {
        FeedClient {
            addr,
            matches,
            stats: shared.stats,
            hub: shared.hub,
            fixtures: HashMap::new(),
        }
    }

    /// The actor, publishing its state to `state`, backing off 100 ms ×2 up to 3 s.
    pub fn actor(self, state: StateWatch) -> FeedActor {
        ConnectionActor::builder(self)
            .name("feed")
            .backoff(Exponential::new(BACKOFF.0, 2.0, BACKOFF.1))
            .connect_timeout(Duration::from_secs(2))
            .with_state_watch(state)
            .build()
    }
}

impl Connection for FeedClient {
    type Transport = TcpStream;
    type Incoming = FeedItem;
    type Error = std::io::Error;

    fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
        let addr = self.addr;
        async move {
            let socket = TcpStream::connect(addr).await?;
            socket.set_nodelay(true)?;
            Ok(socket)
        }
        .boxed_local()
    }

    fn connected(&mut self, socket: TcpStream, cx: &mut Ctx<'_, Self>) {
        Stats::bump(&self.stats.feed_connects);
        cx.read(FramedRead::with_capacity(
            socket,
            FeedDecoder::default(),
            64 * 1024,
        ));
    }

    fn disconnect(&mut self, failure: Failure<std::io::Error>, _cx: &mut Ctx<'_, Self>) -> Next {
        tracing::info!(%failure, "feed dropped; reconnecting with backoff");
        Next::Backoff
    }

    fn incoming(&mut self, item: FeedItem, _cx: &mut Ctx<'_, Self>) {
        match item {
            FeedItem::Odds(msg) => {
                Stats::bump(&self.stats.received);
                match self.fixtures.get(&msg.match_id) {
                    Some(fixture) => self.matches.route(fixture, msg),
                    None => Stats::bump(&self.stats.unknown_match),
                }
            }
            FeedItem::Fixtures(list) => {
                self.fixtures = list.iter().map(|f| (f.id, f.clone())).collect();
                if self.hub.fixtures() != list {
                    self.hub.set_fixtures(list);
                }
            }
            FeedItem::Broken { reason } => {
                tracing::debug!(%reason, "broken message from the feed");
                Stats::bump(&self.stats.broken_xml);
            }
        }
    }
}
