//! The feed simulator: the "third-party source" of the demo, a TCP server streaming XML
//! odds for M matches.
//!
//! It runs on its own thread (an actix `Arbiter`) and is as unkind as a real feed: each
//! batch of messages is written in pieces of random size, so messages are split anywhere
//! across TCP reads; now and then it sends a burst; with faults on, it sends malformed
//! messages (broken XML, odds out of range, an unknown match) and drops the connection.
//! The dashboard's buttons reach it through [`Simulator`]: inject one malformed message,
//! or cut the feed (close the connection and refuse new ones for a while).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use actix::Arbiter;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;

use crate::model::{now_us, Fixture, OddsMsg};
use crate::xml::{write_fixtures, write_odds};

/// The three kinds of malformed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Malformed {
    /// Not well-formed XML (mismatched tags, a number that is not one, a cut-off message).
    BrokenXml,
    /// Well-formed, but odds the model forbids: crashes the match's worker.
    OutOfRange,
    /// Well-formed, for a match the fixtures do not list.
    UnknownMatch,
}

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// How many matches (ids 1..=matches).
    pub matches: u32,
    /// Odds updates per second, over all matches.
    pub rate: f64,
    /// Random faults: malformed messages (about one per this many updates; 0 = none).
    pub malformed_every: u64,
    /// Random faults: drop the connection about once per this many seconds (0 = never).
    pub disconnect_every_s: u64,
    /// Send a burst (a fifth of a second's updates at once) about every 3 s.
    pub bursts: bool,
    /// The seed of every random choice.
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            matches: 50,
            rate: 200.0,
            malformed_every: 0,
            disconnect_every_s: 0,
            bursts: true,
            seed: 7,
        }
    }
}

enum Control {
    Inject(Malformed, Option<u32>),
    Cut(Duration),
    Rate(f64),
}

/// What the simulator has sent.
#[derive(Debug, Default, Serialize, Clone, Copy)]
pub struct SimStats {
    /// Valid odds messages.
    pub updates: u64,
    /// Malformed messages of each kind.
    pub broken_xml: u64,
    /// See [`Malformed::OutOfRange`].
    pub out_of_range: u64,
    /// See [`Malformed::UnknownMatch`].
    pub unknown_match: u64,
    /// Connections accepted.
    pub connections: u64,
}

#[derive(Default)]
struct Counters {
    updates: AtomicU64,
    broken_xml: AtomicU64,
    out_of_range: AtomicU64,
    unknown_match: AtomicU64,
    connections: AtomicU64,
}

/// A running simulator; dropping it stops it.
pub struct Simulator {
    addr: SocketAddr,
    ctl: mpsc::UnboundedSender<Control>,
    counters: Arc<Counters>,
    fixtures: Vec<Fixture>,
    arbiter: Arbiter,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.arbiter.stop();
    }
}

const TEAMS: [&str; 40] = [
    "Arsenal",
    "Chelsea",
    "Liverpool",
    "Everton",
    "Leeds",
    "Fulham",
    "Brentford",
    "Burnley",
    "Celtic",
    "Rangers",
    "Ajax",
    "PSV",
    "Feyenoord",
    "Benfica",
    "Porto",
    "Sporting",
    "Juventus",
    "Inter",
    "Milan",
    "Napoli",
    "Roma",
    "Lazio",
    "Atalanta",
    "Torino",
    "Barcelona",
    "Real Madrid",
    "Sevilla",
    "Valencia",
    "Betis",
    "Villarreal",
    "Bayern",
    "Dortmund",
    "Leipzig",
    "Freiburg",
    "Lyon",
    "Marseille",
    "Monaco",
    "Lille",
    "Nantes",
    "Lens",
];

/// The fixtures the simulator announces for `matches` matches.
pub fn fixtures(matches: u32) -> Vec<Fixture> {
    (1..=matches)
        .map(|id| {
            let i = id as usize - 1;
            let home = TEAMS[(i * 2) % TEAMS.len()];
            let away = TEAMS[(i * 2 + 1 + i / TEAMS.len()) % TEAMS.len()];
            Fixture {
                id,
                home: home.into(),
                away: if away == home {
                    "Stoke".into()
                } else {
                    away.into()
                },
            }
        })
        .collect()
}

