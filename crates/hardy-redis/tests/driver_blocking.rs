//! Blocking commands never poison a shared connection: they are refused at once, with an
//! error naming the alternative, and work on a connection configured for them.

use std::time::Duration;

use futures::future::join_all;
use hardy_redis::{cmd, Config, Error, Pipeline, Redis};
use hardy_testkit::RedisServer;

fn config(server: &RedisServer) -> Config {
    Config::from_url(&server.url()).unwrap()
}

fn assert_refused_with_alternative<T: std::fmt::Debug>(outcome: Result<T, Error>, name: &str) {
    match outcome {
        Err(Error::Config(msg)) => {
            assert!(msg.starts_with(name), "{msg}");
            assert!(msg.contains("allow_blocking_commands"), "{msg}");
        }
        other => panic!("{name}: expected a refusal, got {other:?}"),
    }
}

#[actix_rt::test]
async fn blocking_commands_are_refused_at_once_on_a_shared_connection() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let blocking = [
        cmd("BLPOP").arg("jobs").arg(0),
        cmd("brpop").arg("jobs").arg(0),
        cmd("BLMOVE")
            .arg("a")
            .arg("b")
            .arg("LEFT")
            .arg("RIGHT")
            .arg(0),
        cmd("BRPOPLPUSH").arg("a").arg("b").arg(0),
        cmd("BZPOPMIN").arg("z").arg(0),
        cmd("BZPOPMAX").arg("z").arg(0),
        cmd("BLMPOP").arg(0).arg(1).arg("a").arg("LEFT"),
        cmd("BZMPOP").arg(0).arg(1).arg("z").arg("MIN"),
        cmd("XREAD")
            .arg("COUNT")
            .arg(1)
            .arg("block")
            .arg(0)
            .arg("STREAMS")
            .arg("s")
            .arg("$"),
        cmd("XREADGROUP")
            .arg("GROUP")
            .arg("g")
            .arg("c")
            .arg("BLOCK")
            .arg(0)
            .arg("STREAMS")
            .arg("s")
            .arg(">"),
        cmd("WAIT").arg(1).arg(0),
        cmd("WAITAOF").arg(1).arg(0).arg(0),
    ];
    for c in blocking {
        let name = c.name().to_string();
        let started = std::time::Instant::now();
        assert_refused_with_alternative(
            redis.command::<hardy_redis::Frame>(c.clone()).await,
            &name,
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{name} was not refused at once"
        );
        assert_refused_with_alternative(
            redis
                .pipeline::<Vec<hardy_redis::Frame>>(Pipeline::new().cmd(cmd("PING")).cmd(c))
                .await,
            &name,
        );
    }
    // Without BLOCK, XREAD answers at once and is fine; a stream named "block" is no option.
    let none: Option<hardy_redis::Frame> = redis
        .command(cmd("XREAD").arg("STREAMS").arg("block").arg("0"))
        .await
        .unwrap();
    assert_eq!(none, None);
}

#[actix_rt::test]
async fn a_refused_blocking_command_leaves_other_callers_unaffected_and_loses_no_job() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server).command_timeout(Duration::from_secs(2)))
        .await
        .unwrap();
    let others = join_all((0..20).map(|i| {
        let redis = redis.clone();
        async move {
            let tag = format!("other-{i}");
            let got: String = redis.command(cmd("ECHO").arg(tag.as_str())).await?;
            assert_eq!(got, tag);
            Ok::<_, Error>(())
        }
    }));
    let (blpop, others) = futures::join!(
        redis.command::<Option<(String, String)>>(cmd("BLPOP").arg("jobs").arg(0)),
        others
    );
    assert_refused_with_alternative(blpop, "BLPOP");
    for outcome in others {
        outcome.unwrap();
    }
    // A job pushed now stays in the list: nothing popped it behind the caller's back.
    let _: i64 = redis
        .command(cmd("LPUSH").arg("jobs").arg("job-1"))
        .await
        .unwrap();
    let len: i64 = redis.command(cmd("LLEN").arg("jobs")).await.unwrap();
    assert_eq!(len, 1);

    // A connection of its own, configured for it, pops the job.
    let queue = Redis::connect(
        config(&server)
            .allow_blocking_commands(true)
            .no_command_timeout(),
    )
    .await
    .unwrap();
    let job: Option<(String, String)> = queue
        .command(cmd("BLPOP").arg("jobs").arg(0))
        .await
        .unwrap();
    assert_eq!(job, Some(("jobs".into(), "job-1".into())));
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
}
