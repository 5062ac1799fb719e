//! Pipelines and transactions: several commands in one round trip.

use crate::Cmd;

/// Commands sent together and answered together, in order.
///
/// Use it with [`Redis::pipeline`](crate::Redis::pipeline) (each reply separately; a Redis
/// error in one does not fail the others), [`Redis::transaction`](crate::Redis::transaction)
/// (wrapped in `MULTI`/`EXEC`) or [`Redis::noreply`](crate::Redis::noreply).
///
/// ```
/// use hardy_redis::{cmd, Pipeline};
/// let p = Pipeline::new()
///     .cmd(cmd("SET").arg("a").arg(1))
///     .cmd(cmd("INCR").arg("a"));
/// assert_eq!(p.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pipeline {
    cmds: Vec<Cmd>,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Pipeline::default()
    }

    /// Adds a command (builder style).
    pub fn cmd(mut self, cmd: Cmd) -> Self {
        self.cmds.push(cmd);
        self
    }

    /// Adds a command.
    pub fn push(&mut self, cmd: Cmd) -> &mut Self {
        self.cmds.push(cmd);
        self
    }

    /// How many commands it holds.
    pub fn len(&self) -> usize {
        self.cmds.len()
    }

    /// Whether it holds no command.
    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    /// The commands.
    pub fn into_cmds(self) -> Vec<Cmd> {
        self.cmds
    }

    /// The commands wrapped in `MULTI` … `EXEC`.
    pub(crate) fn into_transaction(self) -> Vec<Cmd> {
        let mut cmds = Vec::with_capacity(self.cmds.len() + 2);
        cmds.push(crate::cmd("MULTI"));
        cmds.extend(self.cmds);
        cmds.push(crate::cmd("EXEC"));
        cmds
    }
}

impl FromIterator<Cmd> for Pipeline {
    fn from_iter<I: IntoIterator<Item = Cmd>>(iter: I) -> Self {
        Pipeline {
            cmds: iter.into_iter().collect(),
        }
    }
}

impl Extend<Cmd> for Pipeline {
    fn extend<I: IntoIterator<Item = Cmd>>(&mut self, iter: I) {
        self.cmds.extend(iter)
    }
}
