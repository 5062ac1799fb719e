//! A typed handle on a connection: requests answer one flat `Result`, and the last handle
//! of a connection it started stops it.

use std::sync::Arc;

use actix::{Addr, MailboxError, Message};

use crate::request::Reply;
use crate::{
    ConnState, Connection, ConnectionActor, Handle, Reconnect, RequestError, StateWatch, Stop,
};

/// A cloneable, `Send` handle on a [`ConnectionActor`]: [`call`](Self::call) sends a request
/// and answers its reply, with the actor's mailbox errors folded into
/// [`RequestError::Stopped`], so a caller sees one flat `Result<T, E>`.
///
/// Made by [`Builder::start_client`](crate::Builder::start_client) (the last clone dropped
/// stops the connection) or by [`Client::new`] from an address (it does not).
///
/// The crate's front page has a complete example; in short:
///
/// ```no_run
/// # use hardy_connection::prelude::*;
/// # struct Get(String);
/// # impl Message for Get { type Result = Result<Option<Bytes>, RequestError>; }
/// async fn lookup<C: Connection + Handle<Get>>(cache: &Client<C>) -> Result<(), RequestError> {
///     let value: Option<Bytes> = cache.call(Get("k".into())).await?;
///     cache.reconnect(); // control messages too
///     Ok(())
/// }
/// ```
pub struct Client<C: Connection> {
    addr: Addr<ConnectionActor<C>>,
    state: Option<StateWatch>,
    _owner: Option<Arc<Owner<C>>>,
}

impl<C: Connection> Clone for Client<C> {
    fn clone(&self) -> Self {
        Client {
            addr: self.addr.clone(),
            state: self.state.clone(),
            _owner: self._owner.clone(),
        }
    }
}

/// Stops the connection when the last owning handle goes.
struct Owner<C: Connection>(Addr<ConnectionActor<C>>);

impl<C: Connection> Drop for Owner<C> {
    fn drop(&mut self) {
        self.0.do_send(Stop::default());
    }
}

impl<C: Connection> Client<C> {
    /// A handle on a running connection (started by you or by a supervisor). Dropping it
    /// does not stop the connection.
    pub fn new(addr: Addr<ConnectionActor<C>>) -> Self {
        Client {
            addr,
            state: None,
            _owner: None,
        }
    }

    pub(crate) fn owning(addr: Addr<ConnectionActor<C>>, state: StateWatch) -> Self {
        Client {
            addr: addr.clone(),
            state: Some(state),
            _owner: Some(Arc::new(Owner(addr))),
        }
    }

    /// Sends `request` and waits for its reply. A connection that has stopped answers
    /// [`RequestError::Stopped`] (converted into your error type).
    pub async fn call<M>(&self, request: M) -> M::Result
    where
        M: Message + Send + 'static,
        M::Result: Reply + Send,
        C: Handle<M>,
    {
        match self.addr.send(request).await {
            Ok(reply) => reply,
            Err(MailboxError::Closed) => {
                M::Result::from_error(RequestError::Stopped("the connection actor is gone".into()))
            }
            Err(MailboxError::Timeout) => M::Result::from_error(RequestError::Stopped(
                "the connection actor did not take the request".into(),
            )),
        }
    }

    /// Stops the connection with [`ExitReason::Shutdown`](crate::ExitReason::Shutdown).
    pub fn stop(&self) {
        self.addr.do_send(Stop::default());
    }

    /// Drops the current link and connects again at once (see [`Reconnect`]).
    pub fn reconnect(&self) {
        self.addr.do_send(Reconnect);
    }

    /// The connection's state, if this handle was made with it (by
    /// [`Builder::start_client`](crate::Builder::start_client)).
    pub fn state(&self) -> Option<ConnState> {
        self.state.as_ref().map(StateWatch::get)
    }

    /// The state handle, if this handle was made with it.
    pub fn state_watch(&self) -> Option<&StateWatch> {
        self.state.as_ref()
    }

    /// The actor's address, for `Recipient`s and raw `send`s.
    pub fn addr(&self) -> &Addr<ConnectionActor<C>> {
        &self.addr
    }
}

impl<C: Connection> std::fmt::Debug for Client<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state)
            .field("owning", &self._owner.is_some())
            .finish()
    }
}
