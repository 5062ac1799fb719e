//! Every transition is a `tracing` event under the target `hardy_connection`, with the
//! structured fields a telemetry handler needs (peer, attempt, delay_ms, reason).

mod support;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use hardy_connection::ConnState;
use support::*;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

type Fields = BTreeMap<String, String>;

/// Keeps every `hardy_connection` event as (level, message, fields).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<(String, String, Fields)>>>);

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != "hardy_connection" {
            return;
        }
        let mut fields = Recorder(Fields::new());
        event.record(&mut fields);
        let message = fields.0.remove("message").unwrap_or_default();
        let level = event.metadata().level().to_string();
        self.0.lock().unwrap().push((level, message, fields.0));
    }
}

struct Recorder(Fields);

impl Visit for Recorder {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
}

impl Capture {
    fn find(&self, message: &str) -> Vec<(String, Fields)> {
        let events = self.0.lock().unwrap();
        events
            .iter()
            .filter(|(_, m, _)| m == message)
            .map(|(level, _, fields)| (level.clone(), fields.clone()))
            .collect()
    }
}

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[actix_rt::test]
async fn each_transition_is_an_event_with_its_fields() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(capture.clone()));
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    let mut first = true;
    conn.on_connect = Box::new(move |_| {
        std::mem::take(&mut first).then(|| {
            async { Err(std::io::Error::from(std::io::ErrorKind::ConnectionRefused).into()) }
                .boxed_local()
        })
    });
    let builder = conn
        .builder()
        .name("db-main")
        .backoff(exponential(100, 2.0, 400));
    let (_addr, watch) = start(builder);
    wait_connected(&watch).await;
    let mut changes = watch.changes();
    server.kick_all();
    next_change(&mut changes, |s| matches!(s, ConnState::Backoff { .. })).await;
    next_change(&mut changes, ConnState::is_connected).await;

    let refused = "connection refused";
    let failed = capture.find("connect failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "WARN");
    assert_eq!(
        failed[0].1,
        fields(&[("attempt", "1"), ("peer", "db-main"), ("reason", refused)])
    );
    let backoffs = capture.find("backing off");
    assert_eq!(
        backoffs.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>(),
        [
            fields(&[("attempt", "2"), ("delay_ms", "100"), ("peer", "db-main")]),
            fields(&[("attempt", "1"), ("delay_ms", "200"), ("peer", "db-main")]),
        ],
        "a link that drops before it is stable does not start the policy again"
    );
    let down = capture.find("disconnected");
    assert_eq!(down.len(), 1, "one outage, one event: {down:?}");
    assert_eq!(
        down[0].1,
        fields(&[
            ("peer", "db-main"),
            ("reason", "the peer closed the connection")
        ])
    );
    assert_eq!(capture.find("connected").len(), 2);
    assert!(capture
        .find("connecting")
        .iter()
        .all(|(level, f)| level == "DEBUG" && f.contains_key("attempt")));
}
