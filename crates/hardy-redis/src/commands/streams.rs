//! Stream commands with typed entries. `XREAD`/`XREADGROUP` are non-blocking here (no
//! `BLOCK`): a blocking read would stall every other caller of a shared connection. The
//! blocking forms are [`BlockingCommands::xread_block`](super::BlockingCommands::xread_block)
//! and `xreadgroup_block`, on a [`BlockingPool`](crate::BlockingPool).

use std::collections::HashMap;

use super::{Execute, TypedCmd};
use crate::resp::Frame;
use crate::{cmd, Cmd, FromRedis, ToArg, TypeError};

/// One stream entry: its id and its fields, as `F` (a `HashMap<String, String>` by
/// default; `Vec<(String, Bytes)>` keeps order and duplicates). An entry deleted while
/// pending (in `XCLAIM`/`XAUTOCLAIM` replies) has no fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry<F = HashMap<String, String>> {
    /// The entry id, `"<ms>-<seq>"`.
    pub id: String,
    /// The field-value pairs.
    pub fields: F,
}

impl<F: FromRedis> FromRedis for StreamEntry<F> {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        let (id, fields) = <(String, F)>::from_redis(frame)?;
        Ok(StreamEntry { id, fields })
    }
}

/// Trimming for `XADD` and `XTRIM`: `MAXLEN` or `MINID`, exact (`=`) or approximate
/// (`~`), with an optional `LIMIT`.
///
/// ```
/// use hardy_redis::XTrim;
/// let keep_about_1000 = XTrim::maxlen(1000).approx();
/// # let _ = keep_about_1000;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XTrim {
    strategy: &'static str,
    threshold: String,
    approx: bool,
    limit: Option<u64>,
}

impl XTrim {
    /// `MAXLEN n`: keep the newest `n` entries.
    pub fn maxlen(n: u64) -> Self {
        XTrim {
            strategy: "MAXLEN",
            threshold: n.to_string(),
            approx: false,
            limit: None,
        }
    }
    /// `MINID id`: drop entries with ids below `id`.
    pub fn minid(id: impl Into<String>) -> Self {
        XTrim {
            strategy: "MINID",
            threshold: id.into(),
            approx: false,
            limit: None,
        }
    }
    /// `~`: trim only whole macro nodes (much cheaper; keeps at least the threshold).
    pub fn approx(mut self) -> Self {
        self.approx = true;
        self
    }
    /// `LIMIT count`: evict at most this many entries (only with [`approx`](Self::approx)).
    pub fn limit(mut self, count: u64) -> Self {
        self.limit = Some(count);
        self
    }
}

impl ToArg for XTrim {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push(self.strategy);
        if self.approx {
            cmd.push("~");
        }
        cmd.push(&self.threshold);
        if let Some(count) = self.limit {
            cmd.push("LIMIT").push(count);
        }
    }
}

/// The options of `XADD`: `NOMKSTREAM` and trimming.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XAddOptions {
    nomkstream: bool,
    trim: Option<XTrim>,
}

impl XAddOptions {
    /// No option.
    pub fn new() -> Self {
        XAddOptions::default()
    }
    /// `NOMKSTREAM`: do not create a missing stream (the reply is then null).
    pub fn nomkstream(mut self) -> Self {
        self.nomkstream = true;
        self
    }
    /// Trim the stream as the entry is added.
    pub fn trim(mut self, trim: XTrim) -> Self {
        self.trim = Some(trim);
        self
    }
}

impl ToArg for XAddOptions {
    fn write_args(&self, cmd: &mut Cmd) {
        if self.nomkstream {
            cmd.push("NOMKSTREAM");
        }
        cmd.push(&self.trim);
    }
}

/// The summary form of `XPENDING key group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XPendingSummary {
    /// How many entries are pending.
    pub count: u64,
    /// The smallest pending id, if any.
    pub smallest: Option<String>,
    /// The largest pending id, if any.
    pub largest: Option<String>,
    /// Each consumer with pending entries, and how many.
    pub consumers: Vec<(String, u64)>,
}

impl FromRedis for XPendingSummary {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        let (count, smallest, largest, consumers) = FromRedis::from_redis(frame)?;
        Ok(XPendingSummary {
            count,
            smallest,
            largest,
            consumers,
        })
    }
}

/// The reply of `XAUTOCLAIM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XAutoClaim<F = HashMap<String, String>> {
    /// Where the next call should start (`"0-0"`: the scan is complete).
    pub next: String,
    /// The entries now owned by the claiming consumer.
    pub claimed: Vec<StreamEntry<F>>,
    /// Ids that were pending but no longer exist in the stream (removed from the PEL).
    pub deleted: Vec<String>,
}

