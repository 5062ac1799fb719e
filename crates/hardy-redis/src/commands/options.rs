//! Option builders for commands with many flags: each encodes to exactly the arguments
//! Redis documents, in the order it documents them.

use crate::{Cmd, ToArg};

/// The options of `SET`: expiry (`EX`/`PX`/`EXAT`/`PXAT`/`KEEPTTL`), condition (`NX`/`XX`)
/// and `GET`. Each setter replaces the previous choice of its group.
///
/// ```
/// use hardy_redis::SetOptions;
/// let opts = SetOptions::new().ex(60).nx();
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetOptions {
    condition: Option<&'static str>,
    get: bool,
    expiry: Option<(&'static str, u64)>,
}

impl SetOptions {
    /// No option: a plain `SET`.
    pub fn new() -> Self {
        SetOptions::default()
    }
    /// `EX seconds`: expire after this many seconds.
    pub fn ex(mut self, seconds: u64) -> Self {
        self.expiry = Some(("EX", seconds));
        self
    }
    /// `PX milliseconds`: expire after this many milliseconds.
    pub fn px(mut self, milliseconds: u64) -> Self {
        self.expiry = Some(("PX", milliseconds));
        self
    }
    /// `EXAT unix-seconds`: expire at this Unix time.
    pub fn exat(mut self, unix_seconds: u64) -> Self {
        self.expiry = Some(("EXAT", unix_seconds));
        self
    }
    /// `PXAT unix-milliseconds`: expire at this Unix time in milliseconds.
    pub fn pxat(mut self, unix_milliseconds: u64) -> Self {
        self.expiry = Some(("PXAT", unix_milliseconds));
        self
    }
    /// `KEEPTTL`: keep the key's current time to live.
    pub fn keep_ttl(mut self) -> Self {
        self.expiry = Some(("KEEPTTL", 0));
        self
    }
    /// `NX`: set only if the key does not exist (the reply is null otherwise).
    pub fn nx(mut self) -> Self {
        self.condition = Some("NX");
        self
    }
    /// `XX`: set only if the key exists (the reply is null otherwise).
    pub fn xx(mut self) -> Self {
        self.condition = Some("XX");
        self
    }
    /// `GET`: reply with the previous value (null if there was none).
    pub fn get(mut self) -> Self {
        self.get = true;
        self
    }
}

impl ToArg for SetOptions {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push(self.condition);
        if self.get {
            cmd.push("GET");
        }
        match self.expiry {
            Some(("KEEPTTL", _)) => {
                cmd.push("KEEPTTL");
            }
            Some((word, n)) => {
                cmd.push(word).push(n);
            }
            None => {}
        }
    }
}

/// The condition of `EXPIRE`, `PEXPIRE`, `EXPIREAT` and `PEXPIREAT` (Redis 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireCondition {
    /// `NX`: only if the key has no expiry.
    Nx,
    /// `XX`: only if the key has an expiry.
    Xx,
    /// `GT`: only if the new expiry is later than the current one.
    Gt,
    /// `LT`: only if the new expiry is sooner than the current one.
    Lt,
}

impl ToArg for ExpireCondition {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push(match self {
            ExpireCondition::Nx => "NX",
            ExpireCondition::Xx => "XX",
            ExpireCondition::Gt => "GT",
            ExpireCondition::Lt => "LT",
        });
    }
}

/// The expiry `GETEX` sets: `EX`/`PX` (relative), `EXAT`/`PXAT` (a Unix time), or
/// `PERSIST` (none).
///
/// ```no_run
/// # use hardy_redis::prelude::*;
/// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
/// let session: Option<String> = redis.getex("session:1", GetEx::Ex(1800)).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetEx {
    /// `EX seconds`.
    Ex(u64),
    /// `PX milliseconds`.
    Px(u64),
    /// `EXAT unix-seconds`.
    ExAt(u64),
    /// `PXAT unix-milliseconds`.
    PxAt(u64),
    /// `PERSIST`: remove the expiry.
    Persist,
}

