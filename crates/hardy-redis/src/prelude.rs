//! Everything a typed call needs in one import: `use hardy_redis::prelude::*;`.
//!
//! The typed methods live on extension traits (one per command family), which must be in
//! scope to call them; this module re-exports them with the handle and option types.

pub use crate::commands::*;
pub use crate::{cmd, BlockingPool, Cmd, Error, Frame, FromRedis, Lease, Pipeline, Redis, ToArg};
