//! `SCAN`, `HSCAN`, `SSCAN` and `ZSCAN` as [`Stream`]s: each cursor step is one request,
//! sent when the previous batch has been consumed, so a large keyspace is walked without
//! one long-blocking command and without holding it all in memory.
//!
//! Redis guarantees that every element present for the whole scan is returned; an element
//! added or removed meanwhile may or may not be, and one may come twice if the table is
//! resized mid-scan.

use futures::stream::{self, Stream, TryStreamExt};

use super::CommandHandle;
use crate::{cmd, Cmd, Error, FromRedis, ToArg};

/// The options of the `SCAN` family: `MATCH pattern`, `COUNT hint`, and for `SCAN` only
/// `TYPE type`.
///
/// ```
/// use hardy_redis::ScanOptions;
/// let sessions = ScanOptions::new().pattern("session:*").count(500).key_type("hash");
/// # let _ = sessions;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanOptions {
    pattern: Option<String>,
    count: Option<u64>,
    key_type: Option<String>,
}

impl ScanOptions {
    /// No option: every element, Redis' default batch size.
    pub fn new() -> Self {
        ScanOptions::default()
    }
    /// `MATCH pattern`: only elements matching the glob (filtered after each batch, so
    /// batches may be small or empty).
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }
    /// `COUNT hint`: about how many elements each step examines.
    pub fn count(mut self, hint: u64) -> Self {
        self.count = Some(hint);
        self
    }
    /// `TYPE type` (`SCAN` only): only keys of this type (`"string"`, `"hash"`, ...).
    pub fn key_type(mut self, key_type: impl Into<String>) -> Self {
        self.key_type = Some(key_type.into());
        self
    }
}

impl ToArg for ScanOptions {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push(self.pattern.as_ref().map(|p| ("MATCH", p)));
        cmd.push(self.count.map(|n| ("COUNT", n)));
        cmd.push(self.key_type.as_ref().map(|t| ("TYPE", t)));
    }
}

/// The elements of a cursor walk, one request per step: `build(cursor)` is the command.
fn cursor_stream<T, B, H>(
    redis: H,
    build: B,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: FromRedis + Send + 'static,
    B: Fn(&str) -> Cmd + Send + 'static,
    H: CommandHandle,
{
    let batches = stream::try_unfold(Some(String::from("0")), move |cursor| {
        let step = cursor.map(|c| (redis.clone(), build(&c)));
        async move {
            let Some((redis, cmd)) = step else {
                return Ok::<_, Error>(None);
            };
            let (next, batch): (String, Vec<T>) = redis.send_command(cmd).await?;
            let next = (next != "0").then_some(next);
            Ok(Some((stream::iter(batch.into_iter().map(Ok)), next)))
        }
    });
    batches.try_flatten()
}

/// The `SCAN` family as streams. Implemented for every [`CommandHandle`]: a [`Redis`](crate::Redis) and a
/// [`Pool`](crate::Pool) (whose steps may go to different members of the same server); a
/// pipeline cannot scan, since each step depends on the previous reply.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use hardy_redis::prelude::*;
///
/// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
/// let keys: Vec<String> = redis.scan(ScanOptions::new().pattern("user:*")).try_collect().await?;
/// # Ok(()) }
/// ```
pub trait ScanCommands {
    /// `SCAN cursor [MATCH p] [COUNT n] [TYPE t]`, repeated until the cursor is 0: the keys.
    fn scan<K: FromRedis + Send + 'static>(
        &self,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<K, Error>> + Send + 'static;

    /// `HSCAN key cursor [MATCH p] [COUNT n]`: the `(field, value)` pairs of a hash.
    fn hscan<F, V>(
        &self,
        key: impl ToArg,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<(F, V), Error>> + Send + 'static
    where
        F: FromRedis + Send + 'static,
        V: FromRedis + Send + 'static;

    /// `SSCAN key cursor [MATCH p] [COUNT n]`: the members of a set.
    fn sscan<M: FromRedis + Send + 'static>(
        &self,
        key: impl ToArg,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<M, Error>> + Send + 'static;

    /// `ZSCAN key cursor [MATCH p] [COUNT n]`: the `(member, score)` pairs of a sorted set.
    fn zscan<M: FromRedis + Send + 'static>(
        &self,
        key: impl ToArg,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<(M, f64), Error>> + Send + 'static;
}

/// `NAME key` as encoded arguments, so the stream owns its key.
fn keyed(name: &str, key: impl ToArg) -> Cmd {
    cmd(name).arg(key)
}

/// `prefix cursor options`: the prefix's arguments copied, then the cursor and options.
fn step(prefix: &Cmd, cursor: &str, options: &ScanOptions) -> Cmd {
    let mut args = prefix.args();
    let mut out = cmd(prefix.name());
    args.next();
    for arg in args {
        out.push_bytes(arg);
    }
    out.arg(cursor).arg(options)
}

impl<H: CommandHandle> ScanCommands for H {
    fn scan<K: FromRedis + Send + 'static>(
        &self,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<K, Error>> + Send + 'static {
        let prefix = cmd("SCAN");
        cursor_stream(self.clone(), move |c| step(&prefix, c, &options))
    }

    fn hscan<F, V>(
        &self,
        key: impl ToArg,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<(F, V), Error>> + Send + 'static
    where
        F: FromRedis + Send + 'static,
        V: FromRedis + Send + 'static,
    {
        let prefix = keyed("HSCAN", key);
        cursor_stream(self.clone(), move |c| step(&prefix, c, &options))
    }

    fn sscan<M: FromRedis + Send + 'static>(
        &self,
        key: impl ToArg,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<M, Error>> + Send + 'static {
        let prefix = keyed("SSCAN", key);
        cursor_stream(self.clone(), move |c| step(&prefix, c, &options))
    }

    fn zscan<M: FromRedis + Send + 'static>(
        &self,
        key: impl ToArg,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<(M, f64), Error>> + Send + 'static {
        let prefix = keyed("ZSCAN", key);
        cursor_stream(self.clone(), move |c| step(&prefix, c, &options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::options::encoded;

    #[test]
    fn scan_steps_encode_key_cursor_then_options() {
        let options = ScanOptions::new().pattern("a*").count(10).key_type("hash");
        assert_eq!(
            encoded(&step(&cmd("SCAN"), "17", &options)),
            ["SCAN", "17", "MATCH", "a*", "COUNT", "10", "TYPE", "hash"]
        );
        assert_eq!(
            encoded(&step(&keyed("HSCAN", "h"), "0", &ScanOptions::new())),
            ["HSCAN", "h", "0"]
        );
    }
}
