//! The driver's own bookkeeping, which only the crate can see: what a long-lived link
//! accumulates.

use std::time::Duration;

use actix::{Message, MessageResult};
use futures::FutureExt;
use tokio::io::DuplexStream;

use crate::{ConnectFuture, ConnectInfo, Connection, ConnectionActor, Ctx, Handle, ProbeFuture};

/// A link over an in-memory pipe whose probe always answers at once.
#[derive(Default)]
struct Piped {
    peers: Vec<DuplexStream>,
}

impl Connection for Piped {
    type Transport = DuplexStream;
    type Incoming = bytes::BytesMut;
    type Error = std::io::Error;

    fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
        let (ours, theirs) = tokio::io::duplex(64);
        self.peers.push(theirs);
        async move { Ok(ours) }.boxed_local()
    }

    fn connected(&mut self, link: DuplexStream, cx: &mut Ctx<'_, Self>) {
        let (read, write) = tokio::io::split(link);
        cx.read(tokio_util::codec::FramedRead::new(
            read,
            tokio_util::codec::BytesCodec::new(),
        ));
        cx.writer(write);
    }

    fn health_check(&mut self, _cx: &mut Ctx<'_, Self>) -> Option<ProbeFuture<Self>> {
        Some(async { Ok(()) }.boxed_local())
    }
}

/// How many futures the actor keeps for the current link.
struct LinkTasks;
impl Message for LinkTasks {
    type Result = usize;
}
impl Handle<LinkTasks> for Piped {
    type Result = MessageResult<LinkTasks>;
    fn handle(&mut self, _: LinkTasks, cx: &mut Ctx<'_, Self>) -> MessageResult<LinkTasks> {
        MessageResult(cx.core.link_tasks.len() + usize::from(cx.core.probe.is_some()))
    }
}

#[actix_rt::test]
async fn health_check_probes_do_not_accumulate_task_handles() {
    tokio::time::pause();
    let actor = ConnectionActor::builder(Piped::default())
        .health_check(Duration::from_secs(1), Duration::from_secs(1))
        .start();
    let before = actor.send(LinkTasks).await.unwrap();
    for _ in 0..100 {
        tokio::time::advance(Duration::from_secs(1)).await;
        actor.send(LinkTasks).await.unwrap();
    }
    let after = actor.send(LinkTasks).await.unwrap();
    assert!(after <= before + 1, "{before} task handles grew to {after}");
}
