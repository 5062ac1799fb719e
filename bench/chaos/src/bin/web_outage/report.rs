//! What one run's samples say: errors before, during and after the outage, how long the
//! service took to recover after the restart, throughput, and whether the counter on the
//! server matches the `INCR`s answered 200 (allowing those answered 503 "may have run").

use std::time::Duration;

use crate::load::{Outcome, Sample};

/// The moments of a run, since its start.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    /// redis-server SIGKILLed.
    pub kill: Duration,
    /// redis-server launched again on the same port.
    pub restart: Duration,
    /// ... and answering (the testkit's readiness check returned).
    pub ready: Duration,
    /// Load stopped.
    pub end: Duration,
}

/// One row of the table.
pub struct Row {
    pub client: String,
    pub requests: usize,
    pub ok: usize,
    pub unavailable: usize,
    pub unavailable_down: usize,
    pub unavailable_after: usize,
    pub maybe_ran: usize,
    pub other: usize,
    pub first_ok: Option<Duration>,
    pub all_ok: Option<Duration>,
    pub longest: Duration,
    pub rate_before: f64,
    pub rate_after: f64,
    /// INCRs applied on the server (both lifetimes) minus 200s: must be in 0..=maybe_ran.
    pub applied_minus_ok: i64,
    /// 200s with a value another 200 of the same server lifetime also had: must be 0.
    pub duplicates: usize,
    pub ready_after: Duration,
}

/// Analyses one run: `samples` from the load generator, `conns` connections, and the
/// counter read from the server after the load stopped.
pub fn analyse(client: &str, samples: &[Sample], conns: usize, t: Timeline, counter: i64) -> Row {
    let unavailable = |s: &&Sample| matches!(s.outcome, Outcome::MaybeRan | Outcome::NotSent);
    let count = |f: &dyn Fn(&Sample) -> bool| samples.iter().filter(|s| f(s)).count();
    let oks: Vec<(Duration, usize, i64)> = samples
        .iter()
        .filter_map(|s| match s.outcome {
            Outcome::Value(v) => Some((s.done, s.conn, v)),
            _ => None,
        })
        .collect();
    // Nothing answers between the kill and the restart: a 200 before the restart is the
    // first server's, after it the second's (which started empty).
    let (mut before, mut after): (Vec<i64>, Vec<i64>) = (Vec::new(), Vec::new());
    let mut first_per_conn = vec![None::<Duration>; conns];
    for &(done, conn, value) in &oks {
        if done < t.restart {
            before.push(value);
        } else {
            after.push(value);
            let first = &mut first_per_conn[conn];
            *first = Some(first.map_or(done, |f: Duration| f.min(done)));
        }
    }
    let duplicates = duplicates(&mut before) + duplicates(&mut after);
    let applied = before.iter().max().copied().unwrap_or(0) + counter;
    let all_ok = first_per_conn
        .iter()
        .copied()
        .collect::<Option<Vec<_>>>()
        .and_then(|firsts| firsts.into_iter().max());
    let settled = t.restart + Duration::from_secs(1);
    let rate = |from: Duration, to: Duration| {
        oks.iter().filter(|o| o.0 >= from && o.0 < to).count() as f64 / (to - from).as_secs_f64()
    };
    Row {
        client: client.to_string(),
        requests: samples.len(),
        ok: oks.len(),
        unavailable: samples.iter().filter(unavailable).count(),
        unavailable_down: count(&|s| unavailable(&s) && s.done >= t.kill && s.done < t.restart),
        unavailable_after: count(&|s| unavailable(&s) && s.done >= t.restart),
        maybe_ran: count(&|s| s.outcome == Outcome::MaybeRan),
        other: count(&|s| s.outcome == Outcome::Other),
        first_ok: first_per_conn
            .iter()
            .flatten()
            .min()
            .map(|d| *d - t.restart),
        all_ok: all_ok.map(|d| d - t.restart),
        longest: samples
            .iter()
            .map(|s| s.done - s.sent)
            .max()
            .unwrap_or_default(),
        rate_before: rate(Duration::ZERO, t.kill),
        rate_after: rate(settled, t.end),
        applied_minus_ok: applied - oks.len() as i64,
        duplicates,
        ready_after: t.ready - t.restart,
    }
}

fn duplicates(values: &mut [i64]) -> usize {
    values.sort_unstable();
    values.windows(2).filter(|w| w[0] == w[1]).count()
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("never".into(), |d| format!("{} ms", d.as_millis()))
}

impl Row {
    /// No INCR lost or applied twice beyond what the 503s "may have run" allow.
    pub fn holds(&self) -> bool {
        self.duplicates == 0
            && self.applied_minus_ok >= 0
            && self.applied_minus_ok <= self.maybe_ran as i64
    }

    /// A Markdown table row.
    pub fn line(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} ms | {:.0}/s | {:.0}/s | {} | {} | {} |",
            self.client,
            self.requests,
            self.ok,
            self.unavailable,
            self.unavailable_down,
            self.unavailable_after,
            self.maybe_ran,
            ms(self.first_ok),
            ms(self.all_ok),
            self.longest.as_millis(),
            self.rate_before,
            self.rate_after,
            self.applied_minus_ok,
            self.duplicates,
            if self.holds() && self.other == 0 { "yes".to_string() } else { format!("NO ({} other)", self.other) },
        )
    }
}

/// The table's header.
pub const HEADER: &str = "| client | requests | 200 | 503 | 503 while down | 503 after restart | of 503: may have run | restart → first 200 | restart → 200 on every conn | longest request | 200/s before | 200/s after | INCRs applied − 200s | duplicate values | counter holds |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|";
