//! The supervisor's API as actix messages (OTP's `start_child`, `terminate_child`, ...).
//!
//! Most callers use [`SupervisorRef`](crate::SupervisorRef), whose methods send these.
//! Answers are typed; errors are [`Error`] variants.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::Arc;

use actix::fut::{ready, ActorFutureExt, WrapFuture};
use actix::{AtomicResponse, Context, Handler, Message, MessageResult, ResponseFuture};
use futures::future::join_all;
use tokio::sync::broadcast;

use super::start::Reply;
use super::stop::After;
use super::{Phase, State, Supervisor};
use crate::introspect::{ChildCounts, ChildInfo, ChildNode, ChildStatus, Event, SupervisorTree};
use crate::{ChildId, ChildKind, ChildSpec, Error, ExitReason, Pid};

/// What `start_child` and `restart_child` answer on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildStarted {
    /// The child's id (for a dynamic supervisor, the id it was given).
    pub id: ChildId,
    /// The new incarnation, or `None` when the factory answered `Ignore`.
    pub pid: Option<Pid>,
}

/// Adds and starts a child.
#[derive(Debug)]
pub struct StartChild(pub ChildSpec);

impl Message for StartChild {
    type Result = Result<ChildStarted, Error>;
}

/// `StartChild` that also answers the child's cell (for typed handles).
pub(crate) struct StartChildCell(pub ChildSpec);

pub(crate) type CellAnswer = Result<(ChildStarted, Arc<dyn Any + Send + Sync>), Error>;

impl Message for StartChildCell {
    type Result = CellAnswer;
}

/// Stops a child; its spec is kept unless it is temporary or dynamic.
#[derive(Debug)]
pub struct TerminateChild(pub ChildId);

impl Message for TerminateChild {
    type Result = Result<(), Error>;
}

/// Starts a kept, not running child again.
#[derive(Debug)]
pub struct RestartChild(pub ChildId);

impl Message for RestartChild {
    type Result = Result<ChildStarted, Error>;
}

/// Forgets a kept, not running child.
#[derive(Debug)]
pub struct DeleteChild(pub ChildId);

impl Message for DeleteChild {
    type Result = Result<(), Error>;
}

/// Lists the children, newest first.
#[derive(Debug)]
pub struct WhichChildren;

impl Message for WhichChildren {
    type Result = Vec<ChildInfo>;
}

/// Counts the children.
#[derive(Debug)]
pub struct CountChildren;

impl Message for CountChildren {
    type Result = ChildCounts;
}

/// Asks for the whole tree below this supervisor.
#[derive(Debug)]
pub struct GetTree;

impl Message for GetTree {
    type Result = SupervisorTree;
}

/// Subscribes to this supervisor's events.
#[derive(Debug)]
pub struct Subscribe;

impl Message for Subscribe {
    type Result = broadcast::Receiver<Event>;
}

/// Stops all children in reverse order, then the supervisor (reason `Shutdown`).
#[derive(Debug)]
pub struct StopSupervisor;

impl Message for StopSupervisor {
    type Result = ();
}

/// The cell behind a child's stable handles.
pub(crate) struct GetCell(pub ChildId);

impl Message for GetCell {
    type Result = Result<Arc<dyn Any + Send + Sync>, Error>;
}

impl Supervisor {
    /// Adds a child and starts it (awaiting its acknowledgement); `answer` gets the
    /// outcome. A child that fails to start is not kept.
    fn add_child(&mut self, spec: ChildSpec, ctx: &mut Context<Self>, answer: Reply<CellAnswer>) {
        if let Err(e) = self.admit(&spec) {
            answer.send(Err(e));
            return;
        }
        spec.warn_unreachable_intensity(&self.name, self.intensity);
        let key = match self.insert(spec) {
            Ok(key) => key,
            Err(e) => {
                answer.send(Err(e));
                return;
            }
        };
        let Some((id, cell)) = self
            .children
            .get(&key)
            .map(|c| (c.spec.id.clone(), c.cell.clone().into_any()))
        else {
            answer.send(Err(Error::SupervisorDown));
            return;
        };
        self.start_in_order(
            VecDeque::from([key]),
            ctx,
            Box::new(move |act, _, result| match result {
                Ok(()) => {
                    let pid = act.running_pid(key);
                    answer.send(Ok((ChildStarted { id, pid }, cell)));
                }
                Err(failure) => {
                    act.remove(key);
                    answer.send(Err(Error::StartFailed {
                        id,
                        reason: failure.reason,
                    }));
                }
            }),
        );
    }

