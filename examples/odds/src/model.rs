//! The domain: fixtures, odds updates and the model a match worker keeps.
//!
//! Kept apart from every actor so that the rules (what a valid update is, what the stored
//! form looks like) are plain functions, testable without a runtime.

use serde::{Deserialize, Serialize};

/// Decimal odds below this are impossible (a bookmaker never pays less than the stake).
pub const MIN_ODDS: f64 = 1.01;
/// Decimal odds above this are treated as a feed error.
pub const MAX_ODDS: f64 = 1000.0;

/// One match as announced by the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fixture {
    /// The match id, used in every odds message.
    pub id: u32,
    /// The home team.
    pub home: String,
    /// The away team.
    pub away: String,
}

/// One odds message for one match, as parsed from the feed (not validated yet).
#[derive(Debug, Clone, Copy, PartialEq, actix::Message)]
#[rtype(result = "()")]
pub struct OddsMsg {
    /// Which match.
    pub match_id: u32,
    /// The feed's sequence number for this match, rising by one per message.
    pub seq: u64,
    /// When the feed produced it, in microseconds since the Unix epoch.
    pub ts_us: u64,
    /// Decimal odds of a home win, a draw, an away win.
    pub home: f64,
    /// See `home`.
    pub draw: f64,
    /// See `home`.
    pub away: f64,
}

/// The model of one match: its latest valid odds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MatchOdds {
    /// The match id.
    #[serde(rename = "m")]
    pub match_id: u32,
    /// The sequence number of the message these odds came from.
    pub seq: u64,
    /// When the feed produced them (µs since the epoch).
    pub ts: u64,
    /// Home win.
    pub home: f64,
    /// Draw.
    pub draw: f64,
    /// Away win.
    pub away: f64,
}

/// Why an update breaks the model's invariants.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// A price outside `MIN_ODDS..=MAX_ODDS` (or not a number).
    OutOfRange {
        /// Which price.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// The message belongs to another match.
    WrongMatch(u32),
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::OutOfRange { field, value } => {
                write!(f, "{field} odds {value} outside {MIN_ODDS}..={MAX_ODDS}")
            }
            Violation::WrongMatch(m) => write!(f, "message for match {m}"),
        }
    }
}

/// What applying a message to the model did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Applied {
    /// The odds changed to these.
    Updated(MatchOdds),
    /// An old or repeated message (seq not above the model's): ignored.
    Stale,
}

impl MatchOdds {
    /// The odds as JSON (the form stored in Redis and pushed to browsers).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the stored form.
    pub fn from_json(s: &[u8]) -> Option<MatchOdds> {
        serde_json::from_slice(s).ok()
    }
}

/// Checks `msg` against the invariants and applies it to `current`.
///
/// A violation is an error the caller treats as a bug in its input: a match worker crashes
/// on it (let it crash), and its supervisor restarts it from the stored state.
pub fn apply(
    match_id: u32,
    current: Option<&MatchOdds>,
    msg: &OddsMsg,
) -> Result<Applied, Violation> {
    if msg.match_id != match_id {
        return Err(Violation::WrongMatch(msg.match_id));
    }
    for (field, value) in [("home", msg.home), ("draw", msg.draw), ("away", msg.away)] {
        if !(MIN_ODDS..=MAX_ODDS).contains(&value) {
            return Err(Violation::OutOfRange { field, value });
        }
    }
    if current.is_some_and(|c| msg.seq <= c.seq) {
        return Ok(Applied::Stale);
    }
    Ok(Applied::Updated(MatchOdds {
        match_id,
        seq: msg.seq,
        ts: msg.ts_us,
        home: msg.home,
        draw: msg.draw,
        away: msg.away,
    }))
}

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: u64, home: f64) -> OddsMsg {
        OddsMsg {
            match_id: 3,
            seq,
            ts_us: 0,
            home,
            draw: 3.0,
            away: 4.0,
        }
    }

    #[test]
    fn a_valid_message_updates_the_model() {
        let Ok(Applied::Updated(odds)) = apply(3, None, &msg(1, 1.5)) else {
            panic!("not applied");
        };
        assert_eq!((odds.seq, odds.home), (1, 1.5));
    }

    #[test]
    fn odds_out_of_range_violate_the_invariants() {
        assert!(matches!(
            apply(3, None, &msg(1, 0.5)),
            Err(Violation::OutOfRange { field: "home", .. })
        ));
        assert!(apply(3, None, &msg(1, f64::NAN)).is_err());
    }

    #[test]
    fn an_old_sequence_number_is_stale_not_a_violation() {
        let Ok(Applied::Updated(odds)) = apply(3, None, &msg(5, 1.5)) else {
            panic!("not applied");
        };
        assert_eq!(apply(3, Some(&odds), &msg(5, 1.7)), Ok(Applied::Stale));
    }

    #[test]
    fn the_stored_form_round_trips() {
        let odds = MatchOdds {
            match_id: 1,
            seq: 2,
            ts: 3,
            home: 1.5,
            draw: 3.25,
            away: 6.0,
        };
        assert_eq!(MatchOdds::from_json(odds.to_json().as_bytes()), Some(odds));
    }
}
