//! The service under test: an actix-web `HttpServer` with 2 workers, like a real service,
//! whose `/incr` route runs `INCR counter` through ONE client shared by both workers,
//! answering 200 with the value, or 503 on any Redis error (body `may have run` or
//! `not sent`, as the client reports it).

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use chaos::clients::{Client, Reply};

use crate::Variant;

/// A running service: its address, and what stops it.
pub struct Service {
    pub addr: SocketAddr,
    handle: ServerHandle,
    thread: thread::JoinHandle<()>,
}

/// Starts the service on a free loopback port, its client connected to `redis` (on the
/// service's own actix `System`, where a real service's `main` would create it).
pub fn start(variant: Variant, redis: SocketAddr) -> Service {
    let (ready, started) = mpsc::channel();
    let thread = thread::spawn(move || {
        let system = actix_rt::System::new();
        system.block_on(async move {
            let client = variant.connect(redis).await;
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(client.clone()))
                    .route("/incr", web::post().to(incr))
            })
            .workers(2)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind a loopback port");
            let addr = server.addrs()[0];
            let server = server.run();
            ready
                .send((addr, server.handle()))
                .expect("main thread waits");
            server.await.expect("HTTP server");
        });
    });
    let (addr, handle) = started.recv().expect("service started");
    Service {
        addr,
        handle,
        thread,
    }
}

impl Service {
    /// Stops the HTTP server (and with it the client), and waits for its thread.
    pub fn stop(self) {
        futures::executor::block_on(self.handle.stop(false));
        self.thread.join().expect("service thread");
    }
}

async fn incr(client: web::Data<Client>) -> HttpResponse {
    match client.call(&["INCR", "counter"]).await {
        Ok(Reply::Int(n)) => HttpResponse::Ok().body(n.to_string()),
        Ok(other) => HttpResponse::InternalServerError().body(format!("{other:?}")),
        Err(failure) if failure.maybe_executed => {
            HttpResponse::ServiceUnavailable().body("may have run")
        }
        Err(_) => HttpResponse::ServiceUnavailable().body("not sent"),
    }
}
