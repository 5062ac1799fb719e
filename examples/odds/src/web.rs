//! The web side: the dashboard page, Server-Sent Events, and the fault buttons.
//!
//! The page is three static files embedded with `include_str!` (no front-end build). A
//! browser opens `/events` with `EventSource`: it first gets the fixtures, every match's
//! current odds (from Redis, merged with what the workers published last, so a browser
//! that connects while Redis is down still sees everything) and the status; then every
//! update as it is published, and a status event each second.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{get, post, web, App, HttpResponse, HttpServer, Responder};
use bytes::{Bytes, BytesMut};
use futures::stream::{self, StreamExt};
use hardy_redis::{cmd, Redis};
use serde::Deserialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::hub::{sse, Hub};
use crate::model::MatchOdds;
use crate::redis_owner::RedisOwner;
use crate::simulator::{Malformed, Simulator};
use crate::status::Status;
use crate::storage::LATEST_KEY;
use crate::tree::Matches;

const INDEX: &str = include_str!("../static/index.html");
const APP_JS: &str = include_str!("../static/app.js");
const APP_CSS: &str = include_str!("../static/app.css");

/// How many queued events one write to a browser may carry.
const COALESCE: usize = 512;

/// What the handlers reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The fan-out.
    pub hub: Hub,
    /// The latest status.
    pub status: Arc<Mutex<Option<Status>>>,
    /// The match registry.
    pub matches: Matches,
    /// The feed simulator (`None` on an instance that joined another's Redis).
    pub sim: Option<Arc<Simulator>>,
    /// The demo's redis-server.
    pub redis_server: RedisOwner,
    /// The Redis connection.
    pub redis: Redis,
    /// How long "kill Redis" keeps it down.
    pub redis_downtime: Duration,
    /// How long "cut the feed" refuses connections.
    pub feed_outage: Duration,
}

/// Binds the web server on 127.0.0.1:`port` (0: a free port; a taken port: a free one).
pub fn serve(state: AppState, port: u16) -> std::io::Result<(actix_web::dev::Server, SocketAddr)> {
    let make = move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .service(index)
            .service(app_js)
            .service(app_css)
            .service(events)
            .service(status)
            .service(crash)
            .service(malformed)
            .service(cut_feed)
            .service(kill_redis)
    };
    let server = HttpServer::new(make.clone()).workers(1).disable_signals();
    let server = match server.bind(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(e) if port != 0 => {
            eprintln!("port {port} is taken ({e}); using a free port");
            HttpServer::new(make)
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))?
        }
        Err(e) => return Err(e),
    };
    let addr = server.addrs()[0];
    Ok((server.shutdown_timeout(1).run(), addr))
}

#[get("/")]
async fn index() -> impl Responder {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(INDEX)
}

#[get("/app.js")]
async fn app_js() -> impl Responder {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(APP_JS)
}

#[get("/app.css")]
async fn app_css() -> impl Responder {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(APP_CSS)
}

#[get("/api/status")]
async fn status(state: web::Data<AppState>) -> impl Responder {
    let status = state
        .status
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    HttpResponse::Ok().json(status)
}

#[post("/api/matches/{id}/crash")]
async fn crash(state: web::Data<AppState>, id: web::Path<u32>) -> impl Responder {
    if state.sim.is_none() {
        return HttpResponse::Conflict().json(serde_json::json!({
            "error": "this instance runs no match worker (it joined another instance's Redis): use that instance's dashboard"
        }));
    }
    if state.matches.crash(*id) {
        HttpResponse::Accepted().json(serde_json::json!({"crashed": *id}))
    } else {
        HttpResponse::Conflict()
            .json(serde_json::json!({"error": "that match has no running worker"}))
    }
}

#[derive(Deserialize)]
struct MalformedQuery {
    kind: Malformed,
    #[serde(rename = "match")]
    match_id: Option<u32>,
}

#[post("/api/feed/malformed")]
async fn malformed(state: web::Data<AppState>, q: web::Query<MalformedQuery>) -> impl Responder {
    let Some(sim) = &state.sim else {
        return no_feed();
    };
    sim.inject(q.kind, q.match_id);
    HttpResponse::Accepted().json(serde_json::json!({"sent": q.kind}))
}

