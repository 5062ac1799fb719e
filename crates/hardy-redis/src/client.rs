//! [`Redis`]: the handle applications hold, with typed requests.

use std::sync::Arc;
use std::time::Duration;

use actix::{Addr, Handler, Message};
use hardy_connection::{
    Builder, ConnState, ConnectionActor, Failure, StartError, StateWatch, Stop,
};
use hardy_supervisor::{ChildRef, Error as SupervisorError};

use crate::conn::RedisConn;
use crate::messages::{Batch, Command, NoReply};
use crate::resp::{Frame, ServerError};
use crate::{Cmd, Config, Error, FromRedis, Pipeline, TypeError};

/// The actor that owns one connection to Redis.
pub type RedisActor = ConnectionActor<RedisConn>;

/// A handle on a Redis connection actor: cheap to clone, `Send`, usable from any thread.
///
/// Concurrent requests from all clones share one socket and are pipelined automatically.
/// The handles of an actor started by [`Redis::start`] or [`Redis::connect`] own it: when
/// the last clone is dropped, the actor shuts down and closes its socket. Handles made by
/// [`child_spec`](crate::child_spec) or [`Redis::from_addr`] leave the actor's life to
/// whoever started it.
///
/// ```no_run
/// use hardy_redis::{cmd, Config, Redis};
///
/// # async fn demo() -> Result<(), hardy_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379".parse()?).await?;
/// redis.command::<()>(cmd("SET").arg("greeting").arg("hello")).await?;
/// let greeting: String = redis.command(cmd("GET").arg("greeting")).await?;
/// assert_eq!(greeting, "hello");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Redis {
    target: Target,
    state: StateWatch,
    /// Shared by the handles of an actor this handle started: the last one dropped stops
    /// it (a connection nobody can reach must not keep its socket forever).
    _owner: Option<Arc<Owner>>,
}

/// Stops the actor when dropped.
#[derive(Debug)]
struct Owner(Addr<RedisActor>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.do_send(Stop::default());
    }
}

/// Where requests go: one actor, or whichever incarnation a supervisor runs now.
#[derive(Clone, Debug)]
enum Target {
    Addr(Addr<RedisActor>),
    Supervised(ChildRef<RedisActor>),
}

impl Redis {
    /// A connection builder with `config` applied (name, backoff, connect timeout, health
    /// check): add options, then `.build()` for a supervisor's child factory.
    pub fn builder(config: Config) -> Builder<RedisConn> {
        let shared = Arc::new(config);
        Redis::builder_for(RedisConn::new(shared.clone()), &shared)
    }

    pub(crate) fn builder_for(conn: RedisConn, config: &Config) -> Builder<RedisConn> {
        let mut builder = ConnectionActor::builder(conn)
            .name(format!("redis {}", config.peer()))
            .backoff(config.backoff_policy())
            .connect_timeout(config.connect_timeout)
            .max_consecutive_timeouts(config.max_consecutive_timeouts)
            .defer_writes(config.defer_writes);
        if let Some(interval) = config.health_check {
            let deadline = config.command_timeout.unwrap_or(Duration::from_secs(5));
            builder = builder.health_check(interval, deadline);
        }
        builder
    }

    /// The actor, built but not started: what a supervisor's child factory returns.
    pub fn actor(config: Config) -> RedisActor {
        Redis::builder(config).build()
    }

    /// Starts a connection actor on the current arbiter and returns at once (async
    /// connect): requests wait for the first connect; while it reconnects, each waits up
    /// to [`Config::reconnect_wait`] for it, then fails with [`Error::NotConnected`]
    /// (never sent).
    pub fn start(config: Config) -> Redis {
        let builder = Redis::builder(config);
        let state = builder.state_watch();
        Redis::owning(builder.start(), state)
    }

    /// Whether this is the only handle on an actor it owns: no clone of it is kept
    /// anywhere (a leased connection with a clone out must not go to the next caller).
    pub(crate) fn is_sole_handle(&self) -> bool {
        self._owner
            .as_ref()
            .is_some_and(|owner| Arc::strong_count(owner) == 1)
    }

    /// A handle that owns its actor: the last clone dropped stops it.
    fn owning(addr: Addr<RedisActor>, state: StateWatch) -> Redis {
        Redis {
            target: Target::Addr(addr.clone()),
            state,
            _owner: Some(Arc::new(Owner(addr))),
        }
    }

