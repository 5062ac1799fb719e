//! Partition supervisors (Elixir `PartitionSupervisor`): N identical children, each key
//! routed to `hash(key) % N`, the children spread over several arbiters (threads).
//!
//! One actor is one task on one thread; partitioning is how a hot actor scales over cores
//! while each key keeps its order (the same key always reaches the same partition).

use std::any::TypeId;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Context};
use actix_rt::ArbiterHandle;

use crate::child_ref::ChildCell;
use crate::spec::FnStart;
use crate::{
    ChildId, ChildKind, ChildRef, ChildSpec, Error, Intensity, StartError, Supervisor,
    SupervisorRef,
};

type Factory<A> = dyn Fn(usize) -> Result<A, StartError> + Send + Sync;

/// Builds a partition supervisor of `partitions` children built by `factory(index)`.
///
/// ```
/// use actix::prelude::*;
/// use hardy_supervisor::PartitionSupervisor;
///
/// struct Shard(usize);
/// impl Actor for Shard { type Context = Context<Self>; }
///
/// #[actix_rt::main]
/// async fn main() {
///     let shards = PartitionSupervisor::new(4, |i| Ok(Shard(i))).start().await.unwrap();
///     let a = shards.partition_index(&"user:42");
///     assert_eq!(a, shards.partition_index(&"user:42"));
///     assert!(shards.partition(&"user:42").addr().is_some());
///     shards.stop().await;
/// }
/// ```
#[must_use]
pub struct PartitionSupervisor<A: Actor> {
    partitions: usize,
    factory: Arc<Factory<A>>,
    name: String,
    intensity: Intensity,
    arbiters: Vec<ArbiterHandle>,
    /// One cell per partition, shared by every incarnation of the supervisor, so the
    /// partition handles follow a nested partition supervisor across its restarts.
    cells: Vec<Arc<ChildCell<A>>>,
}

impl<A: Actor<Context = Context<A>>> PartitionSupervisor<A> {
    /// `partitions` children (at least one), child `i` built by `factory(i)`.
    pub fn new<F>(partitions: usize, factory: F) -> Self
    where
        F: Fn(usize) -> Result<A, StartError> + Send + Sync + 'static,
    {
        let partitions = partitions.max(1);
        PartitionSupervisor {
            partitions,
            factory: Arc::new(factory),
            name: "partition_supervisor".into(),
            intensity: Intensity::default(),
            arbiters: Vec::new(),
            cells: (0..partitions)
                .map(|_| Arc::new(ChildCell::new()))
                .collect(),
        }
    }

