//! Backoff policies: how long to wait before the next connect attempt.
//!
//! Elixir's `Connection` only offers the timer and leaves the growth to the implementer;
//! every implementer then writes the same exponential-with-cap-and-jitter code. These are
//! the usual policies, reset once a link has stayed up long enough, and deterministic under a
//! seed so tests can pin exact sequences.

use std::fmt;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A backoff policy: the delays between connect attempts.
///
/// The connection asks for [`next_delay`](Backoff::next_delay) on every
/// [`Next::Backoff`](crate::Next::Backoff) and calls [`reset`](Backoff::reset) when a
/// link that stayed up long enough (see
/// [`Builder::reset_backoff_after`](crate::Builder::reset_backoff_after)) drops. `None` means "give up": the actor then stops.
pub trait Backoff: Send + 'static {
    /// The delay before the next attempt, or `None` to give up.
    fn next_delay(&mut self) -> Option<Duration>;
    /// Starts the sequence again (after a stable link).
    fn reset(&mut self);
}

impl<B: Backoff + ?Sized> Backoff for Box<B> {
    fn next_delay(&mut self) -> Option<Duration> {
        (**self).next_delay()
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

/// How much randomness to add to a computed delay `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly `d`.
    None,
    /// Uniform in `[d/2, d]`: spreads reconnecting clients while never retrying sooner
    /// than half the nominal delay. The default.
    Equal,
    /// Uniform in `[0, d]` (AWS "full jitter"): the widest spread.
    Full,
}

fn rng_from(seed: Option<u64>) -> StdRng {
    match seed {
        Some(s) => StdRng::seed_from_u64(s),
        None => StdRng::from_entropy(),
    }
}

fn apply_jitter(rng: &mut StdRng, jitter: Jitter, d: Duration) -> Duration {
    match jitter {
        Jitter::None => d,
        Jitter::Equal => {
            let half = d / 2;
            half + rng.gen_range(Duration::ZERO..=d - half)
        }
        Jitter::Full => rng.gen_range(Duration::ZERO..=d),
    }
}

/// Exponential backoff with a cap and jitter: `initial`, `initial·factor`,
/// `initial·factor²`, ... never above `max`, then jittered.
///
/// Defaults are Redix's: 500 ms initial, factor 1.5, cap 30 s; jitter [`Jitter::Equal`].
///
/// ```
/// use std::time::Duration;
/// use hardy_connection::backoff::{Backoff, Exponential, Jitter};
/// let mut b = Exponential::new(Duration::from_millis(100), 2.0, Duration::from_millis(300))
///     .jitter(Jitter::None);
/// let delays: Vec<_> = (0..4).map(|_| b.next_delay().unwrap().as_millis()).collect();
/// assert_eq!(delays, [100, 200, 300, 300]);
/// b.reset();
/// assert_eq!(b.next_delay(), Some(Duration::from_millis(100)));
/// ```
pub struct Exponential {
    initial: Duration,
    factor: f64,
    max: Duration,
    jitter: Jitter,
    next: Duration,
    max_attempts: Option<u32>,
    given: u32,
    rng: StdRng,
}

impl Exponential {
    /// A policy starting at `initial`, multiplied by `factor` after each attempt, capped at
    /// `max`. A `factor` below 1 (or not a number) is taken as 1; `initial` above `max` is
    /// taken as `max`.
    pub fn new(initial: Duration, factor: f64, max: Duration) -> Self {
        let initial = initial.min(max);
        Exponential {
            initial,
            factor: if factor >= 1.0 { factor } else { 1.0 },
            max,
            jitter: Jitter::Equal,
            next: initial,
            max_attempts: None,
            given: 0,
            rng: rng_from(None),
        }
    }

    /// Gives up after `n` delays without a successful connect in between: the connection
    /// then stops with an error. Unlimited by default.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = Some(n);
        self
    }

    /// Sets the jitter (default [`Jitter::Equal`]).
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Seeds the jitter's random numbers, for reproducible sequences in tests.
    pub fn seed(mut self, seed: u64) -> Self {
        self.rng = rng_from(Some(seed));
        self
    }
}

impl Default for Exponential {
    fn default() -> Self {
        Exponential::new(Duration::from_millis(500), 1.5, Duration::from_secs(30))
    }
}

