//! Typed commands: `redis.set("k", "v").await?` instead of `cmd("SET").arg("k").arg("v")`.
//!
//! Every typed method builds a [`TypedCmd<T>`]: the encoded [`Cmd`](crate::Cmd) plus the Rust type its
//! reply converts to, fixed when the command is built. Who runs it is a separate concern,
//! the [`Execute`] trait: a [`Redis`](crate::Redis) handle sends it and resolves to `T`; a
//! [`Pipeline`](crate::Pipeline) queues it and hands itself back for chaining; a
//! [`Watch`](crate::Watch) session sends it on the watched link. The command families
//! ([`StringCommands`], [`KeyCommands`], ...) are extension traits implemented once for
//! every `Execute`, so a new handle (a pool, a cluster) gets every typed method by
//! implementing one method.
//!
//! Bring them all into scope with the prelude:
//!
//! ```no_run
//! use hardy_redis::prelude::*;
//!
//! # async fn demo(redis: hardy_redis::Redis) -> Result<(), hardy_redis::Error> {
//! redis.set("greeting", "hello").await?;
//! let greeting: Option<String> = redis.get("greeting").await?;
//! assert_eq!(greeting.as_deref(), Some("hello"));
//!
//! let mut pipe = Pipeline::new();
//! pipe.incr("visits").expire("visits", 60);
//! let (visits, _): (i64, bool) = redis.pipeline(pipe).await?;
//! # let _ = visits;
//! # Ok(()) }
//! ```
//!
//! The raw [`cmd`](crate::cmd()) stays the escape hatch for anything not covered here.
//! Blocking commands (`BLPOP`, `XREAD BLOCK`, ...) are not on these traits: on a shared,
//! pipelined connection they would stall every other caller. They have their own,
//! [`BlockingCommands`], for the dedicated connections of a
//! [`BlockingPool`](crate::BlockingPool).

mod args;
mod blocking;
#[cfg(test)]
mod encoding_tests;
mod exec;
mod geo;
mod hashes;
mod keys;
mod lists;
mod options;
mod scan;
mod scripts;
mod server;
mod sets;
mod streams;
mod strings;
mod typed;
mod values;
mod zsets;

pub use blocking::{BlockingCommands, BlockingExecute, LocalReply};
pub use exec::{CommandHandle, Execute, Reply};
pub use geo::{BitmapCommands, GeoCommands, GeoSearch, GeoUnit, HyperLogLogCommands};
pub use hashes::HashCommands;
pub use keys::KeyCommands;
pub use lists::{ListCommands, Side};
pub use options::{Aggregate, ExpireCondition, GetEx, SetOptions, ZAddOptions, ZRange};
pub use scan::{ScanCommands, ScanOptions};
pub use scripts::{Script, ScriptCommands};
pub use server::{Info, ServerCommands, ServerTime};
pub use sets::SetCommands;
pub use streams::{
    StreamCommands, StreamEntry, StreamReads, XAddOptions, XAutoClaim, XPendingSummary, XTrim,
};
pub use strings::StringCommands;
pub use typed::TypedCmd;
#[cfg(feature = "serde")]
pub use values::Json;
pub use zsets::SortedSetCommands;