impl<F: FromRedis> FromRedis for XAutoClaim<F> {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        let (next, claimed, deleted) = FromRedis::from_redis(frame)?;
        Ok(XAutoClaim {
            next,
            claimed,
            deleted,
        })
    }
}

/// `[COUNT n] STREAMS key ... id ...`, shared by `XREAD` and `XREADGROUP`.
pub(super) fn streams_args<K: ToArg, I: ToArg>(
    cmd: Cmd,
    count: Option<u64>,
    keys: &[K],
    ids: &[I],
) -> Cmd {
    cmd.arg(count.map(|n| ("COUNT", n)))
        .arg("STREAMS")
        .arg(keys)
        .arg(ids)
}

/// Entries read from several streams: each stream's name and its new entries.
pub type StreamReads<F> = Vec<(String, Vec<StreamEntry<F>>)>;

/// Typed stream commands, for every [`Execute`] handle (`use hardy_redis::prelude::*`).
pub trait StreamCommands: Execute {
    /// `XADD key id field value [field value ...]` (`"*"` for an id Redis picks): the id.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let id = redis.xadd("events", "*", [("kind", "login"), ("user", "ada")]).await?;
    /// # let _: String = id;
    /// # Ok(()) }
    /// ```
    fn xadd(self, key: impl ToArg, id: impl ToArg, fields: impl ToArg) -> Self::Output<String> {
        self.run(TypedCmd::new(cmd("XADD").arg(key).arg(id).arg(fields)))
    }

    /// `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT n]] id field value ...`:
    /// the id, `None` when `NOMKSTREAM` found no stream.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let options = XAddOptions::new().trim(XTrim::maxlen(10_000).approx());
    /// let id = redis.xadd_with("events", options, "*", [("kind", "logout")]).await?;
    /// # let _: Option<String> = id;
    /// # Ok(()) }
    /// ```
    fn xadd_with(
        self,
        key: impl ToArg,
        options: XAddOptions,
        id: impl ToArg,
        fields: impl ToArg,
    ) -> Self::Output<Option<String>> {
        self.run(TypedCmd::new(
            cmd("XADD").arg(key).arg(options).arg(id).arg(fields),
        ))
    }

