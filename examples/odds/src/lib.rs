//! A live betting-odds service built from Hardy's crates: the project's flagship demo.
//!
//! A feed simulator streams XML odds over TCP; the feed client (a hardy-connection
//! `Connection`) assembles the messages and routes each to its match's worker; one worker
//! per match, under dynamic supervisors spread over the cores by a partition supervisor,
//! keeps the match's model; updates reach browsers over Server-Sent Events at once and
//! Redis through a bounded queue, so a dead database never stops the odds. See
//! `docs/odds.md` for the picture and the guarantees.

#![deny(missing_docs)]

pub mod bench;
pub mod fanout;
pub mod feed;
pub mod hub;
pub mod model;
pub mod queue;
pub mod redis_owner;
pub mod service;
pub mod simulator;
pub mod stats;
pub mod status;
pub mod storage;
pub mod tree;
pub mod web;
pub mod worker;
pub mod xml;

pub use service::{Service, ServiceConfig};
