//! Reading a node's error reply as a cluster redirection: `MOVED`, `ASK`, or one of the
//! "not executed, try again" errors (`TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `MASTERDOWN`,
//! `READONLY`).
//!
//! Every one of these means the command did not run, so it may be resent (writes too);
//! any other error reply is the command's own outcome.

use crate::resp::{Frame, ServerError};

/// What a node's reply says about where the command should go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Redirect {
    /// The slot lives elsewhere for good: record it and resend there.
    Moved { slot: u16, addr: String },
    /// The slot is migrating and this key is on the target: send `ASKING` + the command
    /// there once, without touching the map.
    Ask { addr: String },
    /// Not executed; retry after a pause (and, for `refresh`, after re-reading the map).
    Retry { refresh: bool },
}

/// The redirection in `frame`, if it is one. `asked` is the `host:port` the command went
/// to, for `MOVED 1 :6380` (an empty host means "the host you asked").
pub(crate) fn redirect(frame: &Frame, asked: &str) -> Option<Redirect> {
    let text = frame.error_message()?;
    let error = ServerError::new(bytes::Bytes::copy_from_slice(text));
    match error.code() {
        "MOVED" | "ASK" => {
            let detail = String::from_utf8_lossy(error.detail()).into_owned();
            let mut words = detail.split_whitespace();
            let slot = words.next()?.parse().ok()?;
            let addr = absolute(words.next()?, asked);
            Some(if error.code() == "MOVED" {
                Redirect::Moved { slot, addr }
            } else {
                Redirect::Ask { addr }
            })
        }
        "TRYAGAIN" | "LOADING" => Some(Redirect::Retry { refresh: false }),
        "CLUSTERDOWN" | "MASTERDOWN" | "READONLY" => Some(Redirect::Retry { refresh: true }),
        _ => None,
    }
}

/// `host:port` from a redirection's endpoint, filling an empty host from `asked`.
fn absolute(endpoint: &str, asked: &str) -> String {
    match endpoint.rsplit_once(':') {
        Some(("", port)) => {
            let host = asked.rsplit_once(':').map_or(asked, |(h, _)| h);
            format!("{host}:{port}")
        }
        _ => endpoint.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> Frame {
        Frame::SimpleError(bytes::Bytes::copy_from_slice(text.as_bytes()))
    }

    #[test]
    fn moved_and_ask_name_the_slot_and_the_node() {
        assert_eq!(
            redirect(&error("MOVED 3999 127.0.0.1:6381"), "127.0.0.1:6380"),
            Some(Redirect::Moved {
                slot: 3999,
                addr: "127.0.0.1:6381".into()
            })
        );
        assert_eq!(
            redirect(&error("ASK 3999 10.0.0.1:7000"), "x:1"),
            Some(Redirect::Ask {
                addr: "10.0.0.1:7000".into()
            })
        );
    }

    #[test]
    fn an_empty_host_is_the_host_asked() {
        assert_eq!(
            redirect(&error("MOVED 1 :6381"), "10.1.2.3:6380"),
            Some(Redirect::Moved {
                slot: 1,
                addr: "10.1.2.3:6381".into()
            })
        );
    }

    #[test]
    fn transient_cluster_errors_are_retried_and_others_are_outcomes() {
        let retry = |t| redirect(&error(t), "h:1");
        assert_eq!(
            retry("TRYAGAIN Multiple keys request during rehashing of slot"),
            Some(Redirect::Retry { refresh: false })
        );
        assert_eq!(
            retry("CLUSTERDOWN The cluster is down"),
            Some(Redirect::Retry { refresh: true })
        );
        assert_eq!(retry("ERR wrong number of arguments"), None);
        assert_eq!(redirect(&Frame::Integer(1), "h:1"), None);
    }
}