    /// Starts a connection actor and waits until it is connected (sync connect). Fails if
    /// the first connect fails; nothing retries then.
    pub async fn connect(config: Config) -> Result<Redis, Error> {
        let builder = Redis::builder(config);
        let state = builder.state_watch();
        let addr = builder.start_connected().await.map_err(|e| match e {
            StartError::Connect(failure) => failure_to_error(failure),
            StartError::Stopped(reason) => Error::Stopped(reason.to_string().into()),
            other => Error::Stopped(other.to_string().into()),
        })?;
        Ok(Redis::owning(addr, state))
    }

    /// A handle on an actor started some other way, given its state handle
    /// (`actor.state_watch()` before starting it).
    pub fn from_addr(addr: Addr<RedisActor>, state: StateWatch) -> Redis {
        Redis::with_target(Target::Addr(addr), state)
    }

    /// A handle on a supervised connection that follows its restarts: `child` from the
    /// spec whose factory builds the actor ([`ChildSpec::child_ref`](hardy_supervisor::ChildSpec::child_ref),
    /// before the supervisor starts), and the state handle every incarnation publishes to
    /// (given to [`Builder::with_state_watch`]). [`child_spec`](crate::child_spec) does this
    /// for you.
    ///
    /// ```no_run
    /// use hardy_redis::{Config, Redis, StateWatch};
    /// use hardy_supervisor::{ChildSpec, RestartType};
    ///
    /// # fn demo(config: Config) -> Result<(), hardy_supervisor::Error> {
    /// let state = StateWatch::new();
    /// let shared = state.clone();
    /// let spec = ChildSpec::worker("cache", move || {
    ///     Ok(Redis::builder(config.clone()).with_state_watch(shared.clone()).build())
    /// })
    /// .restart(RestartType::Transient);
    /// let redis = Redis::from_child_ref(spec.child_ref()?, state);
    /// # Ok(()) }
    /// ```
    pub fn from_child_ref(child: ChildRef<RedisActor>, state: StateWatch) -> Redis {
        Redis::with_target(Target::Supervised(child), state)
    }

    fn with_target(target: Target, state: StateWatch) -> Redis {
        Redis {
            target,
            state,
            _owner: None,
        }
    }

    /// The current actor's address, to send [`Command`], [`Batch`] or [`NoReply`]
    /// yourself (or to make a `Recipient`). `None` while a supervised connection is between
    /// incarnations; a supervised address goes stale at the next restart.
    pub fn addr(&self) -> Option<Addr<RedisActor>> {
        match &self.target {
            Target::Addr(addr) => Some(addr.clone()),
            Target::Supervised(child) => child.addr(),
        }
    }

    /// The connection's state, now and as it changes.
    pub fn state(&self) -> &StateWatch {
        &self.state
    }

    /// Sends one command and converts its reply to `T`.
    ///
    /// An error reply becomes [`Error::Server`]; a reply of another type
    /// [`Error::Type`]. Use `T = Frame` for the raw reply.
    pub async fn command<T: FromRedis>(&self, cmd: Cmd) -> Result<T, Error> {
        convert(self.call(Command(cmd)).await?)
    }

    /// Sends the pipeline in one round trip and converts the replies, as one array, to
    /// `T`: a tuple, a `Vec`, or `Vec<Result<Frame, ServerError>>` to see each
    /// command's error separately (a Redis error in one does not fail the others).
    ///
    /// Converting to a `T` that cannot hold an error reply fails with [`Error::Server`],
    /// whose [`ServerError::index`] is the first failed command's position.
    pub async fn pipeline<T: FromRedis>(&self, pipeline: Pipeline) -> Result<T, Error> {
        let frames = self.call(Batch(pipeline.into_cmds())).await?;
        convert_elements(frames)
    }

    /// Runs the pipeline as a transaction (`MULTI` … `EXEC`, one round trip) and converts
    /// `EXEC`'s replies to `T`, as [`pipeline`](Self::pipeline) does (an error reply of
    /// one command is [`Error::Server`] with its index, unless `T` keeps errors as values).
    ///
    /// - [`Error::WatchAborted`] when a `WATCH`ed key changed: nothing ran.
    /// - [`Error::Server`] with the refused command's error and index when Redis refused
    ///   to queue a command (and so discarded the transaction with `EXECABORT`): nothing
    ///   ran, and the error says what to fix.
    /// - [`Error::MultiRefused`] when Redis refused `MULTI` itself (an ACL): Redis then
    ///   ran the commands one by one, so they may have run.
    ///
    /// For optimistic locking, use [`watch`](Self::watch) or
    /// [`optimistic`](Self::optimistic): a `WATCH` sent with [`command`](Self::command)
    /// does not survive a reconnect, and `transaction` would then run unguarded.
    pub async fn transaction<T: FromRedis>(&self, pipeline: Pipeline) -> Result<T, Error> {
        let frames = self.call(Batch(pipeline.into_transaction())).await?;
        exec_result(frames)
    }

