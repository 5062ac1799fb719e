//! Turning a caught panic payload into an exit reason.

use std::any::Any;

use hardy_supervisor::ExitReason;

pub(crate) fn exit_reason(payload: Box<dyn Any + Send>, during: &str) -> ExitReason {
    exit_reason_ref(&payload, during)
}

pub(crate) fn exit_reason_ref(payload: &Box<dyn Any + Send>, during: &str) -> ExitReason {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".to_string());
    ExitReason::Panic(format!("{during} panicked: {msg}"))
}
