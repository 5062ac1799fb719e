//! Supervisor flags: restart strategy, restart intensity, auto shutdown.
//!
//! These are OTP's `sup_flags`. They are validated once, when the supervisor is built, so a
//! running supervisor never meets an invalid combination.

use std::time::Duration;

use crate::Error;

/// Which children are restarted when one exits and must be restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Only the child that exited is restarted.
    #[default]
    OneForOne,
    /// All other children are stopped (reverse start order), then all started again.
    OneForAll,
    /// The children started after the one that exited are stopped (reverse order), then it
    /// and they are started again in order.
    RestForOne,
}

/// When a supervisor shuts itself down because significant children exited by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutoShutdown {
    /// Never (significant children are not allowed to matter).
    #[default]
    Never,
    /// As soon as any significant child exits by itself and is not restarted.
    AnySignificant,
    /// When the last running significant child exits by itself and is not restarted.
    AllSignificant,
}

/// Restart intensity: more than `max_restarts` restarts within `period` makes the
/// supervisor give up, stop its children and exit with `Shutdown` (escalation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intensity {
    /// Restarts allowed within `period`; `0` makes the first restart fatal.
    pub max_restarts: u32,
    /// The sliding window; must be longer than zero.
    pub period: Duration,
}

impl Default for Intensity {
    /// Elixir's defaults: 3 restarts in 5 seconds.
    fn default() -> Self {
        Intensity {
            max_restarts: 3,
            period: Duration::from_secs(5),
        }
    }
}

impl Intensity {
    /// `max_restarts` restarts within `period`.
    pub fn new(max_restarts: u32, period: Duration) -> Self {
        Intensity {
            max_restarts,
            period,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.period.is_zero() {
            return Err(Error::InvalidFlags(
                "the intensity period must be longer than zero (Elixir's default is 5 s)".into(),
            ));
        }
        Ok(())
    }
}