impl ToArg for GetEx {
    fn write_args(&self, cmd: &mut Cmd) {
        let (word, n) = match *self {
            GetEx::Ex(n) => ("EX", n),
            GetEx::Px(n) => ("PX", n),
            GetEx::ExAt(n) => ("EXAT", n),
            GetEx::PxAt(n) => ("PXAT", n),
            GetEx::Persist => {
                cmd.push("PERSIST");
                return;
            }
        };
        cmd.push(word).push(n);
    }
}

/// The flags of `ZADD`: `NX`/`XX`, `GT`/`LT` and `CH`. (`INCR` is its own method,
/// [`zadd_incr`](crate::SortedSetCommands::zadd_incr), since it changes the reply.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZAddOptions {
    condition: Option<&'static str>,
    comparison: Option<&'static str>,
    ch: bool,
}

impl ZAddOptions {
    /// No flag.
    pub fn new() -> Self {
        ZAddOptions::default()
    }
    /// `NX`: only add new members.
    pub fn nx(mut self) -> Self {
        self.condition = Some("NX");
        self
    }
    /// `XX`: only update existing members.
    pub fn xx(mut self) -> Self {
        self.condition = Some("XX");
        self
    }
    /// `GT`: only update a score to a greater one.
    pub fn gt(mut self) -> Self {
        self.comparison = Some("GT");
        self
    }
    /// `LT`: only update a score to a lesser one.
    pub fn lt(mut self) -> Self {
        self.comparison = Some("LT");
        self
    }
    /// `CH`: reply with the number of members changed, not only added.
    pub fn ch(mut self) -> Self {
        self.ch = true;
        self
    }
}

impl ToArg for ZAddOptions {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push(self.condition).push(self.comparison);
        if self.ch {
            cmd.push("CH");
        }
    }
}

/// The range of `ZRANGE` and `ZRANGESTORE`: by index (the default), `BYSCORE` or `BYLEX`,
/// optionally `REV` and `LIMIT offset count`.
///
/// Bounds are arguments as Redis reads them: `0`, `-1`, `1.5`, `"(1"`, `"-inf"`, `"[a"`.
///
/// ```
/// use hardy_redis::ZRange;
/// let top10 = ZRange::score("-inf", "+inf").rev().limit(0, 10);
/// # let _ = top10;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZRange {
    bounds: Cmd,
    by: Option<&'static str>,
    rev: bool,
    limit: Option<(i64, i64)>,
}

impl ZRange {
    fn new(start: impl ToArg, stop: impl ToArg, by: Option<&'static str>) -> Self {
        // A scratch command holds the two encoded bounds.
        let mut bounds = Cmd::new("");
        bounds.push(start).push(stop);
        ZRange {
            bounds,
            by,
            rev: false,
            limit: None,
        }
    }
    /// By rank: `start stop` (0-based, negative from the end).
    pub fn index(start: i64, stop: i64) -> Self {
        ZRange::new(start, stop, None)
    }
    /// `BYSCORE`: `min max` scores (`"(1"` for exclusive, `"-inf"`, `"+inf"`).
    pub fn score(min: impl ToArg, max: impl ToArg) -> Self {
        ZRange::new(min, max, Some("BYSCORE"))
    }
    /// `BYLEX`: `min max` members (`"[a"`, `"(a"`, `"-"`, `"+"`).
    pub fn lex(min: impl ToArg, max: impl ToArg) -> Self {
        ZRange::new(min, max, Some("BYLEX"))
    }
    /// `REV`: from the highest to the lowest (give the bounds high first).
    pub fn rev(mut self) -> Self {
        self.rev = true;
        self
    }
    /// `LIMIT offset count` (only with `BYSCORE` or `BYLEX`).
    pub fn limit(mut self, offset: i64, count: i64) -> Self {
        self.limit = Some((offset, count));
        self
    }
}

impl ToArg for ZRange {
    fn write_args(&self, cmd: &mut Cmd) {
        for bound in self.bounds.args().skip(1) {
            cmd.push_bytes(bound);
        }
        cmd.push(self.by);
        if self.rev {
            cmd.push("REV");
        }
        if let Some((offset, count)) = self.limit {
            cmd.push("LIMIT").push(offset).push(count);
        }
    }
}

