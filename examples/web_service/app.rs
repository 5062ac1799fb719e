//! The service's routes, in their own file so that `tests/web_service.rs` tests the very
//! same code (it includes this file with `#[path]`).
//!
//! Every handler gets the one shared [`Redis`] handle as `web::Data<Redis>`; every worker
//! thread sends through it to the one connection actor, and concurrent requests pipeline
//! on its socket.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};
use hardy::connection::ConnState;
use hardy::redis::{cmd, Error, Redis};

/// Registers `GET /kv/{key}`, `PUT /kv/{key}` and `GET /health`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/kv/{key}", web::get().to(get_key))
        .route("/kv/{key}", web::put().to(put_key))
        .route("/health", web::get().to(health));
}

/// `GET /kv/{key}`: the value, or 404.
async fn get_key(
    redis: web::Data<Redis>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let value: Option<Vec<u8>> = redis.command(cmd("GET").arg(key.as_str())).await?;
    Ok(match value {
        Some(value) => HttpResponse::Ok().body(value),
        None => HttpResponse::NotFound().body(format!("no key {key}\n")),
    })
}

/// `PUT /kv/{key}` with the value as the body: 204.
async fn put_key(
    redis: web::Data<Redis>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    redis
        .command::<()>(cmd("SET").arg(key.as_str()).arg(body))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /health`: 200 when the connection is up, 503 otherwise, with its state. Reading
/// the state sends no message, so this answers at once even while a connect is running.
async fn health(redis: web::Data<Redis>) -> HttpResponse {
    let state = redis.state().get();
    let status = match state {
        ConnState::Connected => StatusCode::OK,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    HttpResponse::build(status).body(format!("redis: {state}\n"))
}

/// A driver error as an HTTP answer: the status says whose problem it is, the body is the
/// error's text (which says what to do).
#[derive(Debug)]
pub struct ApiError(Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match &self.0 {
            // The link is down, was lost, or is saturated: try again later.
            Error::NotConnected
            | Error::Disconnected(_)
            | Error::QueueFull(_)
            | Error::Overloaded(_)
            | Error::Io(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            // Redis refused the command, e.g. WRONGTYPE: the request does not fit the data.
            Error::Server(_) => StatusCode::BAD_REQUEST,
            Error::WatchAborted => StatusCode::CONFLICT,
            Error::Protocol(_) | Error::UnexpectedReply => StatusCode::BAD_GATEWAY,
            // A stopped connection, a bad configuration, a reply of the wrong type: ours.
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).body(format!("{}\n", self.0))
    }
}
