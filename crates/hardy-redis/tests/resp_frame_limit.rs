//! A whole reply has a memory limit: the decoder accounts a frame's decoded size (payload
//! plus one `Frame` per value) as it scans, and refuses the frame before building it.

use std::time::Duration;

use bytes::BytesMut;
use hardy_redis::resp::{Limits, ProtocolError, RespDecoder, FRAME_COST};
use hardy_redis::{cmd, Config, Error, Redis};
use hardy_testkit::RedisServer;
use tokio_util::codec::Decoder;

#[test]
fn an_array_of_sixteen_million_nulls_is_refused_by_the_default_limits() {
    const N: usize = 1 << 24;
    let mut decoder = RespDecoder::default();
    let max = decoder.limits().max_frame_size();
    let mut buf = BytesMut::from(format!("*{N}\r\n").as_bytes());
    let chunk = b"_\r\n".repeat(64 << 10);
    let mut sent = 0;
    let error = loop {
        assert!(sent < N, "the whole reply was accepted");
        match decoder.decode(&mut buf) {
            Ok(None) => {}
            Ok(Some(_)) => panic!("a frame of {N} nulls was built"),
            Err(e) => break e,
        }
        assert!(decoder.pending_size() <= max);
        buf.extend_from_slice(&chunk);
        sent += 64 << 10;
    };
    assert!(
        matches!(error, ProtocolError::FrameTooLarge { .. }),
        "{error}"
    );
    assert!(error.is_limit_exceeded());
    assert!(error.to_string().contains("max_frame_size"), "{error}");
    // Refused after about max / FRAME_COST values, long before the 16 million.
    assert!(sent <= max / FRAME_COST + (64 << 10), "{sent}");
}

#[test]
fn a_frame_is_accounted_as_its_payload_plus_one_frame_per_value() {
    // Three bulk strings of 10 bytes in an array: 4 values, 30 payload bytes.
    let reply = b"*3\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n";
    let exact = 4 * FRAME_COST + 30;
    let mut fits = RespDecoder::new(Limits::default().with_max_frame_size(exact));
    assert!(fits
        .decode(&mut BytesMut::from(&reply[..]))
        .unwrap()
        .is_some());
    assert_eq!(fits.pending_size(), 0, "reset between frames");
    let mut refuses = RespDecoder::new(Limits::default().with_max_frame_size(exact - 1));
    assert!(matches!(
        refuses.decode(&mut BytesMut::from(&reply[..])),
        Err(ProtocolError::FrameTooLarge { max }) if max == exact - 1
    ));
    // Byte by byte, the count carries over between calls and is checked all the same.
    let mut split = RespDecoder::new(Limits::default().with_max_frame_size(exact - 1));
    let mut buf = BytesMut::new();
    let mut outcome = Ok(None);
    for b in reply {
        buf.extend_from_slice(&[*b]);
        outcome = split.decode(&mut buf);
        if outcome.is_err() {
            break;
        }
    }
    assert!(matches!(outcome, Err(ProtocolError::FrameTooLarge { .. })));
}

#[actix_rt::test]
async fn a_reply_over_the_frame_limit_drops_the_link_with_a_protocol_error() {
    let server = RedisServer::start().expect("redis-server");
    let config = Config::from_url(&server.url())
        .unwrap()
        .limits(Limits::default().with_max_frame_size(64 << 10))
        .backoff(Duration::from_millis(20), 1.5, Duration::from_millis(200));
    let redis = Redis::connect(config).await.unwrap();
    let items: Vec<String> = (0..5000).map(|i| format!("item-{i}")).collect();
    let _: i64 = redis
        .command(cmd("RPUSH").arg("big").arg(items.as_slice()))
        .await
        .unwrap();
    let mut changes = redis.state().changes();
    match redis
        .command::<Vec<String>>(cmd("LRANGE").arg("big").arg(0).arg(-1))
        .await
    {
        Err(Error::Disconnected(why)) => assert!(why.contains("max_frame_size"), "{why}"),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    while !changes.recv().await.unwrap().is_connected() {}
    let small: Vec<String> = redis
        .command(cmd("LRANGE").arg("big").arg(0).arg(9))
        .await
        .unwrap();
    assert_eq!(small.len(), 10);
}
