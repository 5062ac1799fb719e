//! List commands. The blocking ones (`BLPOP`, `BLMOVE`, `BLMPOP`) are not here: on a
//! shared connection they would stall every other caller. They are
//! [`BlockingCommands`](super::BlockingCommands), on a [`BlockingPool`](crate::BlockingPool).

use super::{Execute, TypedCmd};
use crate::{cmd, Cmd, FromRedis, ToArg};

/// An end of a list, for `LMOVE`, `LMPOP` and `LINSERT`'s neighbour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `LEFT`: the head (`BEFORE` for `LINSERT`).
    Left,
    /// `RIGHT`: the tail (`AFTER` for `LINSERT`).
    Right,
}

impl ToArg for Side {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push(match self {
            Side::Left => "LEFT",
            Side::Right => "RIGHT",
        });
    }
}

/// Typed list commands, for every [`Execute`] handle (`use hardy_redis::prelude::*`).
pub trait ListCommands: Execute {
    /// `LPUSH key element [element ...]`: the new length.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let len = redis.lpush("jobs", ["a", "b"]).await?;
    /// # let _: u64 = len;
    /// # Ok(()) }
    /// ```
    fn lpush(self, key: impl ToArg, elements: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("LPUSH").arg(key).arg(elements)))
    }

    /// `RPUSH key element [element ...]`: the new length.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let len = redis.rpush("jobs", "c").await?;
    /// # let _: u64 = len;
    /// # Ok(()) }
    /// ```
    fn rpush(self, key: impl ToArg, elements: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("RPUSH").arg(key).arg(elements)))
    }

    /// `LPUSHX key element [element ...]`: pushes only onto an existing list; the length
    /// (0: no list).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let len = redis.lpushx("jobs", "d").await?;
    /// # let _: u64 = len;
    /// # Ok(()) }
    /// ```
    fn lpushx(self, key: impl ToArg, elements: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("LPUSHX").arg(key).arg(elements)))
    }

    /// `RPUSHX key element [element ...]`: pushes only onto an existing list; the length.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let len = redis.rpushx("jobs", "e").await?;
    /// # let _: u64 = len;
    /// # Ok(()) }
    /// ```
    fn rpushx(self, key: impl ToArg, elements: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("RPUSHX").arg(key).arg(elements)))
    }

    /// `LPOP key [count]`: with `None`, one element (`Option<V>`); with a count, up to
    /// that many (`Vec<V>`, or `Option<Vec<V>>` to tell a missing list).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let next: Option<String> = redis.lpop("jobs", None).await?;
    /// let batch: Vec<String> = redis.lpop("jobs", Some(10)).await?;
    /// # Ok(()) }
    /// ```
    fn lpop<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        count: Option<u64>,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("LPOP").arg(key).arg(count)))
    }

    /// `RPOP key [count]`, as [`lpop`](Self::lpop) from the tail.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let last: Option<String> = redis.rpop("jobs", None).await?;
    /// # Ok(()) }
    /// ```
    fn rpop<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        count: Option<u64>,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("RPOP").arg(key).arg(count)))
    }

    /// `LRANGE key start stop`: the elements in the range (inclusive, negative from the
    /// end; `0, -1` for all).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let all: Vec<String> = redis.lrange("jobs", 0, -1).await?;
    /// # Ok(()) }
    /// ```
    fn lrange<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        start: i64,
        stop: i64,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("LRANGE").arg(key).arg(start).arg(stop)))
    }

    /// `LLEN key`: the length (0 for a missing key).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let len = redis.llen("jobs").await?;
    /// # let _: u64 = len;
    /// # Ok(()) }
    /// ```
    fn llen(self, key: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("LLEN").arg(key)))
    }

    /// `LINDEX key index`: the element (`Option<V>`: `None` out of range).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let first: Option<String> = redis.lindex("jobs", 0).await?;
    /// # Ok(()) }
    /// ```
    fn lindex<V: FromRedis + Send + 'static>(self, key: impl ToArg, index: i64) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("LINDEX").arg(key).arg(index)))
    }

    /// `LSET key index element` (an error out of range).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// redis.lset("jobs", 0, "first").await?;
    /// # Ok(()) }
    /// ```
    fn lset(self, key: impl ToArg, index: i64, element: impl ToArg) -> Self::Output<()> {
        self.run(TypedCmd::new(cmd("LSET").arg(key).arg(index).arg(element)))
    }

    /// `LREM key count element`: removes `count` occurrences (from the head; negative:
    /// from the tail; 0: all); how many were removed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let removed = redis.lrem("jobs", 0, "done").await?;
    /// # let _: u64 = removed;
    /// # Ok(()) }
    /// ```
    fn lrem(self, key: impl ToArg, count: i64, element: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("LREM").arg(key).arg(count).arg(element)))
    }

    /// `LTRIM key start stop`: keeps only the range.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// redis.ltrim("recent", 0, 99).await?;
    /// # Ok(()) }
    /// ```
    fn ltrim(self, key: impl ToArg, start: i64, stop: i64) -> Self::Output<()> {
        self.run(TypedCmd::new(cmd("LTRIM").arg(key).arg(start).arg(stop)))
    }

    /// `LINSERT key BEFORE|AFTER pivot element` (`Side::Left` is `BEFORE`): the new length,
    /// `-1` when the pivot is not found, `0` for a missing key.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let len = redis.linsert("jobs", Side::Left, "b", "a2").await?;
    /// # let _: i64 = len;
    /// # Ok(()) }
    /// ```
    fn linsert(
        self,
        key: impl ToArg,
        side: Side,
        pivot: impl ToArg,
        element: impl ToArg,
    ) -> Self::Output<i64> {
        let place = match side {
            Side::Left => "BEFORE",
            Side::Right => "AFTER",
        };
        self.run(TypedCmd::new(
            cmd("LINSERT").arg(key).arg(place).arg(pivot).arg(element),
        ))
    }

    /// `LPOS key element`: the index of the first match, `None` if absent. Further options
    /// (`RANK`, `COUNT`, `MAXLEN`) go through [`cmd`](crate::cmd()).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let at = redis.lpos("jobs", "b").await?;
    /// # let _: Option<u64> = at;
    /// # Ok(()) }
    /// ```
    fn lpos(self, key: impl ToArg, element: impl ToArg) -> Self::Output<Option<u64>> {
        self.run(TypedCmd::new(cmd("LPOS").arg(key).arg(element)))
    }

    /// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`: the element moved (`None`: the
    /// source was empty).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let job: Option<String> = redis.lmove("jobs", "working", Side::Right, Side::Left).await?;
    /// # Ok(()) }
    /// ```
    fn lmove<V: FromRedis + Send + 'static>(
        self,
        source: impl ToArg,
        destination: impl ToArg,
        from: Side,
        to: Side,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(
            cmd("LMOVE").arg(source).arg(destination).arg(from).arg(to),
        ))
    }

    /// `LMPOP numkeys key [key ...] LEFT|RIGHT COUNT count`: from the first non-empty list,
    /// its name and up to `count` elements (`Option<(String, Vec<V>)>`; `None`: all
    /// empty).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let popped: Option<(String, Vec<String>)> =
    ///     redis.lmpop(&["urgent", "normal"], Side::Left, 10).await?;
    /// # Ok(()) }
    /// ```
    fn lmpop<V: FromRedis + Send + 'static, K: ToArg>(
        self,
        keys: &[K],
        side: Side,
        count: u64,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(
            cmd("LMPOP")
                .arg(keys.len())
                .arg(keys)
                .arg(side)
                .arg("COUNT")
                .arg(count),
        ))
    }
}

impl<H: Execute> ListCommands for H {}