    /// Sends the commands without asking for replies (`CLIENT REPLY OFF` … `ON`): resolves
    /// once Redis has processed them. A server that refuses `CLIENT REPLY` answers
    /// [`Error::Server`], and the commands still ran.
    pub async fn noreply(&self, pipeline: Pipeline) -> Result<(), Error> {
        self.call(NoReply(pipeline.into_cmds())).await
    }

    pub(crate) async fn call<M, R>(&self, msg: M) -> Result<R, Error>
    where
        M: Message<Result = Result<R, Error>> + Send + 'static,
        R: Send + 'static,
        RedisActor: Handler<M>,
    {
        // No timer here: the actor answers `Timeout` when the command timeout passes.
        match &self.target {
            Target::Addr(addr) => addr.send(msg).await.map_err(|_| stopped(&self.state)),
            Target::Supervised(child) => child.send(msg).await.map_err(|e| match e {
                // Handed to an incarnation that ended before answering: it may have run.
                SupervisorError::Closed(_) => Error::Disconnected(
                    "the connection actor stopped; its supervisor restarts it".into(),
                ),
                // Between incarnations, or no longer supervised: nothing was sent.
                _ => match self.state.get() {
                    ConnState::Stopped(_) => stopped(&self.state),
                    _ => Error::NotConnected,
                },
            }),
        }?
    }
}

fn stopped(state: &StateWatch) -> Error {
    match state.get() {
        ConnState::Stopped(reason) => Error::Stopped(reason.to_string().into()),
        _ => Error::Stopped("the actor's mailbox is closed".into()),
    }
}

fn failure_to_error(failure: Failure<Error>) -> Error {
    match failure {
        Failure::Error(e) => e,
        other => Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            other.to_string(),
        )),
    }
}

fn server_error(frame: Frame) -> Error {
    match ServerError::from_frame(frame) {
        Ok(e) if e.code() == "READONLY" => Error::ReadOnly(e),
        Ok(e) => Error::Server(e),
        Err(_) => Error::UnexpectedReply,
    }
}

/// An error reply becomes [`Error::Server`]; anything else passes.
pub(crate) fn expect_ok(frame: Frame) -> Result<Frame, Error> {
    if frame.is_error() {
        Err(server_error(frame))
    } else {
        Ok(frame)
    }
}

pub(crate) fn convert<T: FromRedis>(frame: Frame) -> Result<T, Error> {
    T::from_redis(expect_ok(frame)?).map_err(|e| match e {
        // An error reply nested in the reply (a script's table): still Redis' answer.
        TypeError::ServerError(error) => Error::Server(error),
        other => Error::Type(other),
    })
}

/// Converts the replies of a pipeline (or `EXEC`'s array) as one array. An error reply
/// that the target cannot hold becomes [`Error::Server`] carrying its index: conversions
/// go in order, so the error that stopped one is the first error reply.
fn convert_elements<T: FromRedis>(frames: Vec<Frame>) -> Result<T, Error> {
    let first_error = frames.iter().position(Frame::is_error);
    T::from_redis(Frame::Array(frames)).map_err(|e| match (e, first_error) {
        (TypeError::ServerError(error), Some(index)) => Error::Server(error.at(index)),
        (TypeError::ServerError(error), None) => Error::Server(error),
        (other, _) => Error::Type(other),
    })
}

/// The outcome of a transaction from its replies: `MULTI`'s, one per queued command,
/// then `EXEC`'s.
pub(crate) fn exec_result<T: FromRedis>(mut frames: Vec<Frame>) -> Result<T, Error> {
    let exec = frames.pop().unwrap_or(Frame::Null);
    let mut replies = frames.into_iter();
    if let Some(multi) = replies.next().filter(Frame::is_error) {
        // Redis ran every queued command on its own; EXEC then failed "without MULTI".
        return Err(match ServerError::from_frame(multi) {
            Ok(e) => Error::MultiRefused(e),
            Err(_) => Error::UnexpectedReply,
        });
    }
    if exec.is_error() {
        if let Some((index, refused)) = replies.enumerate().find(|(_, f)| f.is_error()) {
            return Err(match ServerError::from_frame(refused) {
                Ok(e) => Error::Server(e.at(index)),
                Err(_) => Error::UnexpectedReply,
            });
        }
        return Err(server_error(exec));
    }
    match exec.into_value() {
        Frame::Null => Err(Error::WatchAborted),
        Frame::Array(items) => convert_elements(items),
        other => convert(other),
    }
}
