//! Property tests for every backoff policy: delays within their bounds, the cap respected,
//! and a reset starting the sequence again.

use std::time::Duration;

use hardy_connection::backoff::{self, Backoff, Constant, Decorrelated, Exponential, Jitter};
use proptest::prelude::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The delays an exponential policy nominally takes (no jitter).
fn nominal(initial: u64, factor: f64, max: u64, n: usize) -> Vec<Duration> {
    let mut b = Exponential::new(ms(initial), factor, ms(max)).jitter(Jitter::None);
    (0..n).map(|_| b.next_delay().unwrap()).collect()
}

proptest! {
    #[test]
    fn exponential_without_jitter_starts_at_initial_grows_and_caps(
        initial in 1u64..5_000, factor in 1.0f64..4.0, max in 1u64..60_000, n in 1usize..40,
    ) {
        let delays = nominal(initial, factor, max, n);
        prop_assert_eq!(delays[0], ms(initial.min(max)));
        for w in delays.windows(2) {
            prop_assert!(w[0] <= w[1], "never shrinks: {:?}", delays);
        }
        for d in &delays {
            prop_assert!(*d <= ms(max), "capped: {:?}", delays);
        }
    }

    #[test]
    fn exponential_jitter_stays_within_its_band(
        initial in 1u64..5_000, factor in 1.0f64..4.0, max in 1u64..60_000, n in 1usize..40,
        seed: u64, full: bool,
    ) {
        let jitter = if full { Jitter::Full } else { Jitter::Equal };
        let mut b = Exponential::new(ms(initial), factor, ms(max)).jitter(jitter).seed(seed);
        for d in nominal(initial, factor, max, n) {
            let got = b.next_delay().unwrap();
            let low = if full { Duration::ZERO } else { d / 2 };
            prop_assert!(low <= got && got <= d, "{got:?} not in [{low:?}, {d:?}]");
        }
    }

    #[test]
    fn exponential_reset_starts_again(
        initial in 1u64..5_000, factor in 1.0f64..4.0, max in 1u64..60_000, used in 1usize..40,
    ) {
        let mut b = Exponential::new(ms(initial), factor, ms(max)).jitter(Jitter::None);
        for _ in 0..used {
            b.next_delay();
        }
        b.reset();
        prop_assert_eq!(b.next_delay(), Some(ms(initial.min(max))));
    }

    #[test]
    fn decorrelated_stays_between_base_and_max_and_at_most_triples(
        base in 1u64..5_000, max in 1u64..60_000, n in 1usize..60, seed: u64,
    ) {
        let mut b = Decorrelated::new(ms(base), ms(max)).seed(seed);
        let base = ms(base.min(max));
        let mut prev = base;
        for _ in 0..n {
            let d = b.next_delay().unwrap();
            prop_assert!(base <= d && d <= ms(max), "{d:?} outside [{base:?}, {max}ms]");
            prop_assert!(d <= (prev * 3).max(base));
            prev = d;
        }
        b.reset();
        let d = b.next_delay().unwrap();
        prop_assert!(d <= (base * 3).min(ms(max)).max(base), "reset restarts from base");
    }

    #[test]
    fn constant_is_constant(d in 0u64..100_000, n in 1usize..20) {
        let mut b = Constant(ms(d));
        for _ in 0..n {
            prop_assert_eq!(b.next_delay(), Some(ms(d)));
        }
        b.reset();
        prop_assert_eq!(b.next_delay(), Some(ms(d)));
    }

    #[test]
    fn from_iter_gives_up_when_the_iterator_ends_and_reset_restarts_it(
        delays in proptest::collection::vec(0u64..10_000, 0..20), used in 0usize..25,
    ) {
        let list = delays.clone();
        let mut b = backoff::from_iter(move || list.clone().into_iter().map(ms));
        for (i, d) in delays.iter().enumerate().take(used) {
            prop_assert_eq!(b.next_delay(), Some(ms(*d)), "delay {}", i);
        }
        if used >= delays.len() {
            prop_assert_eq!(b.next_delay(), None);
        }
        b.reset();
        prop_assert_eq!(b.next_delay(), delays.first().copied().map(ms));
    }
}

proptest! {
    #[test]
    fn exponential_max_attempts_gives_up_after_n_delays_until_reset(n in 0u32..20, seed: u64) {
        let mut b = Exponential::default().max_attempts(n).seed(seed);
        for _ in 0..n {
            prop_assert!(b.next_delay().is_some());
        }
        prop_assert_eq!(b.next_delay(), None);
        b.reset();
        prop_assert_eq!(b.next_delay().is_some(), n > 0);
    }
}

#[test]
fn redix_defaults() {
    let mut b = Exponential::default().jitter(Jitter::None);
    let first: Vec<_> = (0..3).map(|_| b.next_delay().unwrap()).collect();
    assert_eq!(first, [ms(500), ms(750), ms(1125)]);
    let last = (0..40).map(|_| b.next_delay().unwrap()).last().unwrap();
    assert_eq!(last, Duration::from_secs(30));
}

#[test]
fn an_absurd_factor_saturates_at_the_cap_instead_of_panicking() {
    for factor in [1e20, f64::INFINITY, f64::MAX] {
        let mut b = Exponential::new(ms(500), factor, Duration::from_secs(30)).jitter(Jitter::None);
        assert_eq!(b.next_delay(), Some(ms(500)));
        assert_eq!(b.next_delay(), Some(Duration::from_secs(30)));
    }
    let mut huge = Exponential::new(Duration::MAX, 2.0, Duration::MAX).jitter(Jitter::None);
    assert_eq!(huge.next_delay(), Some(Duration::MAX));
    assert_eq!(huge.next_delay(), Some(Duration::MAX));
}

#[test]
fn an_exponential_policy_can_be_configured_once_and_cloned_per_connection() {
    use hardy_connection::backoff::{Backoff, Exponential, Jitter};
    let template = Exponential::new(Duration::from_millis(100), 2.0, Duration::from_secs(1))
        .jitter(Jitter::None);
    let mut first = template.clone();
    let mut second = template.clone();
    assert_eq!(first.next_delay(), Some(Duration::from_millis(100)));
    assert_eq!(first.next_delay(), Some(Duration::from_millis(200)));
    assert_eq!(
        second.next_delay(),
        Some(Duration::from_millis(100)),
        "clones are independent"
    );
}
