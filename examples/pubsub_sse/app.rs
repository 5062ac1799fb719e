//! The SSE service's routes, in their own file so that `tests/pubsub_sse.rs` tests the very
//! same code (it includes this file with `#[path]`).
//!
//! `GET /events/{channel}` subscribes through the shared [`PubSub`] handle and streams the
//! channel's messages as Server-Sent Events; `POST /publish/{channel}` publishes the body
//! through the shared [`Redis`] handle. A browser that goes away drops its response
//! stream, hence its `Subscription`: the channel is unsubscribed at Redis once nobody
//! listens.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use futures::StreamExt;
use hardy::redis::pubsub::{Event, PubSub, Subscribe};
use hardy::redis::Redis;

/// Registers `GET /events/{channel}` and `POST /publish/{channel}`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/{channel}", web::get().to(events))
        .route("/publish/{channel}", web::post().to(publish));
}

/// `GET /events/{channel}`: `text/event-stream`. It opens with the comment `: subscribed`
/// (Redis confirmed the subscription: anything published from now on arrives), then one
/// `data:` event per message; `event: disconnected` and `event: subscribed` tell the
/// browser about gaps (messages published during them are lost).
async fn events(pubsub: web::Data<PubSub>, channel: web::Path<String>) -> HttpResponse {
    // A slow browser loses its oldest messages rather than holding up the others.
    let subscribe = Subscribe::new().channel(channel.as_str()).buffer(256);
    let subscription = match pubsub.subscribe_with(subscribe).await {
        Ok(subscription) => subscription,
        Err(e) => {
            return HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE).body(format!("{e}\n"))
        }
    };
    let opening = futures::stream::once(async { web::Bytes::from_static(b": subscribed\n\n") });
    let body = opening
        .chain(subscription.map(|event| web::Bytes::from(sse(&event))))
        .map(Ok::<_, actix_web::Error>);
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .streaming(body)
}

/// One event in the SSE format: each line of a payload on a `data:` line of its own.
fn sse(event: &Event) -> String {
    match event {
        Event::Message(message) => {
            let text = String::from_utf8_lossy(&message.payload);
            let mut out = String::new();
            for line in text.split('\n') {
                out.push_str("data: ");
                out.push_str(line.trim_end_matches('\r'));
                out.push('\n');
            }
            out.push('\n');
            out
        }
        Event::Disconnected => "event: disconnected\ndata:\n\n".into(),
        Event::Subscribed => "event: subscribed\ndata:\n\n".into(),
    }
}

/// `POST /publish/{channel}` with the message as the body: 200 with how many subscribers
/// (connections) received it, 503 with the error's text when Redis is unreachable.
async fn publish(
    redis: web::Data<Redis>,
    channel: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    match redis.publish(channel.as_str(), &body).await {
        Ok(receivers) => HttpResponse::Ok().body(format!("{receivers}\n")),
        Err(e) => HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE).body(format!("{e}\n")),
    }
}
