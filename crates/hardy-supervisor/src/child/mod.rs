//! Running one incarnation of a child: its task, its control cell, its exit report.
//!
//! actix has no links or monitors, so the supervisor owns each child's future itself and
//! learns the exit from there (see [`task`]).

pub(crate) mod control;
pub(crate) mod task;

pub(crate) use control::Control;
pub(crate) use task::{ExitReport, Reporter};