/// How `ZUNION`/`ZINTER` combine the scores of a member present in several sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// `AGGREGATE SUM` (Redis' default).
    Sum,
    /// `AGGREGATE MIN`.
    Min,
    /// `AGGREGATE MAX`.
    Max,
}

impl ToArg for Aggregate {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push("AGGREGATE").push(match self {
            Aggregate::Sum => "SUM",
            Aggregate::Min => "MIN",
            Aggregate::Max => "MAX",
        });
    }
}

/// The arguments of `cmd` after its name, as text: what the option tests compare.
#[cfg(test)]
pub(crate) fn encoded(cmd: &Cmd) -> Vec<String> {
    cmd.args()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd;

    fn args(arg: impl ToArg) -> Vec<String> {
        encoded(&cmd("X").arg(arg))[1..].to_vec()
    }

    #[test]
    fn set_options_encode_as_documented() {
        let cases: [(SetOptions, &[&str]); 9] = [
            (SetOptions::new(), &[]),
            (SetOptions::new().ex(10), &["EX", "10"]),
            (SetOptions::new().px(1500), &["PX", "1500"]),
            (SetOptions::new().exat(1700000000), &["EXAT", "1700000000"]),
            (SetOptions::new().pxat(17), &["PXAT", "17"]),
            (SetOptions::new().keep_ttl(), &["KEEPTTL"]),
            (SetOptions::new().nx().ex(5), &["NX", "EX", "5"]),
            (
                SetOptions::new().xx().get().px(1),
                &["XX", "GET", "PX", "1"],
            ),
            (
                SetOptions::new().ex(1).keep_ttl().nx().xx(),
                &["XX", "KEEPTTL"],
            ),
        ];
        for (opts, want) in cases {
            assert_eq!(args(opts), want, "{opts:?}");
        }
    }

    #[test]
    fn expire_conditions_encode_as_their_flag() {
        let cases = [
            (ExpireCondition::Nx, "NX"),
            (ExpireCondition::Xx, "XX"),
            (ExpireCondition::Gt, "GT"),
            (ExpireCondition::Lt, "LT"),
        ];
        for (cond, want) in cases {
            assert_eq!(args(cond), [want]);
        }
    }

    #[test]
    fn getex_expiries_encode_as_their_word_and_number() {
        let cases: [(GetEx, &[&str]); 5] = [
            (GetEx::Ex(10), &["EX", "10"]),
            (GetEx::Px(1500), &["PX", "1500"]),
            (GetEx::ExAt(1700000000), &["EXAT", "1700000000"]),
            (GetEx::PxAt(17), &["PXAT", "17"]),
            (GetEx::Persist, &["PERSIST"]),
        ];
        for (expiry, want) in cases {
            assert_eq!(args(expiry), want, "{expiry:?}");
        }
    }

    #[test]
    fn zadd_options_encode_in_redis_order() {
        assert_eq!(args(ZAddOptions::new()), Vec::<String>::new());
        assert_eq!(args(ZAddOptions::new().ch().gt().xx()), ["XX", "GT", "CH"]);
        assert_eq!(args(ZAddOptions::new().nx()), ["NX"]);
        assert_eq!(args(ZAddOptions::new().lt().ch()), ["LT", "CH"]);
    }

    #[test]
    fn zrange_encodes_bounds_then_flags() {
        assert_eq!(args(ZRange::index(0, -1)), ["0", "-1"]);
        assert_eq!(
            args(ZRange::score("(1", f64::INFINITY).limit(2, 3)),
            ["(1", "inf", "BYSCORE", "LIMIT", "2", "3"]
        );
        assert_eq!(
            args(ZRange::lex("+", "[b").rev()),
            ["+", "[b", "BYLEX", "REV"]
        );
        assert_eq!(args(Aggregate::Max), ["AGGREGATE", "MAX"]);
    }
}