    /// The name in tracing events and introspection.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Restart intensity (default 3 in 5 s).
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.intensity = Intensity::new(max_restarts, period);
        self
    }

    /// The id of partition `i`.
    pub fn partition_id(i: usize) -> ChildId {
        ChildId::from(format!("partition-{i}"))
    }

    /// Partitions that are themselves supervisors (e.g. one `DynamicSupervisor` per
    /// arbiter) are declared as supervisors: they get an infinite shutdown, so their own
    /// children's shutdowns are not cut short, and introspection counts them as such.
    fn kind() -> ChildKind {
        if TypeId::of::<A>() == TypeId::of::<Supervisor>() {
            ChildKind::Supervisor
        } else {
            ChildKind::Worker
        }
    }

    fn specs(&self) -> Vec<ChildSpec> {
        (0..self.partitions)
            .map(|i| {
                let factory = self.factory.clone();
                let arbiter = match self.arbiters.len() {
                    0 => None,
                    n => Some(self.arbiters[i % n].clone()),
                };
                let start = FnStart {
                    factory: Arc::new(move || factory(i)),
                    arbiter,
                    cell: self.cells[i].clone(),
                };
                ChildSpec::from_start(Self::partition_id(i), Self::kind(), Arc::new(start))
            })
            .collect()
    }

    /// Builds the supervisor actor (one-for-one), for nesting; reach it later with
    /// [`PartitionRef::attach`].
    pub fn build(&self) -> Result<Supervisor, Error> {
        Supervisor::builder()
            .name(self.name.clone())
            .intensity(self.intensity.max_restarts, self.intensity.period)
            .children(self.specs())
            .build()
    }

    fn handle(&self, sup: SupervisorRef) -> PartitionRef<A> {
        let parts = self
            .cells
            .iter()
            .enumerate()
            .map(|(i, cell)| ChildRef::new(Self::partition_id(i), cell.clone()))
            .collect();
        PartitionRef { sup, parts }
    }

    /// Spreads the partitions over `arbiters`, round-robin (partition `i` runs on
    /// `arbiters[i % len]`). Each partition is built on its arbiter, so it need not be
    /// `Send`.
    pub fn spread_over(mut self, arbiters: Vec<ArbiterHandle>) -> Self {
        self.arbiters = arbiters;
        self
    }

    /// A spec that nests this partition supervisor under another supervisor, and its
    /// handle, usable before the tree starts; the handle's partitions follow the nested
    /// supervisor (and each partition) across restarts.
    pub fn child_spec(self, id: impl Into<ChildId>) -> (ChildSpec, PartitionRef<A>) {
        let this = Arc::new(self);
        let builder = this.clone();
        let spec = ChildSpec::supervisor(id, move || builder.build());
        let sup = match spec.supervisor_ref() {
            Ok(sup) => sup,
            Err(_) => unreachable!("a supervisor spec has a supervisor cell"),
        };
        (spec, this.handle(sup))
    }

    /// Builds and runs it as a root supervisor on the current arbiter, and returns once
    /// every partition has started. Errors: `FailedToStartChild`.
    pub async fn start(self) -> Result<PartitionRef<A>, Error> {
        let sup = SupervisorRef::start_root(self.build()?);
        sup.started().await?;
        Ok(self.handle(sup))
    }
}

/// A handle to a running partition supervisor: one stable [`ChildRef`] per partition.
pub struct PartitionRef<A: Actor> {
    sup: SupervisorRef,
    parts: Vec<ChildRef<A>>,
}

impl<A: Actor> Clone for PartitionRef<A> {
    fn clone(&self) -> Self {
        PartitionRef {
            sup: self.sup.clone(),
            parts: self.parts.clone(),
        }
    }
}

impl<A: Actor> PartitionRef<A> {
    /// Attaches to a running partition supervisor with `partitions` children.
    pub async fn attach(sup: SupervisorRef, partitions: usize) -> Result<Self, Error> {
        let mut parts = Vec::with_capacity(partitions);
        for i in 0..partitions.max(1) {
            let id = ChildId::from(format!("partition-{i}"));
            parts.push(sup.child_ref::<A>(id).await?);
        }
        Ok(PartitionRef { sup, parts })
    }

    /// How many partitions.
    pub fn partitions(&self) -> usize {
        self.parts.len()
    }

    /// The partition index of `key`: `hash(key) % partitions`, stable for the process.
    pub fn partition_index<K: Hash + ?Sized>(&self, key: &K) -> usize {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        (h.finish() % self.parts.len() as u64) as usize
    }

    /// The partition that serves `key`.
    pub fn partition<K: Hash + ?Sized>(&self, key: &K) -> &ChildRef<A> {
        &self.parts[self.partition_index(key)]
    }

    /// Partition `i` (modulo the number of partitions).
    pub fn nth(&self, i: usize) -> &ChildRef<A> {
        &self.parts[i % self.parts.len()]
    }

    /// The untyped supervisor handle; also reachable through `Deref`.
    pub fn supervisor(&self) -> &SupervisorRef {
        &self.sup
    }
}

/// The untyped supervisor API (`which_children`, `tree`, `subscribe`, `stop`, `wait`, ...)
/// is [`SupervisorRef`]'s, shared with [`DynamicRef`](crate::DynamicRef).
impl<A: Actor> Deref for PartitionRef<A> {
    type Target = SupervisorRef;

    fn deref(&self) -> &SupervisorRef {
        &self.sup
    }
}
