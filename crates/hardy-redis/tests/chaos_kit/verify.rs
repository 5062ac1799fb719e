//! The invariants, checked against the server directly (not through the proxy), and the
//! table of results.
//!
//! - **misaligned**: a reply that is not the request's own (an `ECHO` with another tag, a
//!   `SET` not answered `OK`, an `INCR` out of its counter's possible range): must be 0;
//! - **without outcome**: a request with neither reply nor error within
//!   [`OUTCOME_LIMIT`](super::workload::OUTCOME_LIMIT): must be 0;
//! - **lost acked writes**: an acknowledged `SET` whose key is missing or holds another
//!   value, or a counter below its acknowledged `INCR`s: must be 0;
//! - **extra INCRs**: how far counters are above their acknowledged `INCR`s plus those
//!   reported "may have run": a command run twice by a silent resend; must be 0.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use hardy_redis::{cmd, Redis};

use super::workload::Run;

/// How many keys one `MGET` reads.
const BATCH: usize = 1000;

/// One client's results.
pub struct Row {
    pub client: String,
    pub run: Run,
    pub lost_acked_writes: usize,
    pub extra_incrs: i64,
}

impl Row {
    /// Whether every invariant held.
    pub fn holds(&self) -> bool {
        self.run.misaligned == 0
            && self.run.without_outcome == 0
            && self.lost_acked_writes == 0
            && self.extra_incrs == 0
    }

    /// The row as one line of text.
    pub fn line(&self) -> String {
        format!(
            "{}: {} commands, {} ok, {} errors ({} maybe executed, {} server replies {:?}), {} misaligned (ECHO {}, SET \
             {}, INCR {}), {} INCR replies that skipped values, {} without outcome, {} lost \
             acked writes, {} extra INCRs, {} faults, {:.2?}",
            self.client,
            self.run.commands,
            self.run.ok,
            self.run.errors,
            self.run.errors_maybe_executed,
            self.run.errors_server,
            self.run.server_codes,
            self.run.misaligned,
            self.run.misaligned_by[0],
            self.run.misaligned_by[1],
            self.run.misaligned_by[2],
            self.run.incr_jumps,
            self.run.without_outcome,
            self.lost_acked_writes,
            self.extra_incrs,
            self.run.faults,
            self.run.wall
        ) + &self
            .run
            .misaligned_samples
            .iter()
            .map(|s| format!("\n  misaligned: {s}"))
            .collect::<String>()
    }
}

/// Where the checks read the values back: the server itself, not through the client
/// under test.
pub trait Store {
    /// The values of `keys`, in order (`None` for a missing key); panics if it cannot
    /// read them.
    fn values(&self, keys: &[&str]) -> impl Future<Output = Vec<Option<String>>>;
}

/// One server, read with `MGET`.
impl Store for Redis {
    async fn values(&self, keys: &[&str]) -> Vec<Option<String>> {
        self.command(cmd("MGET").arg(keys)).await.expect("MGET")
    }
}

/// Reads every acknowledged write and every counter back from the server at `addr`.
pub async fn check(client: &str, run: Run, addr: SocketAddr) -> Row {
    let direct = Redis::connect(
        format!("redis://{addr}")
            .parse::<hardy_redis::Config>()
            .expect("URL")
            .command_timeout(Duration::from_secs(60)),
    )
    .await
    .expect("a direct connection to the server");
    check_with(client, run, &direct).await
}

/// Reads every acknowledged write and every counter back from `store`.
pub async fn check_with(client: &str, run: Run, store: &impl Store) -> Row {
    let mut lost = 0;
    for batch in run.acked_sets.chunks(BATCH) {
        let keys: Vec<&str> = batch.iter().map(|(k, _)| k.as_str()).collect();
        let values = store.values(&keys).await;
        lost += batch
            .iter()
            .zip(values)
            .filter(|((_, want), got)| got.as_deref() != Some(want.as_str()))
            .count();
    }
    let mut extra = 0;
    for batch in run.counters.chunks(BATCH) {
        let keys: Vec<&str> = batch.iter().map(|c| c.key.as_str()).collect();
        let values = store.values(&keys).await;
        for (counter, value) in batch.iter().zip(values) {
            let value: i64 = value.map_or(0, |v| v.parse().expect("a counter"));
            if value < counter.acked {
                lost += 1;
            }
            extra += (value - counter.acked - counter.maybe).max(0);
        }
    }
    Row {
        client: client.to_owned(),
        run,
        lost_acked_writes: lost,
        extra_incrs: extra,
    }
}

/// The side-by-side table, in Markdown.
pub fn print_table(rows: &[Row]) {
    println!(
        "| client | commands | ok | errors surfaced | of which may have run | of which server replies | misaligned | without outcome | lost acked writes | extra INCRs | faults fired | wall time |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} s |",
            row.client,
            row.run.commands,
            row.run.ok,
            row.run.errors,
            row.run.errors_maybe_executed,
            row.run.errors_server,
            row.run.misaligned,
            row.run.without_outcome,
            row.lost_acked_writes,
            row.extra_incrs,
            row.run.faults,
            row.run.wall.as_secs_f64()
        );
    }
}
