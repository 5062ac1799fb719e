//! Sorted set commands. The blocking ones (`BZPOPMIN`, `BZMPOP`, ...) are left out.

use super::{Aggregate, Execute, TypedCmd, ZAddOptions, ZRange};
use crate::{cmd, FromRedis, ToArg};

/// Typed sorted set commands, for every [`Execute`] handle (`use hardy_redis::prelude::*`).
///
/// Scores read as `f64` on RESP2 and RESP3 alike; `WITHSCORES` replies read as
/// `Vec<(M, f64)>`.
pub trait SortedSetCommands: Execute {
    /// `ZADD key score member [score member ...]`, from `(score, member)` pairs: how many
    /// members were added.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let added = redis.zadd("scores", [(10.0, "ada"), (7.5, "bob")]).await?;
    /// # let _: u64 = added;
    /// # Ok(()) }
    /// ```
    fn zadd(self, key: impl ToArg, scored_members: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("ZADD").arg(key).arg(scored_members)))
    }

    /// `ZADD key [NX|XX] [GT|LT] [CH] score member ...`: how many members were added (or
    /// changed, with `CH`).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let changed = redis.zadd_with("best", ZAddOptions::new().gt().ch(), [(12.0, "ada")]).await?;
    /// # let _: u64 = changed;
    /// # Ok(()) }
    /// ```
    fn zadd_with(
        self,
        key: impl ToArg,
        options: ZAddOptions,
        scored_members: impl ToArg,
    ) -> Self::Output<u64> {
        self.run(TypedCmd::new(
            cmd("ZADD").arg(key).arg(options).arg(scored_members),
        ))
    }

    /// `ZADD key [options] INCR increment member`: the new score, `None` when the options
    /// prevented the update.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let score = redis.zadd_incr("scores", ZAddOptions::new().xx(), 1.0, "ada").await?;
    /// # let _: Option<f64> = score;
    /// # Ok(()) }
    /// ```
    fn zadd_incr(
        self,
        key: impl ToArg,
        options: ZAddOptions,
        increment: f64,
        member: impl ToArg,
    ) -> Self::Output<Option<f64>> {
        self.run(TypedCmd::new(
            cmd("ZADD")
                .arg(key)
                .arg(options)
                .arg("INCR")
                .arg(increment)
                .arg(member),
        ))
    }

    /// `ZREM key member [member ...]`: how many were removed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let removed = redis.zrem("scores", "bob").await?;
    /// # let _: u64 = removed;
    /// # Ok(()) }
    /// ```
    fn zrem(self, key: impl ToArg, members: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("ZREM").arg(key).arg(members)))
    }

    /// `ZSCORE key member`: the score, `None` for no such member.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let score = redis.zscore("scores", "ada").await?;
    /// # let _: Option<f64> = score;
    /// # Ok(()) }
    /// ```
    fn zscore(self, key: impl ToArg, member: impl ToArg) -> Self::Output<Option<f64>> {
        self.run(TypedCmd::new(cmd("ZSCORE").arg(key).arg(member)))
    }

    /// `ZMSCORE key member [member ...]`: each member's score.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let scores = redis.zmscore("scores", ["ada", "eve"]).await?;
    /// # let _: Vec<Option<f64>> = scores;
    /// # Ok(()) }
    /// ```
    fn zmscore(self, key: impl ToArg, members: impl ToArg) -> Self::Output<Vec<Option<f64>>> {
        self.run(TypedCmd::new(cmd("ZMSCORE").arg(key).arg(members)))
    }

    /// `ZINCRBY key increment member`: the new score.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let score = redis.zincr_by("scores", 2.0, "ada").await?;
    /// # let _: f64 = score;
    /// # Ok(()) }
    /// ```
    fn zincr_by(self, key: impl ToArg, increment: f64, member: impl ToArg) -> Self::Output<f64> {
        self.run(TypedCmd::new(
            cmd("ZINCRBY").arg(key).arg(increment).arg(member),
        ))
    }

    /// `ZRANK key member`: the 0-based rank from the lowest score, `None` if absent.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let rank = redis.zrank("scores", "ada").await?;
    /// # let _: Option<u64> = rank;
    /// # Ok(()) }
    /// ```
    fn zrank(self, key: impl ToArg, member: impl ToArg) -> Self::Output<Option<u64>> {
        self.run(TypedCmd::new(cmd("ZRANK").arg(key).arg(member)))
    }

    /// `ZREVRANK key member`: the 0-based rank from the highest score, `None` if absent.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let place = redis.zrevrank("scores", "ada").await?;
    /// # let _: Option<u64> = place;
    /// # Ok(()) }
    /// ```
    fn zrevrank(self, key: impl ToArg, member: impl ToArg) -> Self::Output<Option<u64>> {
        self.run(TypedCmd::new(cmd("ZREVRANK").arg(key).arg(member)))
    }

    /// `ZCARD key`: the number of members.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.zcard("scores").await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn zcard(self, key: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("ZCARD").arg(key)))
    }

    /// `ZCOUNT key min max`: how many scores fall in the range (`"(1"`, `"-inf"`...).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let passing = redis.zcount("scores", 5, "+inf").await?;
    /// # let _: u64 = passing;
    /// # Ok(()) }
    /// ```
    fn zcount(self, key: impl ToArg, min: impl ToArg, max: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("ZCOUNT").arg(key).arg(min).arg(max)))
    }

    /// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]`: the members.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let top3: Vec<String> = redis.zrange("scores", ZRange::index(0, 2).rev()).await?;
    /// # Ok(()) }
    /// ```
    fn zrange<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        range: ZRange,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("ZRANGE").arg(key).arg(range)))
    }

    /// `ZRANGE key ... WITHSCORES`: the members and their scores, as `Vec<(M, f64)>`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let board: Vec<(String, f64)> =
    ///     redis.zrange_withscores("scores", ZRange::score(5, "+inf")).await?;
    /// # Ok(()) }
    /// ```
    fn zrange_withscores<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        range: ZRange,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(
            cmd("ZRANGE").arg(key).arg(range).arg("WITHSCORES"),
        ))
    }

    /// `ZRANGESTORE destination source ...`: stores the range; its size.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.zrangestore("top10", "scores", ZRange::index(0, 9).rev()).await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn zrangestore(
        self,
        destination: impl ToArg,
        source: impl ToArg,
        range: ZRange,
    ) -> Self::Output<u64> {
        self.run(TypedCmd::new(
            cmd("ZRANGESTORE").arg(destination).arg(source).arg(range),
        ))
    }

    /// `ZPOPMIN key [count]`: removes and returns the lowest members with their scores,
    /// as `Vec<(M, f64)>`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let lowest: Vec<(String, f64)> = redis.zpopmin("scores", 1).await?;
    /// # Ok(()) }
    /// ```
    fn zpopmin<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        count: u64,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("ZPOPMIN").arg(key).arg(count)))
    }

    /// `ZPOPMAX key [count]`: removes and returns the highest members with their scores.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let highest: Vec<(String, f64)> = redis.zpopmax("scores", 1).await?;
    /// # Ok(()) }
    /// ```
    fn zpopmax<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        count: u64,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("ZPOPMAX").arg(key).arg(count)))
    }

    /// `ZREMRANGEBYSCORE key min max`: how many were removed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let removed = redis.zremrangebyscore("scores", "-inf", "(5").await?;
    /// # let _: u64 = removed;
    /// # Ok(()) }
    /// ```
    fn zremrangebyscore(
        self,
        key: impl ToArg,
        min: impl ToArg,
        max: impl ToArg,
    ) -> Self::Output<u64> {
        self.run(TypedCmd::new(
            cmd("ZREMRANGEBYSCORE").arg(key).arg(min).arg(max),
        ))
    }

    /// `ZREMRANGEBYRANK key start stop`: how many were removed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let removed = redis.zremrangebyrank("scores", 0, -11).await?;
    /// # let _: u64 = removed;
    /// # Ok(()) }
    /// ```
    fn zremrangebyrank(self, key: impl ToArg, start: i64, stop: i64) -> Self::Output<u64> {
        self.run(TypedCmd::new(
            cmd("ZREMRANGEBYRANK").arg(key).arg(start).arg(stop),
        ))
    }

    /// `ZUNION numkeys key ... [AGGREGATE ...] WITHSCORES`: the union with scores,
    /// as `Vec<(M, f64)>`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let all: Vec<(String, f64)> = redis.zunion(&["a", "b"], Some(Aggregate::Max)).await?;
    /// # Ok(()) }
    /// ```
    fn zunion<V: FromRedis + Send + 'static, K: ToArg>(
        self,
        keys: &[K],
        aggregate: Option<Aggregate>,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(
            cmd("ZUNION")
                .arg(keys.len())
                .arg(keys)
                .arg(aggregate)
                .arg("WITHSCORES"),
        ))
    }

    /// `ZINTER numkeys key ... [AGGREGATE ...] WITHSCORES`: the intersection with scores.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let both: Vec<(String, f64)> = redis.zinter(&["a", "b"], None).await?;
    /// # Ok(()) }
    /// ```
    fn zinter<V: FromRedis + Send + 'static, K: ToArg>(
        self,
        keys: &[K],
        aggregate: Option<Aggregate>,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(
            cmd("ZINTER")
                .arg(keys.len())
                .arg(keys)
                .arg(aggregate)
                .arg("WITHSCORES"),
        ))
    }

    /// `ZUNIONSTORE destination numkeys key ... [AGGREGATE ...]`: the stored size.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.zunionstore("all", &["a", "b"], None).await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn zunionstore<K: ToArg>(
        self,
        destination: impl ToArg,
        keys: &[K],
        aggregate: Option<Aggregate>,
    ) -> Self::Output<u64> {
        self.run(TypedCmd::new(
            cmd("ZUNIONSTORE")
                .arg(destination)
                .arg(keys.len())
                .arg(keys)
                .arg(aggregate),
        ))
    }

    /// `ZINTERSTORE destination numkeys key ... [AGGREGATE ...]`: the stored size.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.zinterstore("both", &["a", "b"], Some(Aggregate::Min)).await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn zinterstore<K: ToArg>(
        self,
        destination: impl ToArg,
        keys: &[K],
        aggregate: Option<Aggregate>,
    ) -> Self::Output<u64> {
        self.run(TypedCmd::new(
            cmd("ZINTERSTORE")
                .arg(destination)
                .arg(keys.len())
                .arg(keys)
                .arg(aggregate),
        ))
    }
}

impl<H: Execute> SortedSetCommands for H {}
