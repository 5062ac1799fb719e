//! Secrets never leak: every `tracing` event and span (at TRACE level) and every `Debug` /
//! `Display` of configs, commands, replies and errors seen during an authenticated session
//! with failures (a wrong password, `CLIENT KILL`, a server killed and restarted, commands
//! timing out on a SIGSTOPped server) is captured, and no password appears anywhere in it.
//! Also: an AUTH failure is one attempt, then the connection stops (the server's own
//! `ACL LOG` counts the attempts); and the codec limits are on by default.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::join_all;
use hardy_redis::resp::{Limits, RespDecoder};
use hardy_redis::{cmd, Cmd, Config, ConnState, Error, Frame, Protocol, Redis};
use hardy_testkit::{RedisConfig, RedisServer};
use tokio::sync::broadcast::Receiver;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// The `requirepass` of the default user.
const DEFAULT_PW: &str = "default-pw-7c1f9a";
/// The password of the ACL user `alice`.
const ALICE_PW: &str = "alice-pw-e4b2d8";
/// A wrong password, tried against both users.
const WRONG_PW: &str = "wrong-pw-93ad0c";
/// A password only ever sent inside commands (`ACL SETUSER`, `CONFIG SET masterauth`).
const OTHER_PW: &str = "other-pw-5f61aa";
const SECRETS: [&str; 4] = [DEFAULT_PW, ALICE_PW, WRONG_PW, OTHER_PW];

/// Everything a user or an operator could see, as text.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn push(&self, text: String) {
        self.0.lock().unwrap().push(text);
    }

    /// Records `value` as `Debug`, pretty `Debug` and `Display`.
    fn show(&self, value: &(impl fmt::Debug + fmt::Display)) {
        self.push(format!("{value} / {value:?} / {value:#?}"));
    }

    /// Records `value` as `Debug` and pretty `Debug`.
    fn debug(&self, value: &impl fmt::Debug) {
        self.push(format!("{value:?} / {value:#?}"));
    }

    /// Records a request's outcome, whatever it is.
    fn outcome<T: fmt::Debug>(&self, outcome: &Result<T, Error>) {
        match outcome {
            Ok(value) => self.debug(value),
            Err(e) => self.show(e),
        }
    }

    fn texts(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    fn assert_no_secret(&self) {
        let texts = self.texts();
        if std::env::var_os("SECRETS_DUMP").is_some() {
            eprintln!("{}", texts.join("\n"));
        }
        for text in &texts {
            for secret in SECRETS {
                assert!(!text.contains(secret), "{secret} leaked in: {text}");
            }
        }
    }
}