impl Simulator {
    /// Starts the simulator on a free loopback port.
    pub fn start(config: SimConfig) -> std::io::Result<Simulator> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (ctl, rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let fixtures = fixtures(config.matches);
        let arbiter = Arbiter::new();
        let (c, f) = (counters.clone(), fixtures.clone());
        arbiter.spawn(async move {
            match TcpListener::from_std(listener) {
                Ok(listener) => run(listener, addr, config, f, rx, c).await,
                Err(e) => tracing::error!(error = %e, "feed simulator could not listen"),
            }
        });
        Ok(Simulator {
            addr,
            ctl,
            counters,
            fixtures,
            arbiter,
        })
    }

    /// Where the feed listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The matches it announces.
    pub fn fixtures(&self) -> &[Fixture] {
        &self.fixtures
    }

    /// Sends one malformed message of `kind` (for `match_id`, or a random match).
    pub fn inject(&self, kind: Malformed, match_id: Option<u32>) {
        let _ = self.ctl.send(Control::Inject(kind, match_id));
    }

    /// Closes the feed's connection and refuses new ones for `outage`.
    pub fn cut(&self, outage: Duration) {
        let _ = self.ctl.send(Control::Cut(outage));
    }

    /// Changes the rate (updates per second).
    pub fn set_rate(&self, rate: f64) {
        let _ = self.ctl.send(Control::Rate(rate));
    }

    /// What it has sent so far.
    pub fn stats(&self) -> SimStats {
        let c = &self.counters;
        SimStats {
            updates: c.updates.load(Relaxed),
            broken_xml: c.broken_xml.load(Relaxed),
            out_of_range: c.out_of_range.load(Relaxed),
            unknown_match: c.unknown_match.load(Relaxed),
            connections: c.connections.load(Relaxed),
        }
    }
}

/// The feed's state, kept across connections: prices and sequence numbers per match.
struct Book {
    config: SimConfig,
    fixtures: Vec<Fixture>,
    prices: Vec<[f64; 3]>,
    seqs: Vec<u64>,
    rng: StdRng,
    pending: Vec<(Malformed, Option<u32>)>,
    carry: f64,
    last: std::time::Instant,
    counters: Arc<Counters>,
}

enum End {
    Cut(Duration),
    Dropped,
}

async fn run(
    listener: TcpListener,
    addr: SocketAddr,
    config: SimConfig,
    fixtures: Vec<Fixture>,
    mut ctl: mpsc::UnboundedReceiver<Control>,
    counters: Arc<Counters>,
) {
    let n = config.matches as usize;
    let mut book = Book {
        rng: StdRng::seed_from_u64(config.seed),
        prices: vec![[2.0, 3.2, 3.8]; n],
        seqs: vec![0; n],
        config,
        fixtures,
        pending: Vec::new(),
        carry: 0.0,
        last: std::time::Instant::now(),
        counters,
    };
    let mut listener = Some(listener);
    loop {
        let Some(l) = &listener else { return };
        let socket = tokio::select! {
            accepted = l.accept() => match accepted {
                Ok((socket, _)) => socket,
                Err(_) => continue,
            },
            msg = ctl.recv() => match msg {
                None => return,
                Some(Control::Cut(outage)) => {
                    listener = outage_then_listen(listener.take(), addr, outage).await;
                    continue;
                }
                Some(other) => { book.control(other); continue; }
            },
        };
        book.counters.connections.fetch_add(1, Relaxed);
        match serve(socket, &mut book, &mut ctl).await {
            End::Cut(outage) => listener = outage_then_listen(listener.take(), addr, outage).await,
            End::Dropped => {}
        }
    }
}

/// Stops listening for `outage` (connects are refused), then listens again on `addr`.
async fn outage_then_listen(
    listener: Option<TcpListener>,
    addr: SocketAddr,
    outage: Duration,
) -> Option<TcpListener> {
    if outage.is_zero() {
        return listener;
    }
    drop(listener);
    tokio::time::sleep(outage).await;
    for _ in 0..50 {
        let socket = TcpSocket::new_v4().ok()?;
        let _ = socket.set_reuseaddr(true);
        if socket.bind(addr).is_ok() {
            return socket.listen(128).ok();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tracing::error!(%addr, "feed simulator could not listen again");
    None
}

const TICK: Duration = Duration::from_millis(10);

async fn serve(
    mut socket: TcpStream,
    book: &mut Book,
    ctl: &mut mpsc::UnboundedReceiver<Control>,
) -> End {
    let _ = socket.set_nodelay(true);
    let mut out = Vec::with_capacity(64 * 1024);
    write_fixtures(&mut out, &book.fixtures);
    if write_pieces(&mut socket, &out, &mut book.rng)
        .await
        .is_err()
    {
        return End::Dropped;
    }
    book.last = std::time::Instant::now();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                out.clear();
                let drop_now = book.batch(&mut out);
                if write_pieces(&mut socket, &out, &mut book.rng).await.is_err() {
                    return End::Dropped;
                }
                if drop_now {
                    return End::Dropped;
                }
            }
            msg = ctl.recv() => match msg {
                None => return End::Dropped,
                Some(Control::Cut(outage)) => return End::Cut(outage),
                Some(other) => book.control(other),
            },
        }
    }
}

