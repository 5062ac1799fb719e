//! RESP2/RESP3: the bytes Redis speaks, as a `tokio_util` codec.
//!
//! This module knows nothing about connections or commands in flight. It turns bytes into
//! [`Frame`]s ([`RespDecoder`], bounded by [`Limits`], failing with [`ProtocolError`]) and
//! frames into bytes ([`RespEncoder`]). Payloads stay [`bytes::Bytes`] slices of the read
//! buffer from socket to caller.
//!
//! ```
//! use bytes::BytesMut;
//! use hardy_redis::resp::{Frame, RespDecoder, RespEncoder};
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! let reply = Frame::Map(vec![(Frame::simple("server"), Frame::bulk("redis"))]);
//! let mut wire = BytesMut::new();
//! RespEncoder::new().encode(&reply, &mut wire).unwrap();
//! assert_eq!(&wire[..], b"%1\r\n+server\r\n$5\r\nredis\r\n");
//! assert_eq!(RespDecoder::default().decode(&mut wire).unwrap(), Some(reply));
//! ```

mod decode;
mod encode;
mod error;
mod frame;
mod limits;
mod parse;
mod server_error;
pub(crate) mod show;
pub(crate) mod wire;

pub use decode::RespDecoder;
pub use encode::RespEncoder;
pub use error::ProtocolError;
pub use frame::Frame;
pub use limits::{Limits, FRAME_COST, MAX_DEPTH_CEILING};
pub use server_error::ServerError;

pub(crate) use encode::header;
pub(crate) use parse::parse_double;
