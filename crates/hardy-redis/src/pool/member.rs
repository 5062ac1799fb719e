//! [`Member`]: one pool member, picked for a call; counts the requests it has in flight.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::Slot;
use crate::{Cmd, Error, FromRedis, Pipeline, Redis};

/// One member of a [`Pool`](crate::Pool), from [`Pool::pick`](crate::Pool::pick),
/// [`Pool::for_key`](crate::Pool::for_key) or [`Pool::member`](crate::Pool::member).
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    slot: &'a Slot,
    index: usize,
}

/// Decrements a member's in-flight count when the request ends (or is dropped).
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        InFlight(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<'a> Member<'a> {
    pub(super) fn new(slots: &'a [Slot], index: usize) -> Self {
        Member {
            slot: &slots[index],
            index,
        }
    }

    /// Its index in the pool.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Its connection handle (follows the member's restarts). Requests sent through it
    /// directly are not counted in [`Pool::status`](crate::Pool::status).
    pub fn redis(&self) -> &'a Redis {
        &self.slot.redis
    }

    /// See [`Redis::command`].
    pub async fn command<T: FromRedis>(self, cmd: Cmd) -> Result<T, Error> {
        let _counted = InFlight::enter(&self.slot.in_flight);
        self.slot.redis.command(cmd).await
    }

    /// See [`Redis::pipeline`].
    pub async fn pipeline<T: FromRedis>(self, pipeline: Pipeline) -> Result<T, Error> {
        let _counted = InFlight::enter(&self.slot.in_flight);
        self.slot.redis.pipeline(pipeline).await
    }

    /// See [`Redis::transaction`].
    pub async fn transaction<T: FromRedis>(self, pipeline: Pipeline) -> Result<T, Error> {
        let _counted = InFlight::enter(&self.slot.in_flight);
        self.slot.redis.transaction(pipeline).await
    }

    /// See [`Redis::noreply`].
    pub async fn noreply(self, pipeline: Pipeline) -> Result<(), Error> {
        let _counted = InFlight::enter(&self.slot.in_flight);
        self.slot.redis.noreply(pipeline).await
    }
}
