//! The restart window behind restart intensity (OTP's `add_restart`).
//!
//! Kept apart from the supervisor so the one rule that decides escalation is small and
//! testable on its own.

use std::collections::VecDeque;

use tokio::time::Instant;

use crate::Intensity;

/// Timestamps of the restarts that happened within the last `period`.
#[derive(Debug)]
pub(crate) struct RestartWindow {
    intensity: Intensity,
    restarts: VecDeque<Instant>,
}

impl RestartWindow {
    pub(crate) fn new(intensity: Intensity) -> Self {
        RestartWindow {
            intensity,
            restarts: VecDeque::new(),
        }
    }

    /// Records a restart at `now`; `false` when it makes the count exceed `max_restarts`.
    pub(crate) fn add_restart(&mut self, now: Instant) -> bool {
        while let Some(first) = self.restarts.front() {
            if now.duration_since(*first) >= self.intensity.period {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        self.restarts.push_back(now);
        self.restarts.len() <= self.intensity.max_restarts as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn restarts_spaced_wider_than_the_period_never_exceed() {
        let mut w = RestartWindow::new(Intensity::new(1, Duration::from_secs(5)));
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(w.add_restart(t0 + Duration::from_secs(5) * i));
        }
    }

    #[test]
    fn one_restart_too_many_within_the_period_exceeds() {
        let mut w = RestartWindow::new(Intensity::new(2, Duration::from_secs(5)));
        let t0 = Instant::now();
        assert!(w.add_restart(t0));
        assert!(w.add_restart(t0 + Duration::from_secs(1)));
        assert!(!w.add_restart(t0 + Duration::from_secs(2)));
    }

    #[test]
    fn max_restarts_zero_makes_the_first_restart_fatal() {
        let mut w = RestartWindow::new(Intensity::new(0, Duration::from_secs(5)));
        assert!(!w.add_restart(Instant::now()));
    }
}
