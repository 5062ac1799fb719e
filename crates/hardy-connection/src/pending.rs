//! The callers waiting for replies on the current link, oldest first.
//!
//! Every pipelined protocol needs this FIFO, and every hand-written one gets an edge wrong:
//! forgetting to fail it on disconnect hands an old caller the first reply of the new link.
//! Here the driver owns it: each entry is pushed in the same turn as its request's bytes are
//! written (so the order of entries is the order on the wire), the reader hands replies to
//! the front, and when the link ends every entry is failed with [`RequestError`] before
//! `disconnect` runs. Deadlines are swept by one timer while any entry has one; an expired
//! entry answers `Timeout` and stays in place, so its late reply is consumed and the next
//! reply still reaches the next caller. The sweep remembers the earliest deadline, so a tick
//! with nothing due costs no scan. With
//! [`Builder::max_consecutive_timeouts`](crate::Builder::max_consecutive_timeouts), requests
//! that keep timing out with no reply in between drop the link (a busy half-open link).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use actix::{AsyncContext, Context, SpawnHandle};
use tokio::time::Instant;

use crate::{Connection, ConnectionActor, RequestError};

/// Something waiting for one reply on the link: a caller, a health-check probe, a
/// pipeline waiting for several items.
///
/// [`Ctx::request`](crate::Ctx::request) makes one for you; implement it yourself for
/// replies made of several items, and push it with [`Pending::push`].
pub trait Waiter<I>: 'static {
    /// One item of the reply. Returns `true` once the reply is complete (the entry is then
    /// removed). Also called after [`fail`](Self::fail) (a timeout), with the items that
    /// still arrive: drop them, but count them, so the queue stays aligned.
    fn take(&mut self, item: I) -> bool;

    /// The reply will not come, or not in time: answer the caller with `error`. Called at
    /// most once.
    fn fail(&mut self, error: RequestError);

    /// Whether the link must be dropped when this waiter times out, because the stream can
    /// no longer be read in step (say a request that switched the peer's reply mode, whose
    /// late reply cannot be told apart). Default `false`: the late reply is consumed.
    fn drop_link_on_timeout(&self) -> bool {
        false
    }
}

struct Entry<I> {
    waiter: Box<dyn Waiter<I>>,
    /// When the caller stops waiting, and the timeout it was given.
    deadline: Option<(Instant, Duration)>,
    /// The caller was answered already (a timeout): the reply is only consumed.
    answered: bool,
}

struct Queue<I> {
    waiting: VecDeque<Entry<I>>,
    /// Entries with a deadline that are not answered yet.
    timed: usize,
    /// No unanswered entry is due before this (it may be earlier than the earliest
    /// deadline left: the next sweep then scans and moves it).
    next_due: Option<Instant>,
    sweep: Option<SpawnHandle>,
    /// Timeouts since the peer last answered anything.
    timeouts_in_a_row: u32,
    /// How many of those drop the link (0: never).
    max_timeouts_in_a_row: u32,
}

/// Why a sweep drops the link.
enum DropLink {
    /// A waiter that cannot be skipped timed out.
    Unskippable(Duration),
    /// Too many timeouts in a row.
    TimeoutsInARow(u32, Duration),
}

/// The queue of callers waiting for replies on the current link (see the module docs).
///
/// A cheap handle: clones share the queue. Get it with [`Ctx::pending`](crate::Ctx::pending).
pub struct Pending<C: Connection> {
    queue: Rc<RefCell<Queue<C::Incoming>>>,
}

impl<C: Connection> Clone for Pending<C> {
    fn clone(&self) -> Self {
        Pending {
            queue: self.queue.clone(),
        }
    }
}

impl<C: Connection> Default for Pending<C> {
    fn default() -> Self {
        Pending::new(0)
    }
}

impl<C: Connection> Pending<C> {
    /// An empty queue; `max_timeouts_in_a_row` (0: off) as
    /// [`Builder::max_consecutive_timeouts`](crate::Builder::max_consecutive_timeouts).
    pub(crate) fn new(max_timeouts_in_a_row: u32) -> Self {
        Pending {
            queue: Rc::new(RefCell::new(Queue {
                waiting: VecDeque::new(),
                timed: 0,
                next_due: None,
                sweep: None,
                timeouts_in_a_row: 0,
                max_timeouts_in_a_row,
            })),
        }
    }

    /// How many requests are waiting for their reply (including those that timed out and
    /// whose late reply is still to be consumed).
    pub fn len(&self) -> usize {
        self.queue.borrow().waiting.len()
    }

    /// Whether no request is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a waiter behind the others. Push it in the same turn as its request's bytes
    /// are written to the link, so the queue's order is the order on the wire. With a
    /// `timeout`, the waiter fails with [`RequestError::Timeout`] when no reply came in
    /// time (checked every tenth of it, at most every 100 ms).
    pub fn push(
        &self,
        waiter: impl Waiter<C::Incoming>,
        timeout: Option<Duration>,
        ctx: &mut Context<ConnectionActor<C>>,
    ) {
        let deadline = timeout.map(|limit| (Instant::now() + limit, limit));
        self.push_entry(Box::new(waiter), deadline, ctx);
    }

    /// Like [`push`](Self::push), for a request whose time started before its bytes were
    /// written (one kept while the link was down, then written on the next link): it fails
    /// with `Timeout(timeout)` at `deadline`, or at the next sweep if that has passed.
    pub fn push_until(
        &self,
        waiter: impl Waiter<C::Incoming>,
        deadline: Instant,
        timeout: Duration,
        ctx: &mut Context<ConnectionActor<C>>,
    ) {
        self.push_entry(Box::new(waiter), Some((deadline, timeout)), ctx);
    }

