//! A Redis driver for actix, built on `hardy-connection` and `hardy-supervisor`.
//!
//! One actor owns one long-lived socket; concurrent callers pipeline automatically over it,
//! and replies are matched to requests in FIFO order.
#![deny(missing_docs)]

pub mod cmd;
pub mod resp;
pub mod value;

pub use cmd::{cmd, Cmd, ToArg};
pub use value::{FromRedis, TypeError};
