//! Typed blocking commands (`BLPOP`, `BLMOVE`, `XREAD ... BLOCK`, `WAIT`, ...), on the
//! handles made for them: a [`Lease`] and a [`BlockingPool`].
//!
//! A blocking command holds its connection until data arrives, so the shared, pipelined
//! [`Redis`](crate::Redis) handle refuses it. These methods live on their own trait,
//! [`BlockingCommands`], implemented only for `&mut Lease` and `&BlockingPool` (through
//! [`BlockingExecute`]): calling one on the shared handle does not compile.
//!
//! ```compile_fail
//! use std::time::Duration;
//! use hardy_redis::prelude::*;
//!
//! # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
//! // error: `BlockingCommands` is not implemented for `&Redis`
//! let job: Option<(String, String)> = redis.blpop("jobs", Duration::from_secs(1)).await?;
//! # Ok(()) }
//! ```
//!
//! Each takes its block timeout as a [`Duration`] (rounded up to whole milliseconds),
//! last, and [`Duration::ZERO`] blocks for ever. The reply is awaited for that long plus
//! the pool's margin ([`DEFAULT_BLOCK_MARGIN`](crate::DEFAULT_BLOCK_MARGIN) unless the
//! config's command timeout is set), as for raw commands on a [`Lease`].

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::streams::{streams_args, StreamReads};
use super::{Reply, Side, TypedCmd};
use crate::{cmd, BlockingPool, Cmd, Error, FromRedis, Lease, ToArg};

/// A handle that runs blocking commands: the executing half of [`BlockingCommands`].
///
/// | handle | `Output<T>` | what a blocking method does |
/// |---|---|---|
/// | `&mut Lease` | [`Reply<T>`] | runs it on the leased connection |
/// | `&BlockingPool` | [`LocalReply<T>`] | leases a connection, runs it, gives the connection back |
///
/// Not implemented for [`Redis`](crate::Redis), [`Pool`](crate::Pool) or
/// [`Pipeline`](crate::Pipeline): a blocking command would stall everything queued behind
/// it there.
pub trait BlockingExecute: Sized {
    /// What a blocking method returns on this handle.
    type Output<T: FromRedis + Send + 'static>;

    /// Runs `cmd`, waiting for its reply as long as its block timeout plus the margin.
    fn run_blocking<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> Self::Output<T>;
}

impl<'a> BlockingExecute for &'a mut Lease {
    type Output<T: FromRedis + Send + 'static> = Reply<'a, T>;

    fn run_blocking<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> Reply<'a, T> {
        Box::pin(self.command(cmd.into_cmd()))
    }
}

/// The future a [`BlockingPool`]'s blocking method returns: the reply, converted. Not
/// `Send`: a lease may connect a new connection, whose actor starts on the current
/// arbiter. (A [`Lease`]'s methods return a `Send` [`Reply`].)
pub type LocalReply<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + 'a>>;

impl<'a> BlockingExecute for &'a BlockingPool {
    type Output<T: FromRedis + Send + 'static> = LocalReply<'a, T>;

    fn run_blocking<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> LocalReply<'a, T> {
        Box::pin(self.command(cmd.into_cmd()))
    }
}

/// A block timeout in whole milliseconds, rounded up (so a non-zero timeout never becomes
/// Redis's 0, which blocks for ever).
fn millis(timeout: Duration) -> u128 {
    timeout.as_nanos().div_ceil(1_000_000)
}

/// A block timeout as the seconds `BLPOP` and its kin take: `"2"`, `"0.25"`, `"0"`.
fn seconds(timeout: Duration) -> String {
    let ms = millis(timeout);
    match ms % 1000 {
        0 => (ms / 1000).to_string(),
        frac => format!("{}.{frac:03}", ms / 1000),
    }
}

/// `... [COUNT n] BLOCK ms STREAMS key ... id ...`, after `head`.
fn blocking_read<K: ToArg, I: ToArg>(
    head: Cmd,
    count: Option<u64>,
    noack: bool,
    keys: &[K],
    ids: &[I],
    block: Duration,
) -> Cmd {
    let head = head
        .arg(count.map(|n| ("COUNT", n)))
        .arg("BLOCK")
        .arg(millis(block).to_string())
        .arg(noack.then_some("NOACK"));
    streams_args(head, None, keys, ids)
}

