//! [`BlockingPool`]: a small bounded set of dedicated connections for blocking commands.
//!
//! `BLPOP` and friends hold their connection until data arrives: on the shared, pipelined
//! connection every other caller's command would wait behind them. A lease gives one
//! caller a connection of its own for as long as it needs; its timeout follows the
//! command's own block timeout. A lease whose command did not complete (its future was
//! dropped mid-block, or it timed out) is never handed to anyone else: the connection is
//! closed, so a late reply cannot reach the next caller. Nor is a connection whose session
//! its user changed (`SELECT`, `CLIENT SETNAME`, a `WATCH` left open: see [`session`]).
//!
//! The typed blocking methods ([`BlockingCommands`](crate::BlockingCommands)) run on a
//! [`Lease`] or a [`BlockingPool`], never on the shared [`Redis`] handle.

mod session;

pub(crate) use session::SessionMarks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::client::convert;
use crate::messages::Command;
use crate::{Cmd, Config, Error, FromRedis, Redis};

/// Extra time given to a blocking command beyond its own block timeout, unless the
/// config's command timeout is set (that is then the margin).
pub const DEFAULT_BLOCK_MARGIN: Duration = Duration::from_secs(2);

/// How long [`BlockingPool::lease`] waits for a free connection by default.
pub const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// At most `max` dedicated connections for blocking commands, leased one caller at a time.
///
/// ```no_run
/// use std::time::Duration;
/// use hardy_redis::prelude::*;
/// use hardy_redis::Config;
///
/// # async fn demo() -> Result<(), hardy_redis::Error> {
/// let config: Config = "redis://127.0.0.1:6379".parse()?;
/// let queues = BlockingPool::new(config, 4);
/// // A reliable queue: the job moves atomically to a processing list, so a worker that
/// // dies after taking it leaves it there (to be re-queued), never lost.
/// let job: Option<String> = queues
///     .blmove("jobs", "processing", Side::Left, Side::Right, Duration::from_secs(5))
///     .await?;
/// // Any other blocking command, raw:
/// let moved: Option<String> =
///     queues.command(cmd("BRPOPLPUSH").arg("jobs").arg("processing").arg(5)).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct BlockingPool {
    shared: Arc<Shared>,
    checkout: Duration,
}

#[derive(Debug)]
struct Shared {
    config: Config,
    margin: Duration,
    permits: Arc<Semaphore>,
    max: usize,
    idle: Mutex<Vec<Dedicated>>,
}

/// One connection of the pool and the marks its actor sets when its session changes.
#[derive(Debug)]
struct Dedicated {
    redis: Redis,
    marks: Arc<SessionMarks>,
}

impl Dedicated {
    async fn connect(config: &Config) -> Result<Dedicated, Error> {
        let marks = Arc::new(SessionMarks::default());
        let mut config = config.clone();
        config.session_marks = Some(marks.clone());
        let redis = Redis::connect(config).await?;
        Ok(Dedicated { redis, marks })
    }

    /// Whether the next caller may have it: connected, in the state its config set up,
    /// and no clone of its handle kept by the last one.
    fn reusable(&self) -> bool {
        self.redis.state().get().is_connected()
            && self.marks.is_pristine()
            && self.redis.is_sole_handle()
    }
}

impl BlockingPool {
    /// A pool of at most `max` (at least 1) connections to the server of `config`, opened
    /// when first leased and kept while idle. The config's command timeout, if set, is the
    /// margin added to each command's block timeout (else [`DEFAULT_BLOCK_MARGIN`]).
    pub fn new(config: Config, max: usize) -> BlockingPool {
        let max = max.max(1);
        let margin = config.command_timeout.unwrap_or(DEFAULT_BLOCK_MARGIN);
        BlockingPool {
            shared: Arc::new(Shared {
                config: config.allow_blocking_commands(true).no_command_timeout(),
                margin,
                permits: Arc::new(Semaphore::new(max)),
                max,
                idle: Mutex::new(Vec::new()),
            }),
            checkout: DEFAULT_CHECKOUT_TIMEOUT,
        }
    }

    /// How long [`lease`](Self::lease) waits for a free connection before failing with
    /// [`Error::QueueFull`] (default [`DEFAULT_CHECKOUT_TIMEOUT`]).
    pub fn checkout_timeout(mut self, wait: Duration) -> Self {
        self.checkout = wait;
        self
    }