    /// Whether `spec` may be added now (OTP's `check_childspecs` and the id checks).
    fn admit(&self, spec: &ChildSpec) -> Result<(), Error> {
        if self.phase != Phase::Running {
            return Err(Error::SupervisorDown);
        }
        spec.check_for(self.auto_shutdown)?;
        if self.dynamic {
            if let Some(max) = self.max_children {
                if self.children.len() >= max {
                    return Err(Error::MaxChildren(max));
                }
            }
        } else if let Some(key) = self.ids.get(&spec.id) {
            return Err(match self.children.get(key).map(|c| &c.state) {
                Some(State::Running(_)) => Error::AlreadyStarted(spec.id.clone()),
                _ => Error::AlreadyPresent(spec.id.clone()),
            });
        }
        Ok(())
    }

    fn info(&self) -> impl DoubleEndedIterator<Item = ChildInfo> + '_ {
        self.children.values().map(|c| ChildInfo {
            id: c.spec.id.clone(),
            status: status(&c.state),
            kind: c.spec.kind,
        })
    }
}

fn status(state: &State) -> ChildStatus {
    match state {
        State::Running(s) => ChildStatus::Running(s.pid),
        State::Restarting => ChildStatus::Restarting,
        State::Stopped => ChildStatus::Undefined,
    }
}

impl Handler<StartChild> for Supervisor {
    type Result = Reply<Result<ChildStarted, Error>>;

    fn handle(&mut self, msg: StartChild, ctx: &mut Context<Self>) -> Self::Result {
        let reply = Reply::new();
        let answer = Reply::new();
        let out = reply.clone();
        self.add_child(msg.0, ctx, answer.clone());
        // Bridge the cell answer to the plain one without a future: `answer` is ready now
        // for a start acknowledged in place, else it is forwarded when the start is done.
        answer.forward(move |a: CellAnswer| out.send(a.map(|(started, _)| started)));
        reply
    }
}

impl Handler<StartChildCell> for Supervisor {
    type Result = Reply<CellAnswer>;

    fn handle(&mut self, msg: StartChildCell, ctx: &mut Context<Self>) -> Self::Result {
        let reply = Reply::new();
        self.add_child(msg.0, ctx, reply.clone());
        reply
    }
}

impl Handler<TerminateChild> for Supervisor {
    type Result = AtomicResponse<Self, Result<(), Error>>;

    fn handle(
        &mut self,
        TerminateChild(id): TerminateChild,
        _: &mut Context<Self>,
    ) -> Self::Result {
        let Some(key) = self.key_of(&id) else {
            return AtomicResponse::new(Box::pin(ready(Err(Error::NotFound(id)))));
        };
        let list = self.take_for_stop(&[key], After::Stay);
        let stop = async move {
            let mut out = Vec::new();
            for s in list {
                out.push(s.stop().await);
            }
            out
        };
        AtomicResponse::new(Box::pin(stop.into_actor(self).map(
            move |stopped, act, _| {
                act.record_stops(&stopped);
                if act.dynamic {
                    act.remove(key);
                }
                Ok(())
            },
        )))
    }
}

impl Handler<RestartChild> for Supervisor {
    type Result = Reply<Result<ChildStarted, Error>>;

    fn handle(&mut self, RestartChild(id): RestartChild, ctx: &mut Context<Self>) -> Self::Result {
        let reply = Reply::new();
        let Some(key) = self.key_of(&id) else {
            reply.send(Err(Error::NotFound(id)));
            return reply;
        };
        match self.children.get(&key).map(|c| &c.state) {
            Some(State::Running(_)) => reply.send(Err(Error::Running(id))),
            Some(State::Restarting) => reply.send(Err(Error::Restarting(id))),
            _ => {
                let answer = reply.clone();
                self.start_in_order(
                    VecDeque::from([key]),
                    ctx,
                    Box::new(move |act, _, result| {
                        answer.send(match result {
                            Ok(()) => Ok(ChildStarted {
                                id,
                                pid: act.running_pid(key),
                            }),
                            Err(failure) => Err(Error::StartFailed {
                                id,
                                reason: failure.reason,
                            }),
                        })
                    }),
                );
            }
        }
        reply
    }
}