impl Backoff for Exponential {
    fn next_delay(&mut self) -> Option<Duration> {
        if self.max_attempts.is_some_and(|max| self.given >= max) {
            return None;
        }
        self.given += 1;
        let nominal = self.next;
        // `mul_f64` panics on overflow: a huge factor or cap saturates at the cap instead.
        self.next = Duration::try_from_secs_f64(nominal.as_secs_f64() * self.factor)
            .unwrap_or(self.max)
            .min(self.max);
        Some(apply_jitter(&mut self.rng, self.jitter, nominal))
    }

    fn reset(&mut self) {
        self.next = self.initial;
        self.given = 0;
    }
}

impl fmt::Debug for Exponential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exponential")
            .field("initial", &self.initial)
            .field("factor", &self.factor)
            .field("max", &self.max)
            .field("jitter", &self.jitter)
            .finish()
    }
}

/// The same delay every time.
///
/// ```
/// use std::time::Duration;
/// use hardy_connection::backoff::{Backoff, Constant};
/// let mut b = Constant(Duration::from_secs(1));
/// assert_eq!(b.next_delay(), Some(Duration::from_secs(1)));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Constant(pub Duration);

impl Backoff for Constant {
    fn next_delay(&mut self) -> Option<Duration> {
        Some(self.0)
    }
    fn reset(&mut self) {}
}

/// "Decorrelated jitter" (AWS): each delay is uniform in `[base, previous·3]`, capped at
/// `max`. Grows like exponential backoff but with more spread between clients.
pub struct Decorrelated {
    base: Duration,
    max: Duration,
    prev: Duration,
    rng: StdRng,
}

impl Decorrelated {
    /// A policy with delays of at least `base` and at most `max` (`base` above `max` is
    /// taken as `max`).
    pub fn new(base: Duration, max: Duration) -> Self {
        let base = base.min(max);
        Decorrelated {
            base,
            max,
            prev: base,
            rng: rng_from(None),
        }
    }

    /// Seeds the random numbers, for reproducible sequences in tests.
    pub fn seed(mut self, seed: u64) -> Self {
        self.rng = rng_from(Some(seed));
        self
    }
}

impl Backoff for Decorrelated {
    fn next_delay(&mut self) -> Option<Duration> {
        let upper = self.prev.saturating_mul(3).min(self.max).max(self.base);
        let d = self.rng.gen_range(self.base..=upper);
        self.prev = d;
        Some(d)
    }

    fn reset(&mut self) {
        self.prev = self.base;
    }
}

impl fmt::Debug for Decorrelated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decorrelated")
            .field("base", &self.base)
            .field("max", &self.max)
            .finish()
    }
}

/// Delays taken from an iterator, made anew by `make` on every reset. When the iterator
/// ends, the connection gives up: use `.take(n)` to limit the attempts.
///
/// ```
/// use std::time::Duration;
/// use hardy_connection::backoff::{self, Backoff};
/// let mut b = backoff::from_iter(|| [1, 2].into_iter().map(Duration::from_secs));
/// assert_eq!(b.next_delay(), Some(Duration::from_secs(1)));
/// assert_eq!(b.next_delay(), Some(Duration::from_secs(2)));
/// assert_eq!(b.next_delay(), None);
/// b.reset();
/// assert_eq!(b.next_delay(), Some(Duration::from_secs(1)));
/// ```
pub fn from_iter<F, I>(make: F) -> FromIter<F, I>
where
    F: FnMut() -> I + Send + 'static,
    I: Iterator<Item = Duration> + Send + 'static,
{
    let mut make = make;
    let iter = make();
    FromIter { make, iter }
}

/// The policy made by [`from_iter`].
pub struct FromIter<F, I> {
    make: F,
    iter: I,
}

impl<F, I> Backoff for FromIter<F, I>
where
    F: FnMut() -> I + Send + 'static,
    I: Iterator<Item = Duration> + Send + 'static,
{
    fn next_delay(&mut self) -> Option<Duration> {
        self.iter.next()
    }
    fn reset(&mut self) {
        self.iter = (self.make)();
    }
}

impl<F, I> fmt::Debug for FromIter<F, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FromIter")
    }
}