/// Writes `bytes` in pieces of random size, so that the reader sees messages split anywhere.
async fn write_pieces(
    socket: &mut TcpStream,
    bytes: &[u8],
    rng: &mut StdRng,
) -> std::io::Result<()> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = rng.gen_range(1..=rest.len().min(4096));
        socket.write_all(&rest[..n]).await?;
        rest = &rest[n..];
    }
    Ok(())
}

impl Book {
    fn control(&mut self, msg: Control) {
        match msg {
            Control::Inject(kind, m) => self.pending.push((kind, m)),
            Control::Rate(rate) => self.config.rate = rate.max(0.0),
            Control::Cut(_) => {}
        }
    }

    /// One tick's messages into `out`; answers whether to drop the connection afterwards.
    fn batch(&mut self, out: &mut Vec<u8>) -> bool {
        // By the time elapsed, not by ticks: a late tick (a busy machine) must not lower
        // the rate. At most a second's worth at once.
        let now = std::time::Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64().min(1.0);
        self.last = now;
        self.carry += self.config.rate * elapsed;
        let mut n = self.carry as u64;
        self.carry -= n as f64;
        if self.config.bursts && self.rng.gen_ratio(1, 300) {
            n += (self.config.rate / 5.0) as u64;
        }
        for _ in 0..n {
            let m = self.rng.gen_range(1..=self.config.matches);
            self.update(out, m, false);
            let every = self.config.malformed_every;
            if every > 0 && self.rng.gen_range(0..every) == 0 {
                let kind = match self.rng.gen_range(0..3) {
                    0 => Malformed::BrokenXml,
                    1 => Malformed::OutOfRange,
                    _ => Malformed::UnknownMatch,
                };
                self.pending.push((kind, None));
            }
        }
        for (kind, m) in std::mem::take(&mut self.pending) {
            self.malformed(out, kind, m);
        }
        let every = self.config.disconnect_every_s;
        every > 0 && self.rng.gen_range(0..every * 100) == 0
    }

    fn update(&mut self, out: &mut Vec<u8>, m: u32, out_of_range: bool) {
        let i = m as usize - 1;
        for p in &mut self.prices[i] {
            let step: f64 = self.rng.gen_range(-0.04..0.04);
            *p = (*p * (1.0 + step)).clamp(1.05, 50.0);
        }
        self.seqs[i] += 1;
        let [home, draw, away] = self.prices[i];
        let msg = OddsMsg {
            match_id: m,
            seq: self.seqs[i],
            ts_us: now_us(),
            home: if out_of_range { -1.0 } else { home },
            draw,
            away,
        };
        write_odds(out, &msg);
        if !out_of_range {
            self.counters.updates.fetch_add(1, Relaxed);
        }
    }

    fn malformed(&mut self, out: &mut Vec<u8>, kind: Malformed, m: Option<u32>) {
        let m = m
            .filter(|m| (1..=self.config.matches).contains(m))
            .unwrap_or_else(|| self.rng.gen_range(1..=self.config.matches));
        match kind {
            Malformed::BrokenXml => {
                let text = match self.rng.gen_range(0..3) {
                    0 => format!("<odds match=\"{m}\" seq=\"1\" ts=\"0\"><home>1.50</hom></odds>\n"),
                    1 => format!("<odds match=\"{m}\" seq=\"one\" ts=\"0\"><home>1.50</home><draw>2</draw><away>3</away></odds>\n"),
                    _ => format!("<odds match=\"{m}\" seq=\"1\" ts=\"0\"><home>1."),
                };
                out.extend_from_slice(text.as_bytes());
                self.counters.broken_xml.fetch_add(1, Relaxed);
            }
            Malformed::OutOfRange => {
                self.update(out, m, true);
                self.counters.out_of_range.fetch_add(1, Relaxed);
            }
            Malformed::UnknownMatch => {
                let msg = OddsMsg {
                    match_id: self.config.matches + 1000,
                    seq: 1,
                    ts_us: now_us(),
                    home: 2.0,
                    draw: 3.0,
                    away: 4.0,
                };
                write_odds(out, &msg);
                self.counters.unknown_match.fetch_add(1, Relaxed);
            }
        }
    }
}