/// Typed blocking commands, for a [`Lease`] or a [`BlockingPool`]
/// (`use hardy_redis::prelude::*`). Each waits up to its `timeout`
/// ([`Duration::ZERO`]: for ever) and returns the "nothing came" value when it passes.
pub trait BlockingCommands: BlockingExecute {
    /// `BLPOP key [key ...] timeout`: the first element of the first non-empty list, and
    /// that list's name; `None` when the timeout passed first.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hardy_redis::prelude::*;
    ///
    /// # async fn demo(queues: BlockingPool) -> Result<(), hardy_redis::Error> {
    /// let job: Option<(String, String)> =
    ///     queues.blpop(["urgent", "normal"], Duration::from_secs(5)).await?;
    /// if let Some((queue, job)) = job {
    ///     println!("{job} from {queue}");
    /// }
    /// # Ok(()) }
    /// ```
    fn blpop<V: FromRedis + Send + 'static>(
        self,
        keys: impl ToArg,
        timeout: Duration,
    ) -> Self::Output<Option<(String, V)>> {
        self.run_blocking(TypedCmd::new(cmd("BLPOP").arg(keys).arg(seconds(timeout))))
    }

    /// `BRPOP key [key ...] timeout`: as [`blpop`](Self::blpop), from the tail.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hardy_redis::prelude::*;
    ///
    /// # async fn demo(queues: BlockingPool) -> Result<(), hardy_redis::Error> {
    /// let mut lease = queues.lease().await?;
    /// let last: Option<(String, String)> = lease.brpop("jobs", Duration::ZERO).await?;
    /// # Ok(()) }
    /// ```
    fn brpop<V: FromRedis + Send + 'static>(
        self,
        keys: impl ToArg,
        timeout: Duration,
    ) -> Self::Output<Option<(String, V)>> {
        self.run_blocking(TypedCmd::new(cmd("BRPOP").arg(keys).arg(seconds(timeout))))
    }

    /// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`: the element moved;
    /// `None` when the timeout passed first. The reliable-queue step: the element is in
    /// `destination` (a processing list) before the reply leaves Redis, so a worker that
    /// dies with it leaves it there to be re-queued, never lost.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hardy_redis::prelude::*;
    ///
    /// # async fn demo(queues: BlockingPool, redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let job: Option<String> = queues
    ///     .blmove("jobs", "processing", Side::Left, Side::Right, Duration::from_secs(5))
    ///     .await?;
    /// if let Some(job) = job {
    ///     // ... do the work, then take it off the processing list:
    ///     redis.lrem("processing", 1, &job).await?;
    /// }
    /// # Ok(()) }
    /// ```
    fn blmove<V: FromRedis + Send + 'static>(
        self,
        source: impl ToArg,
        destination: impl ToArg,
        from: Side,
        to: Side,
        timeout: Duration,
    ) -> Self::Output<Option<V>> {
        self.run_blocking(TypedCmd::new(
            cmd("BLMOVE")
                .arg(source)
                .arg(destination)
                .arg(from)
                .arg(to)
                .arg(seconds(timeout)),
        ))
    }

    /// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT COUNT count`: from the first
    /// non-empty list, its name and up to `count` elements; `None` when the timeout passed
    /// first. (Redis takes the timeout first; here it is last, as for every blocking
    /// method.)
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hardy_redis::prelude::*;
    ///
    /// # async fn demo(queues: BlockingPool) -> Result<(), hardy_redis::Error> {
    /// let batch: Option<(String, Vec<String>)> = queues
    ///     .blmpop(&["urgent", "normal"], Side::Left, 10, Duration::from_secs(1))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    fn blmpop<V: FromRedis + Send + 'static, K: ToArg>(
        self,
        keys: &[K],
        side: Side,
        count: u64,
        timeout: Duration,
    ) -> Self::Output<Option<(String, Vec<V>)>> {
        self.run_blocking(TypedCmd::new(
            cmd("BLMPOP")
                .arg(seconds(timeout))
                .arg(keys.len())
                .arg(keys)
                .arg(side)
                .arg("COUNT")
                .arg(count),
        ))
    }

    /// `BZPOPMIN key [key ...] timeout`: the lowest-scored member of the first non-empty
    /// sorted set, as `(key, member, score)`; `None` when the timeout passed first.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hardy_redis::prelude::*;
    ///
    /// # async fn demo(queues: BlockingPool) -> Result<(), hardy_redis::Error> {
    /// let next: Option<(String, String, f64)> =
    ///     queues.bzpopmin("deadlines", Duration::from_millis(500)).await?;
    /// # Ok(()) }
    /// ```
    fn bzpopmin<M: FromRedis + Send + 'static>(
        self,
        keys: impl ToArg,
        timeout: Duration,
    ) -> Self::Output<Option<(String, M, f64)>> {
        self.run_blocking(TypedCmd::new(
            cmd("BZPOPMIN").arg(keys).arg(seconds(timeout)),
        ))
    }

    /// `BZPOPMAX key [key ...] timeout`: as [`bzpopmin`](Self::bzpopmin), the
    /// highest-scored member.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hardy_redis::prelude::*;
    ///
    /// # async fn demo(queues: BlockingPool) -> Result<(), hardy_redis::Error> {
    /// let top: Option<(String, String, f64)> =
    ///     queues.bzpopmax("bids", Duration::from_secs(1)).await?;
    /// # Ok(()) }
    /// ```
    fn bzpopmax<M: FromRedis + Send + 'static>(
        self,
        keys: impl ToArg,
        timeout: Duration,
    ) -> Self::Output<Option<(String, M, f64)>> {
        self.run_blocking(TypedCmd::new(
            cmd("BZPOPMAX").arg(keys).arg(seconds(timeout)),
        ))
    }

    /// `XREAD [COUNT n] BLOCK ms STREAMS key ... id ...`: for each stream with entries
    /// after its id (`"$"`: only entries added from now on), the stream's name and those
    /// entries; empty when the timeout passed first.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hardy_redis::prelude::*;
    ///
    /// # async fn demo(queues: BlockingPool) -> Result<(), hardy_redis::Error> {
    /// let mut lease = queues.lease().await?;
    /// let mut last = String::from("$");
    /// loop {
    ///     let reads: Vec<(String, Vec<StreamEntry>)> = lease
    ///         .xread_block(Some(100), &["events"], &[&last], Duration::from_secs(5))
    ///         .await?;
    ///     for (_stream, entries) in reads {
    ///         for entry in entries {
    ///             println!("{}: {:?}", entry.id, entry.fields);
    ///             last = entry.id;
    ///         }
    ///     }
    /// #   break;
    /// }
    /// # Ok(()) }
    /// ```
    fn xread_block<F: FromRedis + Send + 'static, K: ToArg, I: ToArg>(
        self,
        count: Option<u64>,
        keys: &[K],
        ids: &[I],
        block: Duration,
    ) -> Self::Output<StreamReads<F>> {
        let read = blocking_read(cmd("XREAD"), count, false, keys, ids, block);
        self.run_blocking(TypedCmd::new(read))
    }

    /// `XREADGROUP GROUP group consumer [COUNT n] BLOCK ms [NOACK] STREAMS key ... id ...`
    /// (`">"`: entries never delivered to the group): the entries, per stream; empty when
    /// the timeout passed first.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hardy_redis::prelude::*;
    ///
    /// # async fn demo(queues: BlockingPool, redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let reads: Vec<(String, Vec<StreamEntry>)> = queues
    ///     .xreadgroup_block("mailers", "worker-1", Some(10), false, &["events"], &[">"],
    ///         Duration::from_secs(5))
    ///     .await?;
    /// for (stream, entries) in reads {
    ///     for entry in entries {
    ///         // ... handle it, then:
    ///         redis.xack(&stream, "mailers", &entry.id).await?;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    #[allow(clippy::too_many_arguments)]
    fn xreadgroup_block<F: FromRedis + Send + 'static, K: ToArg, I: ToArg>(
        self,
        group: impl ToArg,
        consumer: impl ToArg,
        count: Option<u64>,
        noack: bool,
        keys: &[K],
        ids: &[I],
        block: Duration,
    ) -> Self::Output<StreamReads<F>> {
        let head = cmd("XREADGROUP").arg("GROUP").arg(group).arg(consumer);
        let read = blocking_read(head, count, noack, keys, ids, block);
        self.run_blocking(TypedCmd::new(read))
    }

    /// `WAIT numreplicas timeout`: blocks until the writes this connection made so far
    /// reached `numreplicas` replicas, or the timeout passed; how many replicas
    /// acknowledged them. Only the lease's own writes count: send them on the same
    /// [`Lease`] first.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hardy_redis::prelude::*;
    ///
    /// # async fn demo(queues: BlockingPool) -> Result<(), hardy_redis::Error> {
    /// let mut lease = queues.lease().await?;
    /// lease.set("balance", 100).await?;
    /// let acked = lease.wait(1, Duration::from_millis(200)).await?;
    /// # let _: u64 = acked;
    /// # Ok(()) }
    /// ```
    fn wait(self, replicas: u64, timeout: Duration) -> Self::Output<u64> {
        self.run_blocking(TypedCmd::new(
            cmd("WAIT").arg(replicas).arg(millis(timeout).to_string()),
        ))
    }
}