    /// A connection of your own until the lease is dropped; waits up to the checkout
    /// timeout for one to be free, then fails with [`Error::QueueFull`] (all `max` are
    /// leased). Connecting may fail like [`Redis::connect`].
    pub async fn lease(&self) -> Result<Lease, Error> {
        let permits = self.shared.permits.clone();
        let permit = match tokio::time::timeout(self.checkout, permits.acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(Error::QueueFull(self.shared.max)),
        };
        self.lease_with(permit).await
    }

    /// A lease if a connection is free now, else [`Error::QueueFull`].
    pub async fn try_lease(&self) -> Result<Lease, Error> {
        match self.shared.permits.clone().try_acquire_owned() {
            Ok(permit) => self.lease_with(permit).await,
            Err(_) => Err(Error::QueueFull(self.shared.max)),
        }
    }

    async fn lease_with(&self, permit: OwnedSemaphorePermit) -> Result<Lease, Error> {
        let idle = self.shared.lock_idle().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => Dedicated::connect(&self.shared.config).await?,
        };
        Ok(Lease {
            conn: Some(conn),
            clean: true,
            shared: self.shared.clone(),
            _permit: permit,
        })
    }

    /// Leases a connection, runs `cmd` on it, and gives it back: the usual way to run one
    /// blocking command.
    pub async fn command<T: FromRedis>(&self, cmd: Cmd) -> Result<T, Error> {
        self.lease().await?.command(cmd).await
    }

    /// How many connections are idle (open, not leased).
    pub fn idle(&self) -> usize {
        self.shared.lock_idle().len()
    }

    /// How many leases are out now.
    pub fn leased(&self) -> usize {
        self.shared.max - self.shared.permits.available_permits()
    }
}

impl Shared {
    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Dedicated>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One dedicated connection, from [`BlockingPool::lease`]. Dropped, it goes back to the
/// pool if its last command completed and its session is as the config set it up;
/// otherwise the connection is closed:
///
/// - dropped mid-command, a timeout, a lost link: a late reply must reach nobody;
/// - after `SELECT`, `AUTH`, `CLIENT SETNAME` (or `SETINFO`, `TRACKING`, `NO-EVICT`, ...),
///   `READONLY`/`READWRITE`, or a `WATCH` with no `EXEC`/`DISCARD`/`UNWATCH` since, sent
///   any way (its commands, a pipeline or transaction on [`redis`](Self::redis)): the
///   next caller gets a fresh connection in the configured database, not this one;
/// - while a clone of [`redis`](Self::redis) is kept: that clone is its own connection
///   now, and is closed when the last clone goes.
///
/// It also takes every typed command ([`StringCommands`](crate::StringCommands) and the
/// rest, through [`Execute`](crate::Execute) for `&mut Lease`) and the blocking ones
/// ([`BlockingCommands`](crate::BlockingCommands)).
#[derive(Debug)]
pub struct Lease {
    conn: Option<Dedicated>,
    /// False while a command is under way or after one ended without a reply.
    clean: bool,
    shared: Arc<Shared>,
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    /// Sends one command and converts its reply, as [`Redis::command`] does. A blocking
    /// command may take its block timeout (parsed from its arguments; `0` waits for ever)
    /// plus the margin; any other command the margin.
    ///
    /// After [`Error::Timeout`] or a lost link the lease's connection is closed: later
    /// commands on this lease fail with [`Error::Stopped`]; take a new lease.
    pub async fn command<T: FromRedis>(&mut self, cmd: Cmd) -> Result<T, Error> {
        let Some(redis) = self.conn.as_ref().map(|conn| &conn.redis) else {
            return Err(Error::Stopped(
                "this lease's connection was closed after a command without a reply: take a new lease"
                    .into(),
            ));
        };
        let limit = deadline(&cmd, self.shared.margin);
        self.clean = false;
        let request = redis.call(Command(cmd));
        let outcome = match limit {
            Some(limit) => tokio::time::timeout(limit, request)
                .await
                .unwrap_or(Err(Error::Timeout(limit))),
            None => request.await,
        };
        match outcome {
            Ok(frame) => {
                self.clean = true;
                convert(frame)
            }
            Err(e) => {
                // No reply came: one may still come, for nobody. Close the connection.
                self.conn = None;
                Err(e)
            }
        }
    }

