//! Escalations as the supervisors report them: every "restart intensity reached" event
//! (the `GaveUp` of a supervisor that stops its children and exits), counted per
//! supervisor name by a `tracing` layer.
//!
//! The layer registers interest in the crate's ERROR events only, so the `warn` event of
//! each of the storm's hundreds of thousands of child exits is disabled at its call site
//! and costs nothing.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The message of the event a supervisor emits when it gives up.
const GAVE_UP: &str = "restart intensity reached";

fn counts() -> &'static Mutex<HashMap<String, u64>> {
    static COUNTS: OnceLock<Mutex<HashMap<String, u64>>> = OnceLock::new();
    COUNTS.get_or_init(Default::default)
}

/// Installs the counting layer as the process's subscriber (once; later calls do nothing).
pub fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::registry().with(Counter).try_init();
    });
}

/// Escalations of the supervisor named `name` so far.
pub fn of(name: &str) -> u64 {
    counts()
        .lock()
        .expect("escalation counts")
        .get(name)
        .copied()
        .unwrap_or(0)
}

/// Escalations of every supervisor whose name starts with `prefix`.
pub fn with_prefix(prefix: &str) -> u64 {
    counts()
        .lock()
        .expect("escalation counts")
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, n)| n)
        .sum()
}

struct Counter;

impl<S: Subscriber> Layer<S> for Counter {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if meta.is_event()
            && *meta.level() == Level::ERROR
            && meta.target().starts_with("hardy_supervisor")
        {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.message.contains(GAVE_UP) {
            *counts()
                .lock()
                .expect("escalation counts")
                .entry(fields.supervisor)
                .or_default() += 1;
        }
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    supervisor: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "supervisor" => self.supervisor = format!("{value:?}"),
            _ => {}
        }
    }
}