fn no_feed() -> HttpResponse {
    HttpResponse::Conflict().json(serde_json::json!({
        "error": "this instance runs no feed (it joined another instance's Redis): use that instance's dashboard"
    }))
}

#[post("/api/feed/cut")]
async fn cut_feed(state: web::Data<AppState>) -> impl Responder {
    let Some(sim) = &state.sim else {
        return no_feed();
    };
    sim.cut(state.feed_outage);
    HttpResponse::Accepted()
        .json(serde_json::json!({"outage_ms": state.feed_outage.as_millis() as u64}))
}

#[post("/api/redis/kill")]
async fn kill_redis(state: web::Data<AppState>) -> impl Responder {
    if !state.redis_server.owned() {
        return HttpResponse::Conflict().json(serde_json::json!({
            "error": "this instance does not own redis-server (it joined another instance's): use that instance's dashboard"
        }));
    }
    if state.redis_server.kill_and_restart(state.redis_downtime) {
        HttpResponse::Accepted()
            .json(serde_json::json!({"downtime_ms": state.redis_downtime.as_millis() as u64}))
    } else {
        HttpResponse::Conflict().json(serde_json::json!({"error": "redis-server is already down"}))
    }
}

#[get("/events")]
async fn events(state: web::Data<AppState>) -> impl Responder {
    // Subscribe first, then take the snapshot: nothing published in between is missed
    // (the page ignores an update older than what it has).
    let rx = state.hub.subscribe();
    let mut first = BytesMut::new();
    let fixtures = serde_json::to_string(&state.hub.fixtures()).unwrap_or_default();
    first.extend_from_slice(&sse("fixtures", &fixtures));
    let snapshot = current_odds(&state.redis, &state.hub).await;
    first.extend_from_slice(&sse(
        "snapshot",
        &serde_json::to_string(&snapshot).unwrap_or_default(),
    ));
    if let Some(s) = state
        .status
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
        first.extend_from_slice(&sse(
            "status",
            &serde_json::to_string(s).unwrap_or_default(),
        ));
    }
    let head = stream::once(async move { Ok::<Bytes, actix_web::Error>(first.freeze()) });
    let tail = stream::unfold(rx, |mut rx| async move {
        let mut out = BytesMut::new();
        match rx.recv().await {
            Ok(ev) => out.extend_from_slice(&ev),
            Err(RecvError::Lagged(n)) => out.extend_from_slice(&sse("lagged", &n.to_string())),
            Err(RecvError::Closed) => return None,
        }
        for _ in 0..COALESCE {
            match rx.try_recv() {
                Ok(ev) => out.extend_from_slice(&ev),
                Err(TryRecvError::Lagged(n)) => {
                    out.extend_from_slice(&sse("lagged", &n.to_string()))
                }
                Err(_) => break,
            }
        }
        Some((Ok::<Bytes, actix_web::Error>(out.freeze()), rx))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .streaming(head.chain(tail))
}

/// Every match's current odds: from Redis, with anything newer the workers published
/// (the storage queue may not have drained yet, or Redis may be down).
async fn current_odds(redis: &Redis, hub: &Hub) -> Vec<MatchOdds> {
    let stored = tokio::time::timeout(
        Duration::from_millis(300),
        redis.command::<Vec<Vec<u8>>>(cmd("HVALS").arg(LATEST_KEY)),
    )
    .await;
    let mut all: std::collections::BTreeMap<u32, MatchOdds> = match stored {
        Ok(Ok(values)) => values
            .iter()
            .filter_map(|v| MatchOdds::from_json(v))
            .map(|o| (o.match_id, o))
            .collect(),
        _ => Default::default(),
    };
    for odds in hub.latest() {
        let newer = !matches!(all.get(&odds.match_id), Some(o) if o.seq >= odds.seq);
        if newer {
            all.insert(odds.match_id, odds);
        }
    }
    all.into_values().collect()
}