    /// The leased connection, for pipelines and transactions (a `WATCH` ... `EXEC` on a
    /// connection of your own, for example). Not counted as a command under way: use
    /// [`command`](Self::command) for blocking commands. `None` once closed.
    pub fn redis(&self) -> Option<&Redis> {
        self.conn.as_ref().map(|conn| &conn.redis)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.clean && conn.reusable() {
                self.shared.lock_idle().push(conn);
            }
            // Otherwise `conn` drops here: its actor shuts down and closes the socket.
        }
    }
}

/// How long `cmd` may wait for its reply: its block timeout plus `margin`; `None` for a
/// block of 0 (for ever).
pub(crate) fn deadline(cmd: &Cmd, margin: Duration) -> Option<Duration> {
    match block_timeout(cmd) {
        Some(Block::Forever) => None,
        Some(Block::For(block)) => Some(block + margin),
        None => Some(margin),
    }
}

#[derive(Debug, PartialEq)]
enum Block {
    Forever,
    For(Duration),
}

/// The block timeout written in a blocking command's arguments; `None` for a command that
/// does not block (or whose timeout does not parse: Redis will refuse it at once).
fn block_timeout(cmd: &Cmd) -> Option<Block> {
    let args: Vec<&[u8]> = cmd.args().skip(1).collect();
    let (raw, unit_ms) = match cmd.name() {
        "BLPOP" | "BRPOP" | "BLMOVE" | "BRPOPLPUSH" | "BZPOPMIN" | "BZPOPMAX" => {
            (*args.last()?, false)
        }
        "BLMPOP" | "BZMPOP" => (*args.first()?, false),
        "WAIT" | "WAITAOF" => (*args.last()?, true),
        "XREAD" | "XREADGROUP" => {
            let options = args
                .iter()
                .take_while(|a| !a.eq_ignore_ascii_case(b"STREAMS"));
            let at = options
                .clone()
                .position(|a| a.eq_ignore_ascii_case(b"BLOCK"))?;
            (*args.get(at + 1)?, true)
        }
        _ => return None,
    };
    let value: f64 = std::str::from_utf8(raw).ok()?.parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    if value == 0.0 {
        return Some(Block::Forever);
    }
    let secs = if unit_ms { value / 1000.0 } else { value };
    Duration::try_from_secs_f64(secs).ok().map(Block::For)
}

#[cfg(test)]
mod tests {
    use super::{block_timeout, Block};
    use crate::cmd;
    use std::time::Duration;

    #[test]
    fn block_timeouts_are_read_from_each_commands_own_position_and_unit() {
        let secs = |s: f64| Some(Block::For(Duration::from_secs_f64(s)));
        assert_eq!(
            block_timeout(&cmd("BLPOP").arg("a").arg("b").arg(2)),
            secs(2.0)
        );
        assert_eq!(block_timeout(&cmd("brpop").arg("a").arg("0.5")), secs(0.5));
        assert_eq!(
            block_timeout(&cmd("BLPOP").arg("a").arg(0)),
            Some(Block::Forever)
        );
        let blmove = cmd("BLMOVE")
            .arg("a")
            .arg("b")
            .arg("LEFT")
            .arg("RIGHT")
            .arg(3);
        assert_eq!(block_timeout(&blmove), secs(3.0));
        assert_eq!(block_timeout(&cmd("BZPOPMIN").arg("z").arg(1)), secs(1.0));
        let blmpop = cmd("BLMPOP").arg(4).arg(1).arg("a").arg("LEFT");
        assert_eq!(block_timeout(&blmpop), secs(4.0));
        assert_eq!(block_timeout(&cmd("WAIT").arg(1).arg(250)), secs(0.25));
        let xread = cmd("XREAD").arg("COUNT").arg(1).arg("BLOCK").arg(1500);
        let xread = xread.arg("STREAMS").arg("s").arg("$");
        assert_eq!(block_timeout(&xread), secs(1.5));
        let named_block = cmd("XREAD").arg("STREAMS").arg("block").arg("$");
        assert_eq!(block_timeout(&named_block), None);
        assert_eq!(block_timeout(&cmd("GET").arg("k")), None);
        assert_eq!(block_timeout(&cmd("BLPOP").arg("a").arg("soon")), None);
    }
}