impl<H: BlockingExecute> BlockingCommands for H {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::options::encoded;

    /// What a blocking method sends, without sending it.
    struct Capture;

    impl BlockingExecute for Capture {
        type Output<T: FromRedis + Send + 'static> = Vec<String>;

        fn run_blocking<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> Vec<String> {
            encoded(cmd.cmd())
        }
    }

    #[test]
    fn timeouts_round_up_to_milliseconds_and_zero_stays_forever() {
        assert_eq!(seconds(Duration::ZERO), "0");
        assert_eq!(seconds(Duration::from_secs(2)), "2");
        assert_eq!(seconds(Duration::from_millis(250)), "0.250");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.500");
        assert_eq!(seconds(Duration::from_micros(1)), "0.001");
        assert_eq!(millis(Duration::from_nanos(1_000_001)), 2);
    }

    #[test]
    fn list_pops_encode_keys_then_timeout_in_seconds() {
        let secs = Duration::from_secs(1);
        assert_eq!(
            Capture.blpop::<String>(["a", "b"], secs),
            ["BLPOP", "a", "b", "1"]
        );
        assert_eq!(
            Capture.brpop::<String>("a", Duration::ZERO),
            ["BRPOP", "a", "0"]
        );
        assert_eq!(
            Capture.blmove::<String>("a", "b", Side::Left, Side::Right, secs),
            ["BLMOVE", "a", "b", "LEFT", "RIGHT", "1"]
        );
        assert_eq!(
            Capture.blmpop::<String, _>(&["a", "b"], Side::Right, 3, Duration::from_millis(1)),
            ["BLMPOP", "0.001", "2", "a", "b", "RIGHT", "COUNT", "3"]
        );
        assert_eq!(
            Capture.bzpopmin::<String>("z", secs),
            ["BZPOPMIN", "z", "1"]
        );
        assert_eq!(
            Capture.bzpopmax::<String>(["y", "z"], secs),
            ["BZPOPMAX", "y", "z", "1"]
        );
    }

