//! Key commands: existence, deletion, expiry, renaming, type.

use super::{Execute, ExpireCondition, TypedCmd};
use crate::{cmd, FromRedis, ToArg};

/// Typed key commands, for every [`Execute`] handle (`use hardy_redis::prelude::*`).
pub trait KeyCommands: Execute {
    /// `DEL key [key ...]`: how many keys were removed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let removed = redis.del(["a", "b"]).await?;
    /// # let _: u64 = removed;
    /// # Ok(()) }
    /// ```
    fn del(self, keys: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("DEL").arg(keys)))
    }

    /// `UNLINK key [key ...]`: as `DEL`, the memory freed in the background.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let removed = redis.unlink("big-set").await?;
    /// # let _: u64 = removed;
    /// # Ok(()) }
    /// ```
    fn unlink(self, keys: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("UNLINK").arg(keys)))
    }

    /// `EXISTS key [key ...]`: how many of the keys exist (a key named twice counts twice).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let there = redis.exists("a").await? == 1;
    /// # Ok(()) }
    /// ```
    fn exists(self, keys: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("EXISTS").arg(keys)))
    }

    /// `EXPIRE key seconds`: whether the expiry was set (false: no such key).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let set = redis.expire("session", 1800).await?;
    /// # let _: bool = set;
    /// # Ok(()) }
    /// ```
    fn expire(self, key: impl ToArg, seconds: i64) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("EXPIRE").arg(key).arg(seconds)))
    }

    /// `EXPIRE key seconds NX|XX|GT|LT`: whether the expiry was set (false: no such key,
    /// or the condition did not hold).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let extended = redis.expire_if("session", 3600, ExpireCondition::Gt).await?;
    /// # let _: bool = extended;
    /// # Ok(()) }
    /// ```
    fn expire_if(self, key: impl ToArg, seconds: i64, when: ExpireCondition) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("EXPIRE").arg(key).arg(seconds).arg(when)))
    }

    /// `PEXPIRE key milliseconds [NX|XX|GT|LT]` (`None` for no condition).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let set = redis.pexpire("lock", 1500, None).await?;
    /// # let _: bool = set;
    /// # Ok(()) }
    /// ```
    fn pexpire(
        self,
        key: impl ToArg,
        milliseconds: i64,
        when: Option<ExpireCondition>,
    ) -> Self::Output<bool> {
        self.run(TypedCmd::new(
            cmd("PEXPIRE").arg(key).arg(milliseconds).arg(when),
        ))
    }

    /// `EXPIREAT key unix-seconds [NX|XX|GT|LT]` (`None` for no condition).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let set = redis.expireat("report", 1_900_000_000, Some(ExpireCondition::Nx)).await?;
    /// # let _: bool = set;
    /// # Ok(()) }
    /// ```
    fn expireat(
        self,
        key: impl ToArg,
        unix_seconds: i64,
        when: Option<ExpireCondition>,
    ) -> Self::Output<bool> {
        self.run(TypedCmd::new(
            cmd("EXPIREAT").arg(key).arg(unix_seconds).arg(when),
        ))
    }

    /// `TTL key`: seconds left; `-1` without expiry, `-2` for a missing key.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let left = redis.ttl("session").await?;
    /// # let _: i64 = left;
    /// # Ok(()) }
    /// ```
    fn ttl(self, key: impl ToArg) -> Self::Output<i64> {
        self.run(TypedCmd::new(cmd("TTL").arg(key)))
    }

    /// `PTTL key`: milliseconds left; `-1` without expiry, `-2` for a missing key.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let left = redis.pttl("lock").await?;
    /// # let _: i64 = left;
    /// # Ok(()) }
    /// ```
    fn pttl(self, key: impl ToArg) -> Self::Output<i64> {
        self.run(TypedCmd::new(cmd("PTTL").arg(key)))
    }

    /// `PERSIST key`: whether an expiry was removed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let was_volatile = redis.persist("session").await?;
    /// # let _: bool = was_volatile;
    /// # Ok(()) }
    /// ```
    fn persist(self, key: impl ToArg) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("PERSIST").arg(key)))
    }

    /// `TYPE key`: `"string"`, `"list"`, `"set"`, `"zset"`, `"hash"`, `"stream"` or
    /// `"none"`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let kind = redis.key_type("a").await?;
    /// # let _: String = kind;
    /// # Ok(()) }
    /// ```
    fn key_type(self, key: impl ToArg) -> Self::Output<String> {
        self.run(TypedCmd::new(cmd("TYPE").arg(key)))
    }

    /// `RENAME key newkey` (an error if `key` does not exist).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// redis.rename("tmp", "final").await?;
    /// # Ok(()) }
    /// ```
    fn rename(self, key: impl ToArg, new_key: impl ToArg) -> Self::Output<()> {
        self.run(TypedCmd::new(cmd("RENAME").arg(key).arg(new_key)))
    }

    /// `RENAMENX key newkey`: whether it was renamed (false: `newkey` exists).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let renamed = redis.renamenx("tmp", "final").await?;
    /// # let _: bool = renamed;
    /// # Ok(()) }
    /// ```
    fn renamenx(self, key: impl ToArg, new_key: impl ToArg) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("RENAMENX").arg(key).arg(new_key)))
    }

    /// `COPY source destination [REPLACE]`: whether it was copied.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let copied = redis.copy("template", "draft", false).await?;
    /// # let _: bool = copied;
    /// # Ok(()) }
    /// ```
    fn copy(
        self,
        source: impl ToArg,
        destination: impl ToArg,
        replace: bool,
    ) -> Self::Output<bool> {
        let replace = replace.then_some("REPLACE");
        self.run(TypedCmd::new(
            cmd("COPY").arg(source).arg(destination).arg(replace),
        ))
    }

    /// `TOUCH key [key ...]`: how many of the keys exist (their access time updated).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let touched = redis.touch(["a", "b"]).await?;
    /// # let _: u64 = touched;
    /// # Ok(()) }
    /// ```
    fn touch(self, keys: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("TOUCH").arg(keys)))
    }

    /// `OBJECT ENCODING key`: the internal encoding (`"int"`, `"embstr"`, `"listpack"`,
    /// ...), `None` for a missing key.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let encoding = redis.object_encoding("a").await?;
    /// # let _: Option<String> = encoding;
    /// # Ok(()) }
    /// ```
    fn object_encoding(self, key: impl ToArg) -> Self::Output<Option<String>> {
        self.run(TypedCmd::new(cmd("OBJECT").arg("ENCODING").arg(key)))
    }

    /// `KEYS pattern`: every matching key, in one reply. It blocks the server while it
    /// walks the whole keyspace: prefer [`scan`](crate::ScanCommands::scan).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let keys: Vec<String> = redis.keys("user:*").await?;
    /// # Ok(()) }
    /// ```
    fn keys<V: FromRedis + Send + 'static>(self, pattern: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("KEYS").arg(pattern)))
    }
}

impl<H: Execute> KeyCommands for H {}
