//! The main demo: a Redis connection, a worker that uses it and a worker that crashes, in
//! one supervision tree, through a crash, a server death and a server restart.
//!
//! It starts its own `redis-server` (through `hardy_testkit`), then:
//!
//! 1. builds the tree: a one_for_one root with the Redis connection, a worker that panics
//!    when told to, and a worker that sends `INCR` every 100 ms;
//! 2. crashes the panicking worker and shows it restarted, its siblings untouched;
//! 3. freezes the server so a few `INCR`s are in flight, kills it, and shows the in-flight
//!    ones failing with `Disconnected`, later ones with `NotConnected` once they have waited
//!    the reconnect wait (1 s from the start of the outage), and the connection backing off
//!    (50 ms ×2, capped at 500 ms);
//! 4. restarts the server on the same port: the connection comes back and `INCR`s succeed
//!    again, through the same handle;
//! 5. prints the tree and the counter, and stops the supervisor.
//!
//! It ends by itself in a few seconds (at most 20).
//!
//! ```text
//! cargo run -p hardy --example supervised_redis
//! RUST_LOG=hardy_connection=info,hardy_supervisor=info cargo run -p hardy --example supervised_redis
//! ```

use std::process::ExitCode;
use std::time::Duration;

use actix::prelude::*;
use hardy::connection::backoff::Jitter;
use hardy::connection::ConnState;
use hardy::redis::{cmd, Config, Error, Redis};
use hardy::supervisor::{ChildSpec, EventKind, Strategy, Supervisor, SupervisorRef};
use hardy_testkit::RedisServer;
use tokio::sync::watch;

const KEY: &str = "demo:counter";
/// The whole demo's budget: it never hangs, whatever goes wrong.
const DEADLINE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// The workers. Plain actix actors: nothing to implement to be supervised.
// ---------------------------------------------------------------------------------------

/// What the counter has seen so far; `main` waits on it instead of sleeping.
#[derive(Debug, Default, Clone)]
struct Tally {
    sent: u64,
    ok: u64,
    failed: u64,
    last_value: Option<i64>,
}

/// Sends `INCR demo:counter` every 100 ms through a supervised [`Redis`] handle, and prints
/// what comes back: the first of a run of identical outcomes in full, then a count.
struct Counter {
    redis: Redis,
    tally: watch::Sender<Tally>,
    /// The kind of the last outcome, and how many more of that kind followed it.
    run: (&'static str, u32),
}

impl Actor for Counter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(Duration::from_millis(100), |counter, ctx| {
            counter.tally.send_modify(|t| t.sent += 1);
            let redis = counter.redis.clone();
            let incr = async move { redis.command::<i64>(cmd("INCR").arg(KEY)).await };
            ctx.spawn(incr.into_actor(counter).map(|outcome, counter, _| {
                counter.report(outcome);
            }));
        });
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.end_run();
    }
}

impl Counter {
    fn report(&mut self, outcome: Result<i64, Error>) {
        let kind = match &outcome {
            Ok(_) => "ok",
            Err(e) => error_kind(e),
        };
        if kind == self.run.0 {
            self.run.1 += 1;
        } else {
            self.end_run();
            self.run = (kind, 0);
        }
        match outcome {
            Ok(n) => {
                self.tally.send_modify(|t| {
                    t.ok += 1;
                    t.last_value = Some(n);
                });
                if self.run.1 == 0 {
                    println!("  [counter] INCR ok: {n}");
                }
            }
            Err(e) => {
                self.tally.send_modify(|t| t.failed += 1);
                if self.run.1 == 0 {
                    println!("  [counter] INCR failed: {kind}: {e}");
                }
            }
        }
    }

    /// Closes a run of identical outcomes with how many there were.
    fn end_run(&mut self) {
        let (kind, more) = self.run;
        if more > 0 {
            println!("  [counter]   ... and {more} more {kind}");
        }
    }
}

/// The variant's name: what a caller matches on.
fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::NotConnected => "NotConnected",
        Error::Disconnected(_) => "Disconnected",
        Error::Timeout(_) => "Timeout",
        Error::Stopped(_) => "Stopped",
        Error::Server(_) => "Server",
        _ => "other error",
    }
}

/// A worker that panics when told to.
struct Crasher;

impl Actor for Crasher {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Crash;

impl Handler<Crash> for Crasher {
    type Result = ();
    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("crashing on purpose");
    }
}

// ---------------------------------------------------------------------------------------
// The demo.
// ---------------------------------------------------------------------------------------

#[actix_rt::main]
async fn main() -> ExitCode {
    // One short line per panic instead of the default hook's three.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        println!("  [panic hook] a worker panicked: {msg}");
    }));
    match tokio::time::timeout(DEADLINE, demo()).await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("demo failed: not done within {DEADLINE:?}");
            ExitCode::FAILURE
        }
    }
}

type DemoResult = Result<(), Box<dyn std::error::Error>>;

