//! `#[derive(RedisHash)]` used through the `hardy` facade alone, with
//! `#[redis(crate = "hardy::redis")]`: the generated code must not need a direct
//! dependency on `hardy_redis`.

use hardy::redis::prelude::*;
use hardy::redis::{Config, RedisHash};
use hardy_testkit::RedisServer;

#[derive(Debug, PartialEq, RedisHash)]
#[redis(crate = "hardy::redis")]
struct Match {
    home: String,
    away: String,
    minute: Option<u32>,
}

#[actix_rt::test]
async fn derive_through_the_facade_round_trips() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(Config::from_url(&server.url()).unwrap())
        .await
        .unwrap();
    let m = Match {
        home: "Ajax".into(),
        away: "PSV".into(),
        minute: Some(12),
    };
    assert_eq!(redis.hset("match:1", &m).await.unwrap(), 3);
    let back: Match = redis.hgetall("match:1").await.unwrap();
    assert_eq!(back, m);
}
