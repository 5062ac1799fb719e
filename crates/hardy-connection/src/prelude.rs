//! Everything a protocol implementation names, in one import, from the versions this crate
//! was built with: `use hardy_connection::prelude::*;` (or `hardy::connection::prelude::*`).
//!
//! A protocol client needs items from actix, futures, tokio, tokio-util and bytes in its
//! trait signatures. Depending on those five crates directly means pinning versions that
//! match this crate's; the prelude (and the crates re-exported at the root:
//! `hardy_connection::actix`, `::tokio`, ...) makes that unnecessary.

pub use crate::backoff::{Backoff, Constant, Exponential, Jitter};
pub use crate::{
    Builder, Cause, Client, ConnState, ConnectFuture, ConnectInfo, Connection, ConnectionActor,
    Ctx, ExitReason, Failure, Handle, LinkWriter, Next, Pending, ProbeFuture, Reconnect, Request,
    RequestError, StateWatch, Stop, Waiter,
};
pub use actix::{Actor, Addr, AsyncContext, Message, MessageResult, Recipient, ResponseFuture};
pub use bytes::{Buf, BufMut, Bytes, BytesMut};
pub use futures::{FutureExt, SinkExt, StreamExt};
pub use tokio::io::{AsyncRead, AsyncWrite};
pub use tokio::net::TcpStream;
pub use tokio_util::codec::{Decoder, Encoder, FramedRead, LinesCodec, LinesCodecError};
