//! The web_service example's routes (`examples/web_service/app.rs`, included as is) against
//! a real redis-server: round trips, 404, errors as HTTP statuses, and /health following
//! the connection.

#[path = "../examples/web_service/app.rs"]
mod app;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{test, web, App};
use hardy::connection::ConnState;
use hardy::redis::{cmd, Config, Redis};
use hardy_testkit::RedisServer;

async fn service(
    redis: &Redis,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    test::init_service(
        App::new()
            .app_data(web::Data::new(redis.clone()))
            .configure(app::routes),
    )
    .await
}

async fn call(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    req: test::TestRequest,
) -> (StatusCode, String) {
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status();
    let body = test::read_body(resp).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn config(server: &RedisServer) -> Config {
    Config::from_url(&server.url()).unwrap()
}

#[actix_web::test]
async fn put_then_get_returns_the_body_and_a_missing_key_is_404() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let app = service(&redis).await;

    let put = test::TestRequest::put()
        .uri("/kv/greeting")
        .set_payload("hello, world");
    assert_eq!(call(&app, put).await.0, StatusCode::NO_CONTENT);
    let get = test::TestRequest::get().uri("/kv/greeting");
    assert_eq!(
        call(&app, get).await,
        (StatusCode::OK, "hello, world".into())
    );
    let missing = test::TestRequest::get().uri("/kv/nobody");
    assert_eq!(call(&app, missing).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_redis_error_reply_is_400_with_the_error_text() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    redis
        .command::<i64>(cmd("LPUSH").arg("a-list").arg("x"))
        .await
        .unwrap();
    let app = service(&redis).await;

    let (status, body) = call(&app, test::TestRequest::get().uri("/kv/a-list")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("WRONGTYPE"), "{body}");
}

#[actix_web::test]
async fn health_follows_the_connection_and_requests_get_503_while_it_is_down() {
    let mut server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let app = service(&redis).await;
    let (status, body) = call(&app, test::TestRequest::get().uri("/health")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "redis: connected\n")
    );

    let mut changes = redis.state().changes();
    server.kill().unwrap();
    while changes.recv().await.unwrap().is_connected() {}
    let (status, body) = call(&app, test::TestRequest::get().uri("/health")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.starts_with("redis: "), "{body}");
    let (status, body) = call(&app, test::TestRequest::get().uri("/kv/greeting")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("not connected"), "{body}");

    server.restart().unwrap();
    redis.state().wait_for(ConnState::is_connected).await;
    let put = test::TestRequest::put()
        .uri("/kv/greeting")
        .set_payload("back");
    assert_eq!(call(&app, put).await.0, StatusCode::NO_CONTENT);
}
