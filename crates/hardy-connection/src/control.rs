//! Messages every connection understands, whatever its protocol: stop it, or make it
//! reconnect. Before these, each protocol re-implemented its own shutdown request.

use actix::Message;
use hardy_supervisor::ExitReason;

use crate::{Connection, Ctx, Failure, Handle};

/// Stops the connection with this reason (default [`ExitReason::Shutdown`]): what was
/// written is sent, the link is closed, waiting callers get
/// [`RequestError::Stopped`](crate::RequestError::Stopped), and a supervisor above sees the
/// reason.
///
/// ```
/// use hardy_connection::{Connection, ConnectionActor, Stop};
/// fn shut<C: Connection>(addr: &actix::Addr<ConnectionActor<C>>) {
///     addr.do_send(Stop::default());
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop(pub ExitReason);

impl Default for Stop {
    fn default() -> Self {
        Stop(ExitReason::Shutdown)
    }
}

impl Message for Stop {
    type Result = ();
}

impl<C: Connection> Handle<Stop> for C {
    type Result = ();

    fn handle(&mut self, Stop(reason): Stop, cx: &mut Ctx<'_, Self>) {
        cx.stop(reason);
    }
}

/// Drops the current link (gracefully, as [`Failure::Requested`]: `disconnect` runs and
/// waiting callers get `Disconnected`) and connects again at once; while disconnected,
/// connects now instead of waiting for the backoff timer. For a peer that moved (a
/// failover) or a link that should be renewed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconnect;

impl Message for Reconnect {
    type Result = ();
}

impl<C: Connection> Handle<Reconnect> for C {
    type Result = ();

    fn handle(&mut self, _: Reconnect, cx: &mut Ctx<'_, Self>) {
        if cx.is_connected() {
            cx.disconnect(Failure::Requested);
        }
        cx.connect();
    }
}