    /// `XRANGE key start end [COUNT n]` (`"-"` and `"+"` for the ends): the entries.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let entries: Vec<StreamEntry> = redis.xrange("events", "-", "+", Some(100)).await?;
    /// # Ok(()) }
    /// ```
    fn xrange<F: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        start: impl ToArg,
        end: impl ToArg,
        count: Option<u64>,
    ) -> Self::Output<Vec<StreamEntry<F>>> {
        let count = count.map(|n| ("COUNT", n));
        self.run(TypedCmd::new(
            cmd("XRANGE").arg(key).arg(start).arg(end).arg(count),
        ))
    }

    /// `XREVRANGE key end start [COUNT n]`: the entries, newest first.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let latest: Vec<StreamEntry> = redis.xrevrange("events", "+", "-", Some(1)).await?;
    /// # Ok(()) }
    /// ```
    fn xrevrange<F: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        end: impl ToArg,
        start: impl ToArg,
        count: Option<u64>,
    ) -> Self::Output<Vec<StreamEntry<F>>> {
        let count = count.map(|n| ("COUNT", n));
        self.run(TypedCmd::new(
            cmd("XREVRANGE").arg(key).arg(end).arg(start).arg(count),
        ))
    }

    /// `XLEN key`: the number of entries.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.xlen("events").await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn xlen(self, key: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("XLEN").arg(key)))
    }

    /// `XDEL key id [id ...]`: how many entries were deleted.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.xdel("events", ["1-0", "2-0"]).await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn xdel(self, key: impl ToArg, ids: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("XDEL").arg(key).arg(ids)))
    }

    /// `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT n]`: how many entries were evicted.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let evicted = redis.xtrim("events", XTrim::maxlen(1000)).await?;
    /// # let _: u64 = evicted;
    /// # Ok(()) }
    /// ```
    fn xtrim(self, key: impl ToArg, trim: XTrim) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("XTRIM").arg(key).arg(trim)))
    }

    /// `XGROUP CREATE key group id [MKSTREAM]` (`"$"`: only new entries; `"0"`: all).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// redis.xgroup_create("events", "mailers", "$", true).await?;
    /// # Ok(()) }
    /// ```
    fn xgroup_create(
        self,
        key: impl ToArg,
        group: impl ToArg,
        id: impl ToArg,
        mkstream: bool,
    ) -> Self::Output<()> {
        let mkstream = mkstream.then_some("MKSTREAM");
        self.run(TypedCmd::new(
            cmd("XGROUP")
                .arg("CREATE")
                .arg(key)
                .arg(group)
                .arg(id)
                .arg(mkstream),
        ))
    }

    /// `XGROUP DESTROY key group`: whether the group existed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let existed = redis.xgroup_destroy("events", "mailers").await?;
    /// # let _: bool = existed;
    /// # Ok(()) }
    /// ```
    fn xgroup_destroy(self, key: impl ToArg, group: impl ToArg) -> Self::Output<bool> {
        self.run(TypedCmd::new(
            cmd("XGROUP").arg("DESTROY").arg(key).arg(group),
        ))
    }

    /// `XGROUP CREATECONSUMER key group consumer`: whether it was created.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let created = redis.xgroup_createconsumer("events", "mailers", "worker-1").await?;
    /// # let _: bool = created;
    /// # Ok(()) }
    /// ```
    fn xgroup_createconsumer(
        self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
    ) -> Self::Output<bool> {
        self.run(TypedCmd::new(
            cmd("XGROUP")
                .arg("CREATECONSUMER")
                .arg(key)
                .arg(group)
                .arg(consumer),
        ))
    }

    /// `XGROUP DELCONSUMER key group consumer`: how many pending entries it had.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let dropped = redis.xgroup_delconsumer("events", "mailers", "worker-1").await?;
    /// # let _: u64 = dropped;
    /// # Ok(()) }
    /// ```
    fn xgroup_delconsumer(
        self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
    ) -> Self::Output<u64> {
        self.run(TypedCmd::new(
            cmd("XGROUP")
                .arg("DELCONSUMER")
                .arg(key)
                .arg(group)
                .arg(consumer),
        ))
    }

    /// `XREAD [COUNT n] STREAMS key ... id ...`, without `BLOCK`: for each stream with
    /// entries after its id, the stream's name and those entries (empty: nothing new).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let reads: Vec<(String, Vec<StreamEntry>)> =
    ///     redis.xread(Some(100), &["events"], &["0-0"]).await?;
    /// # Ok(()) }
    /// ```
    fn xread<F: FromRedis + Send + 'static, K: ToArg, I: ToArg>(
        self,
        count: Option<u64>,
        keys: &[K],
        ids: &[I],
    ) -> Self::Output<StreamReads<F>> {
        self.run(TypedCmd::new(streams_args(cmd("XREAD"), count, keys, ids)))
    }

    /// `XREADGROUP GROUP group consumer [COUNT n] [NOACK] STREAMS key ... id ...`, without
    /// `BLOCK` (`">"`: entries never delivered to the group; an id: this consumer's
    /// pending entries after it).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let reads: Vec<(String, Vec<StreamEntry>)> = redis
    ///     .xreadgroup("mailers", "worker-1", Some(10), false, &["events"], &[">"])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    fn xreadgroup<F: FromRedis + Send + 'static, K: ToArg, I: ToArg>(
        self,
        group: impl ToArg,
        consumer: impl ToArg,
        count: Option<u64>,
        noack: bool,
        keys: &[K],
        ids: &[I],
    ) -> Self::Output<StreamReads<F>> {
        let head = cmd("XREADGROUP").arg("GROUP").arg(group).arg(consumer);
        let head = head
            .arg(count.map(|n| ("COUNT", n)))
            .arg(noack.then_some("NOACK"));
        self.run(TypedCmd::new(streams_args(head, None, keys, ids)))
    }

    /// `XACK key group id [id ...]`: how many entries were acknowledged.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let acked = redis.xack("events", "mailers", ["1-0"]).await?;
    /// # let _: u64 = acked;
    /// # Ok(()) }
    /// ```
    fn xack(self, key: impl ToArg, group: impl ToArg, ids: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("XACK").arg(key).arg(group).arg(ids)))
    }

    /// `XPENDING key group`: the summary of the group's pending entries.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let pending = redis.xpending("events", "mailers").await?;
    /// println!("{} pending", pending.count);
    /// # Ok(()) }
    /// ```
    fn xpending(self, key: impl ToArg, group: impl ToArg) -> Self::Output<XPendingSummary> {
        self.run(TypedCmd::new(cmd("XPENDING").arg(key).arg(group)))
    }

    /// `XPENDING key group [IDLE ms] start end count [consumer]`: the pending entries as
    /// `(id, consumer, idle milliseconds, deliveries)`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let stuck = redis
    ///     .xpending_range("events", "mailers", Some(60_000), "-", "+", 10, None::<&str>)
    ///     .await?;
    /// # let _: Vec<(String, String, u64, u64)> = stuck;
    /// # Ok(()) }
    /// ```
    #[allow(clippy::too_many_arguments)]
    fn xpending_range(
        self,
        key: impl ToArg,
        group: impl ToArg,
        min_idle_ms: Option<u64>,
        start: impl ToArg,
        end: impl ToArg,
        count: u64,
        consumer: Option<impl ToArg>,
    ) -> Self::Output<Vec<(String, String, u64, u64)>> {
        let idle = min_idle_ms.map(|ms| ("IDLE", ms));
        self.run(TypedCmd::new(
            cmd("XPENDING")
                .arg(key)
                .arg(group)
                .arg(idle)
                .arg(start)
                .arg(end)
                .arg(count)
                .arg(consumer),
        ))
    }

    /// `XCLAIM key group consumer min-idle-time id [id ...]`: the entries now owned by
    /// `consumer`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let mine: Vec<StreamEntry> =
    ///     redis.xclaim("events", "mailers", "worker-2", 60_000, ["1-0"]).await?;
    /// # Ok(()) }
    /// ```
    fn xclaim<F: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
        min_idle_ms: u64,
        ids: impl ToArg,
    ) -> Self::Output<Vec<StreamEntry<F>>> {
        self.run(TypedCmd::new(
            cmd("XCLAIM")
                .arg(key)
                .arg(group)
                .arg(consumer)
                .arg(min_idle_ms)
                .arg(ids),
        ))
    }

    /// `XAUTOCLAIM key group consumer min-idle-time start [COUNT n]`: claims entries idle
    /// that long, from `start` (`"0-0"` at first, then the reply's `next`).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let claim: XAutoClaim =
    ///     redis.xautoclaim("events", "mailers", "worker-2", 60_000, "0-0", Some(10)).await?;
    /// # Ok(()) }
    /// ```
    fn xautoclaim<F: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
        min_idle_ms: u64,
        start: impl ToArg,
        count: Option<u64>,
    ) -> Self::Output<XAutoClaim<F>> {
        let count = count.map(|n| ("COUNT", n));
        self.run(TypedCmd::new(
            cmd("XAUTOCLAIM")
                .arg(key)
                .arg(group)
                .arg(consumer)
                .arg(min_idle_ms)
                .arg(start)
                .arg(count),
        ))
    }

    /// `XINFO STREAM key`: the stream's facts, e.g. into `HashMap<String, Frame>`
    /// (`"length"`, `"last-generated-id"`, `"groups"`, `"first-entry"`, ...).
    ///
    /// ```no_run
    /// # use std::collections::HashMap;
    /// # use hardy_redis::{prelude::*, Frame};
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let info: HashMap<String, Frame> = redis.xinfo_stream("events").await?;
    /// # Ok(()) }
    /// ```
    fn xinfo_stream<V: FromRedis + Send + 'static>(self, key: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("XINFO").arg("STREAM").arg(key)))
    }

    /// `XINFO GROUPS key`: one map per group (`"name"`, `"consumers"`, `"pending"`,
    /// `"last-delivered-id"`, ...), e.g. into `Vec<HashMap<String, Frame>>`.
    ///
    /// ```no_run
    /// # use std::collections::HashMap;
    /// # use hardy_redis::{prelude::*, Frame};
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let groups: Vec<HashMap<String, Frame>> = redis.xinfo_groups("events").await?;
    /// # Ok(()) }
    /// ```
    fn xinfo_groups<V: FromRedis + Send + 'static>(self, key: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("XINFO").arg("GROUPS").arg(key)))
    }
}

