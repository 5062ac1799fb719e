//! Live updates for browsers: Redis Pub/Sub streamed over Server-Sent Events by actix-web.
//!
//! - `GET /events/{channel}` streams the channel's messages (`text/event-stream`);
//! - `POST /publish/{channel}` publishes the request body to the channel.
//!
//! One [`PubSub`] actor holds every browser's subscription on one Redis connection (a
//! channel watched by many browsers is subscribed once), and one [`Redis`] handle
//! publishes; both run on the main System arbiter and are shared with the worker threads
//! as `web::Data`. A closed browser tab unsubscribes; after a Redis outage every stream is
//! resubscribed and told `event: disconnected` then `event: subscribed`. The routes are in
//! `pubsub_sse/app.rs`, which `tests/pubsub_sse.rs` tests over HTTP.
//!
//! ```text
//! cargo run -p hardy --example pubsub_sse                 # its own redis-server, port 8080
//! REDIS_URL=redis://127.0.0.1:6379 PORT=9000 cargo run -p hardy --example pubsub_sse
//! curl -N localhost:8080/events/news                      # in one terminal
//! curl --data 'hello' localhost:8080/publish/news         # in another
//! ```
//!
//! In a browser: `new EventSource("/events/news").onmessage = e => console.log(e.data)`.

#[path = "pubsub_sse/app.rs"]
mod app;

use std::net::SocketAddr;

use actix_web::{web, App, HttpServer};
use hardy::redis::pubsub::PubSub;
use hardy::redis::{Config, Redis};
use hardy_testkit::RedisServer;

type AnyError = Box<dyn std::error::Error>;

#[actix_web::main]
async fn main() -> Result<(), AnyError> {
    // Without REDIS_URL, a redis-server of our own, gone when `_own_server` is dropped.
    let (config, _own_server) = match std::env::var("REDIS_URL") {
        Ok(url) => (Config::from_url(&url)?, None),
        Err(_) => {
            let server = RedisServer::start()?;
            println!("started redis-server on 127.0.0.1:{}", server.port());
            (Config::from_url(&server.url())?, Some(server))
        }
    };
    let pubsub = web::Data::new(PubSub::start(config.clone()));
    let redis = web::Data::new(Redis::start(config));
    let port = std::env::var("PORT").map_or(Ok(8080), |p| p.parse())?;
    let bind: SocketAddr = ([127, 0, 0, 1], port).into();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(pubsub.clone())
            .app_data(redis.clone())
            .configure(app::routes)
    })
    .workers(2)
    .bind(bind)?;
    println!(
        "listening on http://{} (GET /events/{{channel}}, POST /publish/{{channel}}); Ctrl-C stops",
        server.addrs()[0]
    );
    Ok(server.run().await?)
}