    #[test]
    fn stream_reads_put_block_in_milliseconds_before_streams() {
        let block = Duration::from_millis(1500);
        assert_eq!(
            Capture.xread_block::<Vec<(String, String)>, _, _>(None, &["s"], &["$"], block),
            ["XREAD", "BLOCK", "1500", "STREAMS", "s", "$"]
        );
        assert_eq!(
            Capture.xreadgroup_block::<Vec<(String, String)>, _, _>(
                "g",
                "c",
                Some(5),
                true,
                &["a", "b"],
                &[">", ">"],
                Duration::ZERO
            ),
            [
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "COUNT",
                "5",
                "BLOCK",
                "0",
                "NOACK",
                "STREAMS",
                "a",
                "b",
                ">",
                ">"
            ]
        );
        assert_eq!(
            Capture.wait(2, Duration::from_millis(100)),
            ["WAIT", "2", "100"]
        );
    }

    #[test]
    fn the_pools_timeout_parser_reads_back_what_these_methods_encode() {
        let typed = |c: Vec<String>| {
            let mut out = cmd(&c[0]);
            for a in &c[1..] {
                out = out.arg(a.as_str());
            }
            out
        };
        let blpop = typed(Capture.blpop::<String>("a", Duration::from_millis(1500)));
        assert_eq!(
            crate::blocking::deadline(&blpop, Duration::from_secs(2)),
            Some(Duration::from_millis(3500))
        );
        let xread = typed(Capture.xread_block::<Vec<(String, String)>, _, _>(
            Some(1),
            &["s"],
            &["$"],
            Duration::ZERO,
        ));
        assert_eq!(
            crate::blocking::deadline(&xread, Duration::from_secs(2)),
            None
        );
    }
}