/// A `tracing` subscriber that renders every event and span, with all fields, at every
/// level, into [`Seen`].
struct Capture {
    seen: Seen,
    next_id: Mutex<u64>,
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut text = format!(
            "span {} {}",
            span.metadata().target(),
            span.metadata().name()
        );
        span.record(&mut Fields(&mut text));
        self.seen.push(text);
        let mut id = self.next_id.lock().unwrap();
        *id += 1;
        Id::from_u64(*id)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut text = String::from("span record");
        values.record(&mut Fields(&mut text));
        self.seen.push(text);
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        let mut text = format!("{} {}", meta.level(), meta.target());
        event.record(&mut Fields(&mut text));
        self.seen.push(text);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Installs a [`Capture`] for this thread (actix runs the actors on the test's thread).
fn capture(seen: &Seen) -> tracing::subscriber::DefaultGuard {
    tracing::subscriber::set_default(Capture {
        seen: seen.clone(),
        next_id: Mutex::new(0),
    })
}

/// A server with `requirepass` and an ACL user `alice`.
fn server_with_passwords(extra: &[&str]) -> RedisServer {
    let mut config = RedisConfig::new()
        .password(DEFAULT_PW)
        .line(format!("user alice on >{ALICE_PW} ~* &* +@all"));
    for line in extra {
        config = config.line(*line);
    }
    config.start().expect("redis-server")
}

fn fast_backoff(config: Config) -> Config {
    config.backoff(Duration::from_millis(20), 1.5, Duration::from_millis(200))
}

fn alice_url(server: &RedisServer, password: &str) -> String {
    format!("redis://alice:{password}@127.0.0.1:{}/0", server.port())
}

/// Sends `command` and records the command, its outcome and the reply's `Debug`.
async fn call(seen: &Seen, redis: &Redis, command: Cmd) -> Result<Frame, Error> {
    seen.debug(&command);
    let outcome = redis.command::<Frame>(command).await;
    seen.outcome(&outcome);
    outcome
}

/// Waits, for at most 30 s, until the connection's state satisfies `pred`.
async fn wait_state(redis: &Redis, pred: impl Fn(&ConnState) -> bool) {
    tokio::time::timeout(Duration::from_secs(30), redis.state().wait_for(pred))
        .await
        .expect("the connection did not reach the expected state");
}

/// Waits, for at most 30 s, for the next state change satisfying `pred`.
async fn next_change(changes: &mut Receiver<ConnState>, pred: impl Fn(&ConnState) -> bool) {
    let found = async { while !pred(&changes.recv().await.expect("state stream")) {} };
    tokio::time::timeout(Duration::from_secs(30), found)
        .await
        .expect("the connection did not reach the expected state");
}

/// Configs and URLs, good and bad, with passwords in every place a user may put them.
fn show_configs(seen: &Seen, server: &RedisServer) {
    let port = server.port();
    let good = [
        alice_url(server, ALICE_PW),
        format!("redis://:{DEFAULT_PW}@127.0.0.1:{port}"),
        format!("redis://alice:{ALICE_PW}@127.0.0.1:{port}/3?protocol=resp2"),
        format!(
            "redis://alice:{}@127.0.0.1:{port}",
            ALICE_PW.replace('-', "%2D")
        ),
    ];
    let good: Vec<String> = good
        .into_iter()
        .chain([
            format!("rediss://alice:{ALICE_PW}@127.0.0.1:{port}"),
            format!("redis+unix:///tmp/redis.sock?user=alice&pass={ALICE_PW}"),
            format!(
                "redis-sentinel://alice:{ALICE_PW}@127.0.0.1:{port}?sentinelServiceName=s\
                 &sentinelUsername=bob&sentinelPassword={DEFAULT_PW}&node=127.0.0.1:1"
            ),
            format!(
                "rediss-sentinel://:{ALICE_PW}@127.0.0.1?sentinelServiceName=s&sentinelPassword={DEFAULT_PW}"
            ),
        ])
        .collect();
    for url in &good {
        let config = Config::from_url(url).expect(url);
        seen.debug(&config);
    }
    let odd = [
        format!("redis://alice:{ALICE_PW}@127.0.0.1:{port}/not-a-db"),
        format!("redis://alice:{ALICE_PW}@127.0.0.1:{port}/0?x=1"),
        format!("redis://127.0.0.1:{port}/0?password={ALICE_PW}"),
        format!("unix://alice:{ALICE_PW}@/tmp/redis.sock?db=x"),
        format!("redis+unix:///tmp/redis.sock?pass={ALICE_PW}&db=x"),
        format!("redis+unix:///tmp/redis.sock?pass={ALICE_PW}&other={ALICE_PW}"),
        format!("rediss://alice:{ALICE_PW}@127.0.0.1:{port}#insecure"),
        format!("redis+unix://[x/tmp/redis.sock?pass={ALICE_PW}"),
        format!("http://alice:{ALICE_PW}@127.0.0.1"),
        format!("redis://alice:{ALICE_PW}@"),
        format!("redis://alice:{ALICE_PW}@127.0.0.1:99999"),
        format!("redis//alice:{ALICE_PW}@127.0.0.1"),
        format!("redis://alice:{ALICE_PW}@127.0.0.1:{port}/%ff"),
        format!("redis://alice:%ff{ALICE_PW}@127.0.0.1"),
        format!("redis-sentinel://alice:{ALICE_PW}@127.0.0.1?sentinelPassword={DEFAULT_PW}"),
        format!(
            "redis-sentinel://h?sentinelServiceName=s&sentinelPassword={DEFAULT_PW}&x={ALICE_PW}"
        ),
        format!("redis-sentinel://h?sentinelServiceName=s&node={ALICE_PW}"),
    ];
    // Some of these parse as more schemes are supported (`rediss://` with TLS): either
    // way, neither the config nor the error may show the password.
    for url in &odd {
        match Config::from_url(url) {
            Ok(config) => seen.debug(&config),
            Err(error) => seen.show(&error),
        }
    }
    let built = Config::new("127.0.0.1", port)
        .username("alice")
        .password(ALICE_PW)
        .client_name("secrets-test");
    seen.debug(&built);
    let sentinel = hardy_redis::Sentinel::new("s", [("127.0.0.1", port)])
        .username("bob")
        .password(DEFAULT_PW);
    seen.debug(&sentinel);
    seen.debug(&Config::sentinel(sentinel).password(ALICE_PW));
}

/// Commands that carry passwords, sent on an authenticated connection.
async fn send_commands_with_passwords(seen: &Seen, redis: &Redis, port: u16) {
    let port = port.to_string();
    let commands = [
        cmd("AUTH").arg(DEFAULT_PW),
        cmd("AUTH").arg("alice").arg(ALICE_PW),
        cmd("AUTH").arg("alice").arg(WRONG_PW),
        cmd("AUTH").arg(WRONG_PW),
        cmd("HELLO")
            .arg(3)
            .arg("AUTH")
            .arg("alice")
            .arg(ALICE_PW)
            .arg("SETNAME")
            .arg("secrets"),
        cmd("HELLO").arg(3).arg("AUTH").arg("alice").arg(WRONG_PW),
        cmd("CONFIG").arg(["SET", "requirepass", DEFAULT_PW]),
        cmd("CONFIG").arg(["SET", "masterauth", OTHER_PW]),
        cmd("CONFIG").arg([
            "SET",
            "maxmemory-policy",
            "noeviction",
            "masterauth",
            OTHER_PW,
        ]),
        cmd("ACL")
            .arg(["SETUSER", "bob", "on"])
            .arg(format!(">{OTHER_PW}")),
        cmd("ACL")
            .arg(["SETUSER", "bob"])
            .arg(format!("<{OTHER_PW}")),
        cmd("MIGRATE")
            .arg(["127.0.0.1", port.as_str(), "no-such-key", "0", "1000"])
            .arg(["AUTH", DEFAULT_PW]),
        cmd("MIGRATE")
            .arg(["127.0.0.1", port.as_str(), "no-such-key", "0", "1000"])
            .arg(["AUTH2", "alice", ALICE_PW]),
    ];
    for command in commands {
        let _ = call(seen, redis, command).await;
    }
    // The connection is still alice's and works.
    let who = call(seen, redis, cmd("ACL").arg("WHOAMI")).await.unwrap();
    assert_eq!(who.as_str(), Some("alice"));
}

/// CLIENT KILL, a command timeout on a stopped server, a SIGKILL and restart: each ends in
/// a reconnect with the password sent again.
async fn fail_and_recover(seen: &Seen, redis: &Redis, server: &mut RedisServer) {
    let mut changes = redis.state().changes();
    server.client_kill_all().unwrap();
    next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
    next_change(&mut changes, ConnState::is_connected).await;
    call(seen, redis, cmd("SET").arg(["after-kill", "1"]))
        .await
        .unwrap();

    server.pause().unwrap();
    tokio::time::pause();
    let stalled = join_all((0..3).map(|i| call(seen, redis, cmd("ECHO").arg(i)))).await;
    for outcome in &stalled {
        assert!(matches!(outcome, Err(Error::Timeout(_))), "{outcome:?}");
    }
    tokio::time::resume();
    server.resume().unwrap();
    call(seen, redis, cmd("PING")).await.unwrap();

    let mut changes = redis.state().changes();
    server.kill().unwrap();
    let _ = call(seen, redis, cmd("PING")).await;
    next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
    server.restart().unwrap();
    next_change(&mut changes, ConnState::is_connected).await;
    call(seen, redis, cmd("GET").arg("after-restart"))
        .await
        .unwrap();
}

/// Connects with a wrong password in every way the handshake can send it.
async fn fail_to_authenticate(seen: &Seen, server: &RedisServer) {
    let port = server.port();
    let wrong = [
        Config::from_url(&alice_url(server, WRONG_PW)).unwrap(),
        Config::from_url(&alice_url(server, WRONG_PW))
            .unwrap()
            .protocol(Protocol::Resp2),
        Config::new("127.0.0.1", port).password(WRONG_PW),
        Config::new("127.0.0.1", port)
            .password(WRONG_PW)
            .protocol(Protocol::Resp2),
    ];
    for config in wrong {
        let config = fast_backoff(config);
        seen.debug(&config);
        let outcome = Redis::connect(config.clone()).await;
        seen.outcome(&outcome);
        assert!(
            matches!(outcome, Err(Error::Handshake { .. })),
            "{outcome:?}"
        );
        let redis = Redis::start(config);
        wait_state(&redis, |s| matches!(s, ConnState::Stopped(_))).await;
        seen.debug(&redis.state().get());
        let _ = call(seen, &redis, cmd("PING")).await;
    }
}

#[actix_rt::test]
async fn no_password_shows_in_logs_debug_or_errors_of_a_session_with_failures() {
    let seen = Seen::default();
    let _capture = capture(&seen);
    let mut server = server_with_passwords(&[]);
    show_configs(&seen, &server);

    let config = fast_backoff(Config::from_url(&alice_url(&server, ALICE_PW)).unwrap())
        .client_name("secrets")
        .command_timeout(Duration::from_secs(1));
    seen.debug(&config);
    let redis = Redis::connect(config).await.unwrap();
    seen.debug(&redis);
    send_commands_with_passwords(&seen, &redis, server.port()).await;
    fail_and_recover(&seen, &redis, &mut server).await;
    fail_to_authenticate(&seen, &server).await;
    drop(redis);
    tokio::task::yield_now().await;

    let texts = seen.texts();
    for expected in ["connected", "disconnected", "WRONGPASS", "<redacted>"] {
        assert!(
            texts.iter().any(|t| t.contains(expected)),
            "nothing captured mentions {expected:?}: is the capture working?"
        );
    }
    seen.assert_no_secret();
}

#[actix_rt::test]
async fn no_password_shows_when_the_server_echoes_it_in_an_unknown_command_error() {
    // `HELLO` renamed away: the server answers `HELLO 3 AUTH alice <password>` with
    // "unknown command ..., with args beginning with: ... '<password>'", as Redis 5 does,
    // and the driver falls back to RESP2's AUTH.
    let seen = Seen::default();
    let _capture = capture(&seen);
    let server = server_with_passwords(&["rename-command HELLO \"\""]);
    let config = fast_backoff(Config::from_url(&alice_url(&server, ALICE_PW)).unwrap());
    let redis = Redis::connect(config).await.unwrap();
    let who = call(&seen, &redis, cmd("ACL").arg("WHOAMI")).await.unwrap();
    assert_eq!(who.as_str(), Some("alice"));
    let _ = call(
        &seen,
        &redis,
        cmd("HELLO").arg(3).arg("AUTH").arg("alice").arg(ALICE_PW),
    )
    .await;
    fail_to_authenticate(&seen, &server).await;
    seen.assert_no_secret();
}

/// How many failed AUTH attempts the server logged for `user` (its `ACL LOG` counts
/// repeated failures in one entry).
fn failed_auths(server: &RedisServer, user: &str) -> i64 {
    let log = server.command(&["ACL", "LOG"]).unwrap();
    let hardy_testkit::Reply::Array(Some(entries)) = log else {
        panic!("ACL LOG: {log:?}")
    };
    let mut count = 0;
    for entry in entries {
        let hardy_testkit::Reply::Array(Some(fields)) = entry else {
            continue;
        };
        let field = |name: &str| {
            fields
                .chunks(2)
                .find(|kv| kv[0].to_string() == name)
                .map(|kv| kv[1].clone())
        };
        let is_auth = field("reason").is_some_and(|r| r.to_string() == "auth");
        let is_user = field("username").is_some_and(|u| u.to_string() == user);
        if is_auth && is_user {
            count += field("count").and_then(|c| c.as_integer()).unwrap();
        }
    }
    count
}

#[actix_rt::test]
async fn an_auth_failure_is_tried_exactly_once_then_the_connection_stops() {
    let server = server_with_passwords(&[]);
    let port = server.port();
    let cases = [
        (
            "alice",
            Config::from_url(&alice_url(&server, WRONG_PW)).unwrap(),
        ),
        (
            "alice",
            Config::from_url(&alice_url(&server, WRONG_PW))
                .unwrap()
                .protocol(Protocol::Resp2),
        ),
        ("default", Config::new("127.0.0.1", port).password(WRONG_PW)),
        (
            "default",
            Config::new("127.0.0.1", port)
                .password(WRONG_PW)
                .protocol(Protocol::Resp2),
        ),
    ];
    for (user, config) in cases {
        server.command(&["ACL", "LOG", "RESET"]).unwrap();
        let redis = Redis::start(fast_backoff(config));
        let mut changes = redis.state().changes();
        let mut connecting = 0;
        let stopped = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match changes.recv().await.unwrap() {
                    ConnState::Connecting { .. } => connecting += 1,
                    ConnState::Backoff { .. } => panic!("an AUTH failure must not back off"),
                    ConnState::Stopped(reason) => return reason,
                    _ => {}
                }
            }
        })
        .await
        .expect("the connection did not stop");
        assert!(stopped.to_string().contains("WRONGPASS"), "{stopped}");
        assert_eq!(connecting, 1, "{user}: connect attempts");
        assert_eq!(
            failed_auths(&server, user),
            1,
            "{user}: AUTH attempts seen by the server"
        );
        // Requests after the stop fail at once; nothing tries again.
        assert!(matches!(
            redis.command::<Frame>(cmd("PING")).await,
            Err(Error::Stopped(_))
        ));
        assert_eq!(
            failed_auths(&server, user),
            1,
            "{user}: AUTH attempts after the stop"
        );
    }
}

