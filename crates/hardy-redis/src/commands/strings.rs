//! String commands: `GET`, `SET` and its options, counters, ranges.

use super::{Execute, SetOptions, TypedCmd};
use crate::{cmd, FromRedis, ToArg};

/// Typed string commands, for every [`Execute`] handle (`use hardy_redis::prelude::*`).
///
/// Value types are yours to choose (`String`, `Vec<u8>`, `Bytes`, numbers, `Option<_>` for
/// a key that may be missing).
pub trait StringCommands: Execute {
    /// `GET key`: the value, `None` (with `Option<_>`) when the key does not exist.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let name: Option<String> = redis.get("user:1:name").await?;
    /// # Ok(()) }
    /// ```
    fn get<V: FromRedis + Send + 'static>(self, key: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("GET").arg(key)))
    }

    /// `SET key value`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// redis.set("user:1:name", "Ada").await?;
    /// # Ok(()) }
    /// ```
    fn set(self, key: impl ToArg, value: impl ToArg) -> Self::Output<()> {
        self.run(TypedCmd::new(cmd("SET").arg(key).arg(value)))
    }

    /// `SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT|KEEPTTL]`. The reply depends on the
    /// options: `bool` for `NX`/`XX` (whether it was set), `Option<V>` for `GET` (the
    /// previous value), `()` otherwise.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let locked: bool = redis.set_with("lock", "me", SetOptions::new().nx().px(3000)).await?;
    /// # Ok(()) }
    /// ```
    fn set_with<R: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        value: impl ToArg,
        options: SetOptions,
    ) -> Self::Output<R> {
        self.run(TypedCmd::new(cmd("SET").arg(key).arg(value).arg(options)))
    }

    /// `MGET key [key ...]`: one value per key, in order (`Vec<Option<V>>` when some may
    /// be missing).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let values: Vec<Option<String>> = redis.mget(["a", "b"]).await?;
    /// # Ok(()) }
    /// ```
    fn mget<V: FromRedis + Send + 'static>(self, keys: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("MGET").arg(keys)))
    }

    /// `MSET key value [key value ...]`, from pairs (`[("a", 1), ("b", 2)]`, a `Vec` of
    /// tuples, or a `HashMap`/`BTreeMap`).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// redis.mset([("a", 1), ("b", 2)]).await?;
    /// # Ok(()) }
    /// ```
    fn mset(self, pairs: impl ToArg) -> Self::Output<()> {
        self.run(TypedCmd::new(cmd("MSET").arg(pairs)))
    }

    /// `MSETNX key value [key value ...]`: sets all or none; whether it set them.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let all_new: bool = redis.msetnx([("a", 1), ("b", 2)]).await?;
    /// # Ok(()) }
    /// ```
    fn msetnx(self, pairs: impl ToArg) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("MSETNX").arg(pairs)))
    }

    /// `INCR key`: the new value.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let visits = redis.incr("visits").await?;
    /// # let _: i64 = visits;
    /// # Ok(()) }
    /// ```
    fn incr(self, key: impl ToArg) -> Self::Output<i64> {
        self.run(TypedCmd::new(cmd("INCR").arg(key)))
    }

    /// `INCRBY key increment`: the new value.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let stock = redis.incr_by("stock", -3).await?;
    /// # let _: i64 = stock;
    /// # Ok(()) }
    /// ```
    fn incr_by(self, key: impl ToArg, increment: i64) -> Self::Output<i64> {
        self.run(TypedCmd::new(cmd("INCRBY").arg(key).arg(increment)))
    }

    /// `INCRBYFLOAT key increment`: the new value.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let total = redis.incr_by_float("total", 2.5).await?;
    /// # let _: f64 = total;
    /// # Ok(()) }
    /// ```
    fn incr_by_float(self, key: impl ToArg, increment: f64) -> Self::Output<f64> {
        self.run(TypedCmd::new(cmd("INCRBYFLOAT").arg(key).arg(increment)))
    }

    /// `DECR key`: the new value.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let left = redis.decr("tickets").await?;
    /// # let _: i64 = left;
    /// # Ok(()) }
    /// ```
    fn decr(self, key: impl ToArg) -> Self::Output<i64> {
        self.run(TypedCmd::new(cmd("DECR").arg(key)))
    }

    /// `DECRBY key decrement`: the new value.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let left = redis.decr_by("tickets", 2).await?;
    /// # let _: i64 = left;
    /// # Ok(()) }
    /// ```
    fn decr_by(self, key: impl ToArg, decrement: i64) -> Self::Output<i64> {
        self.run(TypedCmd::new(cmd("DECRBY").arg(key).arg(decrement)))
    }

    /// `APPEND key value`: the new length.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let len = redis.append("log", "line\n").await?;
    /// # let _: u64 = len;
    /// # Ok(()) }
    /// ```
    fn append(self, key: impl ToArg, value: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("APPEND").arg(key).arg(value)))
    }

    /// `GETDEL key`: the value, and the key is deleted.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let token: Option<String> = redis.getdel("one-time-token").await?;
    /// # Ok(()) }
    /// ```
    fn getdel<V: FromRedis + Send + 'static>(self, key: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("GETDEL").arg(key)))
    }

    /// `GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST]`: the value, and the expiry changed
    /// (`expiry`: a [`GetEx`](crate::GetEx), or `()` to change nothing; the raw words, as
    /// `("EX", 60)`, work too).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let session: Option<String> = redis.getex("session:1", GetEx::Ex(1800)).await?;
    /// # Ok(()) }
    /// ```
    fn getex<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        expiry: impl ToArg,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("GETEX").arg(key).arg(expiry)))
    }

    /// `GETRANGE key start end`: the substring (inclusive; negative counts from the end).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let head: String = redis.getrange("text", 0, 9).await?;
    /// # Ok(()) }
    /// ```
    fn getrange<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        start: i64,
        end: i64,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("GETRANGE").arg(key).arg(start).arg(end)))
    }

    /// `SETRANGE key offset value`: the new length.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let len = redis.setrange("text", 6, "Redis").await?;
    /// # let _: u64 = len;
    /// # Ok(()) }
    /// ```
    fn setrange(self, key: impl ToArg, offset: u64, value: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(
            cmd("SETRANGE").arg(key).arg(offset).arg(value),
        ))
    }

    /// `STRLEN key`: the value's length in bytes (0 for a missing key).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let len = redis.strlen("text").await?;
    /// # let _: u64 = len;
    /// # Ok(()) }
    /// ```
    fn strlen(self, key: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("STRLEN").arg(key)))
    }
}

impl<H: Execute> StringCommands for H {}
