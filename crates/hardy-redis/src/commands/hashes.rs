//! Hash commands: fields of one key.

use super::{Execute, TypedCmd};
use crate::{cmd, FromRedis, ToArg};

/// Typed hash commands, for every [`Execute`] handle (`use hardy_redis::prelude::*`).
pub trait HashCommands: Execute {
    /// `HGET key field`: the field's value (`Option<_>` when it may be missing).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let name: Option<String> = redis.hget("user:1", "name").await?;
    /// # Ok(()) }
    /// ```
    fn hget<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        field: impl ToArg,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("HGET").arg(key).arg(field)))
    }

    /// `HSET key field value [field value ...]`, from pairs (`[("a", 1)]`, a `Vec` of
    /// tuples, a `HashMap` or `BTreeMap`): how many fields were added (not updated).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let added = redis.hset("user:1", [("name", "Ada"), ("lang", "en")]).await?;
    /// # let _: u64 = added;
    /// # Ok(()) }
    /// ```
    fn hset(self, key: impl ToArg, pairs: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("HSET").arg(key).arg(pairs)))
    }

    /// `HSETNX key field value`: whether the field was set (false: it existed).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let created = redis.hsetnx("user:1", "created", 1_700_000_000).await?;
    /// # let _: bool = created;
    /// # Ok(()) }
    /// ```
    fn hsetnx(self, key: impl ToArg, field: impl ToArg, value: impl ToArg) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("HSETNX").arg(key).arg(field).arg(value)))
    }

    /// `HMGET key field [field ...]`: one value per field, in order.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let (name, lang): (Option<String>, Option<String>) =
    ///     redis.hmget("user:1", ["name", "lang"]).await?;
    /// # Ok(()) }
    /// ```
    fn hmget<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        fields: impl ToArg,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("HMGET").arg(key).arg(fields)))
    }

    /// `HGETALL key`: every field and value, into a `HashMap`, `BTreeMap` or `Vec<(K, V)>`
    /// (empty for a missing key).
    ///
    /// ```no_run
    /// # use std::collections::HashMap;
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let user: HashMap<String, String> = redis.hgetall("user:1").await?;
    /// # Ok(()) }
    /// ```
    fn hgetall<V: FromRedis + Send + 'static>(self, key: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("HGETALL").arg(key)))
    }

    /// `HDEL key field [field ...]`: how many fields were removed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let removed = redis.hdel("user:1", "lang").await?;
    /// # let _: u64 = removed;
    /// # Ok(()) }
    /// ```
    fn hdel(self, key: impl ToArg, fields: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("HDEL").arg(key).arg(fields)))
    }

    /// `HEXISTS key field`: whether the field exists.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let has = redis.hexists("user:1", "name").await?;
    /// # let _: bool = has;
    /// # Ok(()) }
    /// ```
    fn hexists(self, key: impl ToArg, field: impl ToArg) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("HEXISTS").arg(key).arg(field)))
    }

    /// `HINCRBY key field increment`: the new value.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let logins = redis.hincr_by("user:1", "logins", 1).await?;
    /// # let _: i64 = logins;
    /// # Ok(()) }
    /// ```
    fn hincr_by(self, key: impl ToArg, field: impl ToArg, increment: i64) -> Self::Output<i64> {
        self.run(TypedCmd::new(
            cmd("HINCRBY").arg(key).arg(field).arg(increment),
        ))
    }

    /// `HINCRBYFLOAT key field increment`: the new value.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let balance = redis.hincr_by_float("account:1", "balance", -2.5).await?;
    /// # let _: f64 = balance;
    /// # Ok(()) }
    /// ```
    fn hincr_by_float(
        self,
        key: impl ToArg,
        field: impl ToArg,
        increment: f64,
    ) -> Self::Output<f64> {
        self.run(TypedCmd::new(
            cmd("HINCRBYFLOAT").arg(key).arg(field).arg(increment),
        ))
    }

    /// `HKEYS key`: the field names.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let fields: Vec<String> = redis.hkeys("user:1").await?;
    /// # Ok(()) }
    /// ```
    fn hkeys<V: FromRedis + Send + 'static>(self, key: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("HKEYS").arg(key)))
    }

    /// `HVALS key`: the values.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let values: Vec<String> = redis.hvals("user:1").await?;
    /// # Ok(()) }
    /// ```
    fn hvals<V: FromRedis + Send + 'static>(self, key: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("HVALS").arg(key)))
    }

    /// `HLEN key`: the number of fields.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.hlen("user:1").await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn hlen(self, key: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("HLEN").arg(key)))
    }

    /// `HRANDFIELD key count`: up to `count` distinct random fields (a negative count may
    /// repeat them).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let some: Vec<String> = redis.hrandfield("user:1", 2).await?;
    /// # Ok(()) }
    /// ```
    fn hrandfield<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        count: i64,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("HRANDFIELD").arg(key).arg(count)))
    }

    /// `HRANDFIELD key count WITHVALUES`: random fields with their values, into
    /// `Vec<(K, V)>` or a map.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let some: Vec<(String, String)> = redis.hrandfield_withvalues("user:1", 2).await?;
    /// # Ok(()) }
    /// ```
    fn hrandfield_withvalues<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        count: i64,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(
            cmd("HRANDFIELD").arg(key).arg(count).arg("WITHVALUES"),
        ))
    }
}

impl<H: Execute> HashCommands for H {}
