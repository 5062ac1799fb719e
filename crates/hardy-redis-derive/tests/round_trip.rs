//! `#[derive(RedisHash)]` against a real redis-server, over RESP3 and RESP2: `HSET` from a
//! struct and `HGETALL` back into it, optional fields included.

use hardy_redis::prelude::*;
use hardy_redis::{Config, Protocol, TypeError};
use hardy_redis_derive::RedisHash;
use hardy_testkit::RedisServer;

#[derive(Debug, Clone, PartialEq, RedisHash)]
struct User {
    name: String,
    age: u32,
    score: f64,
    email: Option<String>,
    nickname: Option<String>,
}

async fn round_trip(protocol: Protocol) {
    let server = RedisServer::start().expect("redis-server");
    let config = Config::from_url(&server.url()).unwrap().protocol(protocol);
    let redis = Redis::connect(config).await.unwrap();

    let ada = User {
        name: "Ada".into(),
        age: 36,
        score: 9.5,
        email: Some("ada@example.com".into()),
        nickname: None,
    };
    assert_eq!(
        redis.hset("user:1", &ada).await.unwrap(),
        4,
        "None fields are not sent"
    );
    let back: User = redis.hgetall("user:1").await.unwrap();
    assert_eq!(back, ada);
    assert!(!redis.hexists("user:1", "nickname").await.unwrap());

    redis
        .hset("user:2", [("name", "Bob"), ("age", "7"), ("score", "1")])
        .await
        .unwrap();
    let bob: User = redis.hgetall("user:2").await.unwrap();
    assert_eq!((bob.email, bob.nickname, bob.age), (None, None, 7));

    match redis.hgetall::<User>("user:3").await {
        Err(Error::Type(TypeError::Mismatch { expected, .. })) => {
            assert!(expected.contains("`name`"), "{expected}")
        }
        other => panic!("a missing required field must be a type error, got {other:?}"),
    }
}

#[actix_rt::test]
async fn derived_struct_round_trips_through_hset_and_hgetall_over_resp3() {
    round_trip(Protocol::Resp3).await;
}

#[actix_rt::test]
async fn derived_struct_round_trips_through_hset_and_hgetall_over_resp2() {
    round_trip(Protocol::Resp2).await;
}

#[derive(Debug, PartialEq, RedisHash)]
struct Renamed {
    #[redis(rename = "e-mail")]
    email: String,
    #[redis(rename = "nick")]
    nickname: Option<String>,
}

#[actix_rt::test]
async fn renamed_fields_use_their_hash_field_names() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(Config::from_url(&server.url()).unwrap())
        .await
        .unwrap();
    let value = Renamed {
        email: "ada@example.com".into(),
        nickname: Some("ada".into()),
    };
    redis.hset("r:1", &value).await.unwrap();
    assert!(redis.hexists("r:1", "e-mail").await.unwrap());
    assert!(redis.hexists("r:1", "nick").await.unwrap());
    assert!(!redis.hexists("r:1", "email").await.unwrap());
    let back: Renamed = redis.hgetall("r:1").await.unwrap();
    assert_eq!(back, value);
}