impl<H: Execute> StreamCommands for H {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::options::encoded;

    fn args(arg: impl ToArg) -> Vec<String> {
        encoded(&cmd("X").arg(arg))[1..].to_vec()
    }

    #[test]
    fn xtrim_encodes_strategy_operator_threshold_limit() {
        assert_eq!(args(XTrim::maxlen(10)), ["MAXLEN", "10"]);
        assert_eq!(args(XTrim::maxlen(10).approx()), ["MAXLEN", "~", "10"]);
        assert_eq!(
            args(XTrim::minid("5-0").approx().limit(100)),
            ["MINID", "~", "5-0", "LIMIT", "100"]
        );
    }

    #[test]
    fn xadd_options_put_nomkstream_before_trimming() {
        assert_eq!(args(XAddOptions::new()), Vec::<String>::new());
        let opts = XAddOptions::new().trim(XTrim::maxlen(3)).nomkstream();
        assert_eq!(args(opts), ["NOMKSTREAM", "MAXLEN", "3"]);
    }

    #[test]
    fn xreadgroup_encodes_group_count_noack_then_streams() {
        let typed = (&mut crate::Pipeline::new())
            .xreadgroup::<HashMap<String, String>, _, _>(
                "g",
                "c",
                Some(5),
                true,
                &["a", "b"],
                &[">", ">"],
            )
            .clone();
        let sent = encoded(&typed.into_cmds()[0]);
        assert_eq!(
            sent,
            [
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "COUNT",
                "5",
                "NOACK",
                "STREAMS",
                "a",
                "b",
                ">",
                ">"
            ]
        );
    }
}
