//! Set commands.

use super::{Execute, TypedCmd};
use crate::{cmd, FromRedis, ToArg};

/// Typed set commands, for every [`Execute`] handle (`use hardy_redis::prelude::*`).
pub trait SetCommands: Execute {
    /// `SADD key member [member ...]`: how many were added.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let added = redis.sadd("tags", ["rust", "redis"]).await?;
    /// # let _: u64 = added;
    /// # Ok(()) }
    /// ```
    fn sadd(self, key: impl ToArg, members: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("SADD").arg(key).arg(members)))
    }

    /// `SREM key member [member ...]`: how many were removed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let removed = redis.srem("tags", "redis").await?;
    /// # let _: u64 = removed;
    /// # Ok(()) }
    /// ```
    fn srem(self, key: impl ToArg, members: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("SREM").arg(key).arg(members)))
    }

    /// `SMEMBERS key`: every member (`HashSet`, `BTreeSet` or `Vec`).
    ///
    /// ```no_run
    /// # use std::collections::HashSet;
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let tags: HashSet<String> = redis.smembers("tags").await?;
    /// # Ok(()) }
    /// ```
    fn smembers<V: FromRedis + Send + 'static>(self, key: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("SMEMBERS").arg(key)))
    }

    /// `SISMEMBER key member`: whether it is a member.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let tagged = redis.sismember("tags", "rust").await?;
    /// # let _: bool = tagged;
    /// # Ok(()) }
    /// ```
    fn sismember(self, key: impl ToArg, member: impl ToArg) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("SISMEMBER").arg(key).arg(member)))
    }

    /// `SMISMEMBER key member [member ...]`: for each, whether it is a member.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let found = redis.smismember("tags", ["rust", "go"]).await?;
    /// # let _: Vec<bool> = found;
    /// # Ok(()) }
    /// ```
    fn smismember(self, key: impl ToArg, members: impl ToArg) -> Self::Output<Vec<bool>> {
        self.run(TypedCmd::new(cmd("SMISMEMBER").arg(key).arg(members)))
    }

    /// `SCARD key`: the number of members.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.scard("tags").await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn scard(self, key: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("SCARD").arg(key)))
    }

    /// `SPOP key [count]`: with `None`, one random member removed (`Option<V>`); with a
    /// count, up to that many (`Vec<V>`).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let winner: Option<String> = redis.spop("entrants", None).await?;
    /// # Ok(()) }
    /// ```
    fn spop<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        count: Option<u64>,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("SPOP").arg(key).arg(count)))
    }

    /// `SRANDMEMBER key [count]`: as [`spop`](Self::spop) without removing (a negative
    /// count may repeat members).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let sample: Vec<String> = redis.srandmember("tags", Some(3)).await?;
    /// # Ok(()) }
    /// ```
    fn srandmember<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        count: Option<i64>,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("SRANDMEMBER").arg(key).arg(count)))
    }

    /// `SINTER key [key ...]`: the members in every set.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let both: Vec<String> = redis.sinter(["a", "b"]).await?;
    /// # Ok(()) }
    /// ```
    fn sinter<V: FromRedis + Send + 'static>(self, keys: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("SINTER").arg(keys)))
    }

    /// `SUNION key [key ...]`: the members in any set.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let any: Vec<String> = redis.sunion(["a", "b"]).await?;
    /// # Ok(()) }
    /// ```
    fn sunion<V: FromRedis + Send + 'static>(self, keys: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("SUNION").arg(keys)))
    }

    /// `SDIFF key [key ...]`: the members of the first set in none of the others.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let only_a: Vec<String> = redis.sdiff(["a", "b"]).await?;
    /// # Ok(()) }
    /// ```
    fn sdiff<V: FromRedis + Send + 'static>(self, keys: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("SDIFF").arg(keys)))
    }

    /// `SINTERSTORE destination key [key ...]`: the size of the stored result.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.sinterstore("both", ["a", "b"]).await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn sinterstore(self, destination: impl ToArg, keys: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("SINTERSTORE").arg(destination).arg(keys)))
    }

    /// `SUNIONSTORE destination key [key ...]`: the size of the stored result.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.sunionstore("any", ["a", "b"]).await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn sunionstore(self, destination: impl ToArg, keys: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("SUNIONSTORE").arg(destination).arg(keys)))
    }

    /// `SDIFFSTORE destination key [key ...]`: the size of the stored result.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.sdiffstore("only-a", ["a", "b"]).await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn sdiffstore(self, destination: impl ToArg, keys: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("SDIFFSTORE").arg(destination).arg(keys)))
    }

    /// `SINTERCARD numkeys key [key ...] [LIMIT limit]`: the size of the intersection,
    /// counting stopped at `limit` (`None`: no limit).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.sintercard(&["a", "b"], None).await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn sintercard<K: ToArg>(self, keys: &[K], limit: Option<u64>) -> Self::Output<u64> {
        let limit = limit.map(|n| ("LIMIT", n));
        self.run(TypedCmd::new(
            cmd("SINTERCARD").arg(keys.len()).arg(keys).arg(limit),
        ))
    }

    /// `SMOVE source destination member`: whether it was moved.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let moved = redis.smove("todo", "done", "task-1").await?;
    /// # let _: bool = moved;
    /// # Ok(()) }
    /// ```
    fn smove(
        self,
        source: impl ToArg,
        destination: impl ToArg,
        member: impl ToArg,
    ) -> Self::Output<bool> {
        self.run(TypedCmd::new(
            cmd("SMOVE").arg(source).arg(destination).arg(member),
        ))
    }
}

impl<H: Execute> SetCommands for H {}