    fn push_entry(
        &self,
        waiter: Box<dyn Waiter<C::Incoming>>,
        deadline: Option<(Instant, Duration)>,
        ctx: &mut Context<ConnectionActor<C>>,
    ) {
        let mut queue = self.queue.borrow_mut();
        queue.waiting.push_back(Entry {
            waiter,
            deadline,
            answered: false,
        });
        let Some((due, limit)) = deadline else { return };
        queue.timed += 1;
        queue.next_due = Some(queue.next_due.map_or(due, |next| next.min(due)));
        if queue.sweep.is_none() {
            let every = (limit / 10).clamp(Duration::from_millis(1), Duration::from_millis(100));
            let this = self.clone();
            queue.sweep = Some(
                ctx.run_interval(every, move |act, ctx| match this.expire(ctx) {
                    None => {}
                    Some(DropLink::Unskippable(limit)) => {
                        act.with_ctx(ctx, |_, cx| cx.disconnect(timed_out(limit)))
                    }
                    Some(DropLink::TimeoutsInARow(count, limit)) => {
                        act.with_ctx(ctx, |_, cx| cx.disconnect(in_a_row(count, limit)))
                    }
                }),
            );
        }
    }

    /// Hands `item` to the waiter at the front. `Err(item)` when nobody waits: the peer
    /// sent a reply nobody asked for, and the link can no longer be trusted.
    pub fn answer(&self, item: C::Incoming) -> Result<(), C::Incoming> {
        let mut queue = self.queue.borrow_mut();
        queue.timeouts_in_a_row = 0;
        let Some(front) = queue.waiting.front_mut() else {
            return Err(item);
        };
        if front.waiter.take(item) {
            if let Some(done) = queue.waiting.pop_front() {
                if done.deadline.is_some() && !done.answered {
                    queue.timed -= 1;
                }
            }
        }
        Ok(())
    }

    /// Fails every waiter with `error` and empties the queue.
    pub(crate) fn fail_all(&self, error: RequestError) {
        let drained: Vec<_> = {
            let mut queue = self.queue.borrow_mut();
            queue.timed = 0;
            queue.next_due = None;
            queue.timeouts_in_a_row = 0;
            queue.waiting.drain(..).collect()
        };
        // Answered outside the borrow: a waiter's caller may run code that looks at us.
        for mut entry in drained {
            if !entry.answered {
                entry.waiter.fail(error.clone());
            }
        }
    }

    /// Answers the waiters whose deadline passed with `Timeout`; they stay, for their late
    /// replies. Stops the sweep once no waiter has a deadline left. Says why the link must
    /// be dropped, if it must.
    fn expire(&self, ctx: &mut Context<ConnectionActor<C>>) -> Option<DropLink> {
        let now = Instant::now();
        let mut queue = self.queue.borrow_mut();
        if queue.next_due.is_some_and(|due| due > now) {
            return None;
        }
        let mut expired = 0;
        let mut unskippable = None;
        let mut last_limit = Duration::ZERO;
        let mut next_due: Option<Instant> = None;
        for entry in queue.waiting.iter_mut().filter(|e| !e.answered) {
            let Some((deadline, limit)) = entry.deadline else {
                continue;
            };
            if deadline > now {
                next_due = Some(next_due.map_or(deadline, |next| next.min(deadline)));
                continue;
            }
            entry.answered = true;
            entry.waiter.fail(RequestError::Timeout(limit));
            expired += 1;
            last_limit = limit;
            if entry.waiter.drop_link_on_timeout() {
                unskippable = Some(limit);
            }
        }
        queue.next_due = next_due;
        queue.timed -= expired;
        if queue.timed == 0 {
            if let Some(handle) = queue.sweep.take() {
                ctx.cancel_future(handle);
            }
        }
        if let Some(limit) = unskippable {
            return Some(DropLink::Unskippable(limit));
        }
        let count = u32::try_from(expired).unwrap_or(u32::MAX);
        queue.timeouts_in_a_row = queue.timeouts_in_a_row.saturating_add(count);
        let max = queue.max_timeouts_in_a_row;
        (expired > 0 && max > 0 && queue.timeouts_in_a_row >= max)
            .then(|| DropLink::TimeoutsInARow(queue.timeouts_in_a_row, last_limit))
    }

    /// Stops the sweep (the actor is stopping).
    pub(crate) fn stop_sweep(&self, ctx: &mut Context<ConnectionActor<C>>) {
        if let Some(handle) = self.queue.borrow_mut().sweep.take() {
            ctx.cancel_future(handle);
        }
    }
}

/// Why the link is dropped when a waiter that cannot be skipped times out.
fn timed_out<E: From<std::io::Error>>(limit: Duration) -> crate::Failure<E> {
    let error = std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("a request whose reply cannot be skipped got none within {limit:?}"),
    );
    crate::Failure::Error(error.into())
}

/// Why the link is dropped when requests keep timing out.
fn in_a_row<E: From<std::io::Error>>(count: u32, limit: Duration) -> crate::Failure<E> {
    let error = std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{count} requests in a row got no reply within {limit:?}"),
    );
    crate::Failure::Error(error.into())
}

impl<C: Connection> std::fmt::Debug for Pending<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("len", &self.len()).finish()
    }
}