#[actix_rt::test]
async fn the_codec_limits_are_on_by_default() {
    let defaults = Limits::default();
    assert_eq!(RespDecoder::default().limits(), &defaults);
    assert_eq!(defaults.max_bulk_len(), 512 << 20);
    assert_eq!(defaults.max_aggregate_len(), 1 << 24);
    assert_eq!(defaults.max_depth(), 128);
    assert_eq!(defaults.max_line_len(), 1 << 20);

    // And a driver built from a plain URL enforces them: a real server's reply nested
    // deeper than 128 levels is refused with the limit's error, and the link is dropped.
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(fast_backoff(Config::from_url(&server.url()).unwrap()))
        .await
        .unwrap();
    let nested = |depth: u32| {
        cmd("EVAL")
            .arg(format!(
                "local t = 1 for i = 1, {depth} do t = {{t}} end return t"
            ))
            .arg(0)
    };
    redis.command::<Frame>(nested(128)).await.unwrap();
    match redis.command::<Frame>(nested(129)).await {
        Err(Error::Disconnected(reason)) => {
            assert!(reason.contains("nested deeper than 128"), "{reason}")
        }
        other => panic!("expected the depth limit, got {other:?}"),
    }
    wait_state(&redis, ConnState::is_connected).await;
    assert_eq!(redis.command::<String>(cmd("PING")).await.unwrap(), "PONG");
}