impl Handler<DeleteChild> for Supervisor {
    type Result = Result<(), Error>;

    fn handle(&mut self, DeleteChild(id): DeleteChild, _: &mut Context<Self>) -> Self::Result {
        let key = self
            .key_of(&id)
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        match self.children.get(&key).map(|c| &c.state) {
            Some(State::Running(_)) => Err(Error::Running(id)),
            Some(State::Restarting) => Err(Error::Restarting(id)),
            _ => {
                self.remove(key);
                Ok(())
            }
        }
    }
}

impl Handler<WhichChildren> for Supervisor {
    type Result = MessageResult<WhichChildren>;

    fn handle(&mut self, _: WhichChildren, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.info().rev().collect())
    }
}

impl Handler<CountChildren> for Supervisor {
    type Result = MessageResult<CountChildren>;

    fn handle(&mut self, _: CountChildren, _: &mut Context<Self>) -> Self::Result {
        let mut counts = ChildCounts {
            specs: self.children.len(),
            ..ChildCounts::default()
        };
        for c in self.children.values() {
            if matches!(c.state, State::Running(_)) {
                counts.active += 1;
            }
            match c.spec.kind {
                ChildKind::Supervisor => counts.supervisors += 1,
                ChildKind::Worker => counts.workers += 1,
            }
        }
        MessageResult(counts)
    }
}

impl Handler<GetTree> for Supervisor {
    type Result = ResponseFuture<SupervisorTree>;

    fn handle(&mut self, _: GetTree, _: &mut Context<Self>) -> Self::Result {
        let mut nodes = Vec::with_capacity(self.children.len());
        let mut below = Vec::new();
        for (i, c) in self.children.values().enumerate() {
            if let State::Running(s) = &c.state {
                if let Some(addr) = &s.supervisor {
                    below.push((i, addr.send(GetTree)));
                }
            }
            nodes.push(ChildNode {
                id: c.spec.id.clone(),
                kind: c.spec.kind,
                restart: c.spec.restart,
                status: status(&c.state),
                restarts: c.restarts,
                last_exit: c.last_exit.clone(),
                children: None,
            });
        }
        let name = self.name.to_string();
        let strategy = (!self.dynamic).then_some(self.strategy);
        Box::pin(async move {
            let (idx, reqs): (Vec<usize>, Vec<_>) = below.into_iter().unzip();
            for (i, tree) in idx.into_iter().zip(join_all(reqs).await) {
                nodes[i].children = tree.ok();
            }
            SupervisorTree {
                name,
                strategy,
                children: nodes,
            }
        })
    }
}

impl Handler<Subscribe> for Supervisor {
    type Result = MessageResult<Subscribe>;

    fn handle(&mut self, _: Subscribe, _: &mut Context<Self>) -> Self::Result {
        let events = self
            .events
            .get_or_insert_with(|| broadcast::channel(1024).0);
        MessageResult(events.subscribe())
    }
}

impl Handler<GetCell> for Supervisor {
    type Result = Result<Arc<dyn Any + Send + Sync>, Error>;

    fn handle(&mut self, GetCell(id): GetCell, _: &mut Context<Self>) -> Self::Result {
        let key = self
            .key_of(&id)
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        match self.children.get(&key) {
            Some(c) => Ok(c.cell.clone().into_any()),
            None => Err(Error::NotFound(id)),
        }
    }
}

impl Handler<StopSupervisor> for Supervisor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: StopSupervisor, ctx: &mut Context<Self>) -> Self::Result {
        self.shutdown(ExitReason::Shutdown, ctx);
        let mut exited = self.exited.subscribe();
        Box::pin(async move {
            let _ = exited.wait_for(Option::is_some).await;
        })
    }
}