async fn demo() -> DemoResult {
    let server = RedisServer::start()?;
    println!("redis-server started on 127.0.0.1:{}", server.port());

    let config = Config::from_url(&server.url())?
        .backoff(Duration::from_millis(50), 2.0, Duration::from_millis(500))
        .backoff_jitter(Jitter::None)
        .command_timeout(Duration::from_secs(1));

    // The Redis connection is hardy-connection's `ConnectionActor<RedisConn>`, and it is a
    // child with no glue code: any `ConnectionActor<C>` is a child the same way,
    // `ChildSpec::worker("x", || Ok(ConnectionActor::builder(MyProtocol::new()).build()))`.
    // `child_spec` also returns a handle that follows the connection across restarts of
    // its actor, so the workers declared after it can use it from the start.
    let (redis_spec, redis) = hardy::redis::child_spec("redis", config);
    print_state_changes(redis.state().changes());
    let (tally_tx, mut tally) = watch::channel(Tally::default());
    let counter_redis = redis.clone();

    let sup = Supervisor::builder()
        .name("root")
        .strategy(Strategy::OneForOne)
        .child(redis_spec)
        .child(ChildSpec::worker("crasher", || Ok(Crasher)))
        .child(ChildSpec::worker("counter", move || {
            Ok(Counter {
                redis: counter_redis.clone(),
                tally: tally_tx.clone(),
                run: ("", 0),
            })
        }))
        .start()?;

    redis.state().wait_for(ConnState::is_connected).await;
    wait_for_tally(&mut tally, |t| t.ok >= 5).await?;
    println!("\nthe tree:\n{}", sup.tree().await?);

    crash_the_crasher(&sup).await?;
    println!("\nthe tree after the crash:\n{}", sup.tree().await?);

    let server = kill_and_restart(server, &redis, &mut tally).await?;

    let ok_before = tally.borrow().ok;
    wait_for_tally(&mut tally, |t| t.ok >= ok_before + 5).await?;
    println!("\nthe tree at the end:\n{}", sup.tree().await?);
    println!(
        "(redis has 0 restarts: it reconnected inside its actor. With \
         Config::exit_on_disconnection(true) it would stop instead and the supervisor would \
         restart it.)"
    );
    let counter: i64 = redis.command(cmd("GET").arg(KEY)).await?;
    let t = tally.borrow().clone();
    println!(
        "counter = {counter} (the restarted server kept no data, so counting began again at 1); \
         {} INCRs sent: {} ok, {} failed with a typed error",
        t.sent, t.ok, t.failed
    );

    sup.stop().await;
    println!("supervisor stopped: {:?}", sup.exit_reason());
    drop(server);
    Ok(())
}

/// Sends `Crash` to the crasher and waits for the supervisor to start it again.
async fn crash_the_crasher(sup: &SupervisorRef) -> DemoResult {
    println!("--- crashing the crasher");
    let mut events = sup.subscribe().await?;
    let crasher = sup.child_ref::<Crasher>("crasher").await?;
    if let Err(e) = crasher.send(Crash).await {
        println!("  [main] Crash answered: {e}");
    }
    loop {
        if let EventKind::Started { id, restarts, .. } = events.recv().await?.kind {
            if id.name() == Some("crasher") {
                println!("  [main] crasher started again (restarts: {restarts})");
                return Ok(());
            }
        }
    }
}

/// Freezes the server so that `INCR`s are in flight, kills it, lets the connection back
/// off for a while, then restarts the server on the same port and waits for the
/// reconnection.
async fn kill_and_restart(
    server: RedisServer,
    redis: &Redis,
    tally: &mut watch::Receiver<Tally>,
) -> Result<RedisServer, Box<dyn std::error::Error>> {
    println!("--- freezing redis-server (SIGSTOP) so INCRs are in flight, then killing it");
    server.pause()?;
    let sent = tally.borrow().sent;
    wait_for_tally(tally, |t| t.sent >= sent + 2).await?;
    let mut server = blocking(server, RedisServer::kill).await?;
    // Commands fail at once while the connection backs off: wait for a few failures and
    // for the backoff to reach its cap.
    let failed = tally.borrow().failed;
    wait_for_tally(tally, |t| t.failed >= failed + 8).await?;
    redis
        .state()
        .wait_for(|s| matches!(s, ConnState::Backoff { attempt, .. } if *attempt >= 5))
        .await;

    println!("--- restarting redis-server on the same port");
    server = blocking(server, RedisServer::restart).await?;
    redis.state().wait_for(ConnState::is_connected).await;
    Ok(server)
}

/// Runs one of the server's blocking methods off the runtime, so the actors keep running
/// (and printing) meanwhile.
async fn blocking(
    mut server: RedisServer,
    op: fn(&mut RedisServer) -> hardy_testkit::Result<()>,
) -> Result<RedisServer, Box<dyn std::error::Error>> {
    let server = tokio::task::spawn_blocking(move || op(&mut server).map(|()| server)).await??;
    Ok(server)
}

async fn wait_for_tally(
    tally: &mut watch::Receiver<Tally>,
    pred: impl FnMut(&Tally) -> bool,
) -> DemoResult {
    tally.wait_for(pred).await?;
    Ok(())
}

/// Prints every transition of the connection, as it happens.
fn print_state_changes(mut changes: tokio::sync::broadcast::Receiver<ConnState>) {
    actix_rt::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match changes.recv().await {
                Ok(state) => println!("  [redis] {state}"),
                Err(RecvError::Lagged(n)) => println!("  [redis] ({n} transitions missed)"),
                Err(RecvError::Closed) => return,
            }
        }
    });
}
