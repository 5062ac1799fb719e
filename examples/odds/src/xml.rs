//! Assembling feed messages from a TCP byte stream, and parsing them with quick-xml.
//!
//! The feed is a stream of top-level XML elements (`<fixtures>`, `<odds>`) cut wherever TCP
//! cut it. [`FeedDecoder`] is a tokio-util `Decoder`: it finds where one element ends
//! (framing), then hands exactly those bytes to quick-xml (parsing). Framing never trusts
//! the content: a message that never closes is cut off when the next top-level element
//! starts or when it passes [`MAX_MESSAGE`], so one bad message costs one message, not the
//! stream, and memory stays bounded.

use bytes::{Buf, BytesMut};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use tokio_util::codec::Decoder;

use crate::model::{Fixture, OddsMsg};

/// The longest message accepted (the fixtures of 1,000 matches take about 60 KiB).
pub const MAX_MESSAGE: usize = 256 * 1024;

/// One thing read from the feed.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    /// The list of matches, sent first on every connection.
    Fixtures(Vec<Fixture>),
    /// One odds update (not validated against the model yet).
    Odds(OddsMsg),
    /// Bytes that are not a well-formed message; `reason` says why.
    Broken {
        /// What was wrong.
        reason: String,
    },
}

/// The framing and parsing of the feed; see the module docs.
#[derive(Debug, Default)]
pub struct FeedDecoder {
    /// How far the search for the current message's end has got (avoids rescanning).
    scanned: usize,
}

const ROOTS: [&[u8]; 2] = [b"<odds", b"<fixtures"];

impl Decoder for FeedDecoder {
    type Item = FeedItem;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<FeedItem>, std::io::Error> {
        let start = buf.iter().position(|b| !b.is_ascii_whitespace());
        let Some(start) = start else {
            buf.clear();
            self.scanned = 0;
            return Ok(None);
        };
        if start > 0 {
            buf.advance(start);
            self.scanned = self.scanned.saturating_sub(start);
        }
        if buf[0] != b'<' {
            // Garbage between messages: drop it up to the next `<`.
            let end = buf.iter().position(|&b| b == b'<').unwrap_or(buf.len());
            buf.advance(end);
            self.scanned = 0;
            return Ok(Some(broken("text outside any message")));
        }
        match self.frame(buf) {
            Frame::Complete(len) => {
                let msg = buf.split_to(len);
                self.scanned = 0;
                Ok(Some(parse(&msg)))
            }
            Frame::Cut(len, reason) => {
                buf.advance(len);
                self.scanned = 0;
                Ok(Some(broken(reason)))
            }
            Frame::Partial => Ok(None),
        }
    }
}

enum Frame {
    /// A whole element of this many bytes.
    Complete(usize),
    /// This many bytes are a broken message, to be skipped.
    Cut(usize, &'static str),
    /// More bytes are needed.
    Partial,
}

impl FeedDecoder {
    fn frame(&mut self, buf: &[u8]) -> Frame {
        let name_end = buf[1..]
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/')
            .map(|p| p + 1);
        let Some(name_end) = name_end else {
            return self.partial_or_cut(buf);
        };
        let name = &buf[1..name_end];
        let mut close = Vec::with_capacity(name.len() + 3);
        close.extend_from_slice(b"</");
        close.extend_from_slice(name);
        close.push(b'>');
        // A self-closing root, `<odds ... />`.
        if let Some(gt) = buf.iter().position(|&b| b == b'>') {
            if buf[gt - 1] == b'/' && !buf[1..gt].contains(&b'<') {
                return Frame::Complete(gt + 1);
            }
        }
        let from = self.scanned.max(1);
        let end = find(&buf[from..], &close).map(|p| from + p + close.len());
        // Another message starting before this one's end means this one was cut off. Only
        // the bytes up to the end are searched, so a full buffer costs one pass, not one per
        // message.
        let limit = end.unwrap_or(buf.len());
        let next_root = ROOTS
            .iter()
            .filter_map(|r| find(&buf[1..limit], r).map(|p| p + 1))
            .min();
        match (end, next_root) {
            (_, Some(next)) => Frame::Cut(next, "message cut off by the next one"),
            (Some(end), None) => Frame::Complete(end),
            (None, None) => {
                self.scanned = buf.len().saturating_sub(close.len());
                self.partial_or_cut(buf)
            }
        }
    }

    fn partial_or_cut(&mut self, buf: &[u8]) -> Frame {
        if buf.len() > MAX_MESSAGE {
            Frame::Cut(buf.len(), "message longer than the limit")
        } else {
            Frame::Partial
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut at = 0;
    while let Some(p) = hay[at..].iter().position(|&b| b == first) {
        let start = at + p;
        if hay[start + 1..].starts_with(rest) {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

fn broken(reason: impl Into<String>) -> FeedItem {
    FeedItem::Broken {
        reason: reason.into(),
    }
}

/// Parses one complete element with quick-xml.
pub fn parse(msg: &[u8]) -> FeedItem {
    match parse_inner(msg) {
        Ok(item) => item,
        Err(reason) => broken(reason),
    }
}

fn parse_inner(msg: &[u8]) -> Result<FeedItem, String> {
    let mut reader = Reader::from_reader(msg);
    reader.config_mut().trim_text(true);
    let root = loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => break (e.into_owned(), false),
            Event::Empty(e) => break (e.into_owned(), true),
            Event::Eof => return Err("empty message".into()),
            _ => {}
        }
    };
    match root.0.name().as_ref() {
        b"odds" => parse_odds(&mut reader, &root.0, root.1).map(FeedItem::Odds),
        b"fixtures" => parse_fixtures(&mut reader, root.1).map(FeedItem::Fixtures),
        other => Err(format!(
            "unknown message <{}>",
            String::from_utf8_lossy(other)
        )),
    }
}

fn attr(e: &BytesStart<'_>, key: &[u8]) -> Result<String, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.as_ref() == key {
            return a
                .unescape_value()
                .map(|v| v.into_owned())
                .map_err(|e| e.to_string());
        }
    }
    Err(format!(
        "attribute {} missing",
        String::from_utf8_lossy(key)
    ))
}

fn num<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{what} is not a number: {s:?}"))
}

fn parse_odds(
    reader: &mut Reader<&[u8]>,
    root: &BytesStart<'_>,
    empty: bool,
) -> Result<OddsMsg, String> {
    let match_id = num(&attr(root, b"match")?, "match")?;
    let seq = num(&attr(root, b"seq")?, "seq")?;
    let ts_us = num(&attr(root, b"ts")?, "ts")?;
    let (mut home, mut draw, mut away) = (None, None, None);
    let mut field: Option<Vec<u8>> = None;
    if empty {
        return Err("odds without prices".into());
    }
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => field = Some(e.name().as_ref().to_vec()),
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| e.to_string())?;
                let slot = match field.as_deref() {
                    Some(b"home") => &mut home,
                    Some(b"draw") => &mut draw,
                    Some(b"away") => &mut away,
                    _ => return Err("text outside a price".into()),
                };
                *slot = Some(num::<f64>(&text, "price")?);
            }
            Event::End(e) if e.name().as_ref() == b"odds" => break,
            Event::End(_) => field = None,
            Event::Eof => return Err("odds not closed".into()),
            _ => {}
        }
    }
    match (home, draw, away) {
        (Some(home), Some(draw), Some(away)) => Ok(OddsMsg {
            match_id,
            seq,
            ts_us,
            home,
            draw,
            away,
        }),
        _ => Err("a price is missing".into()),
    }
}

fn parse_fixtures(reader: &mut Reader<&[u8]>, empty: bool) -> Result<Vec<Fixture>, String> {
    let mut out = Vec::new();
    if empty {
        return Ok(out);
    }
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Empty(e) | Event::Start(e) if e.name().as_ref() == b"match" => {
                out.push(Fixture {
                    id: num(&attr(&e, b"id")?, "id")?,
                    home: attr(&e, b"home")?,
                    away: attr(&e, b"away")?,
                });
            }
            Event::End(e) if e.name().as_ref() == b"fixtures" => return Ok(out),
            Event::Eof => return Err("fixtures not closed".into()),
            _ => {}
        }
    }
}

/// Writes one odds message as the feed sends it.
pub fn write_odds(out: &mut Vec<u8>, m: &OddsMsg) {
    use std::io::Write;
    let _ = writeln!(
        out,
        "<odds match=\"{}\" seq=\"{}\" ts=\"{}\"><home>{:.2}</home><draw>{:.2}</draw><away>{:.2}</away></odds>",
        m.match_id, m.seq, m.ts_us, m.home, m.draw, m.away
    );
}

/// Writes the fixtures message.
pub fn write_fixtures(out: &mut Vec<u8>, fixtures: &[Fixture]) {
    use std::io::Write;
    out.extend_from_slice(b"<fixtures>");
    for f in fixtures {
        let _ = write!(
            out,
            "<match id=\"{}\" home=\"{}\" away=\"{}\"/>",
            f.id,
            quick_xml::escape::escape(f.home.as_str()),
            quick_xml::escape::escape(f.away.as_str())
        );
    }
    out.extend_from_slice(b"</fixtures>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn odds(m: u32, seq: u64) -> OddsMsg {
        OddsMsg {
            match_id: m,
            seq,
            ts_us: 42,
            home: 1.5,
            draw: 3.25,
            away: 5.0,
        }
    }

    fn stream() -> (Vec<u8>, Vec<FeedItem>) {
        let fixtures = vec![Fixture {
            id: 1,
            home: "A & B".into(),
            away: "C".into(),
        }];
        let mut bytes = Vec::new();
        write_fixtures(&mut bytes, &fixtures);
        write_odds(&mut bytes, &odds(1, 1));
        bytes.extend_from_slice(b"<odds match=\"1\" seq=\"2\" ts=\"1\"><home>1.2</hom></odds>");
        write_odds(&mut bytes, &odds(1, 3));
        bytes.extend_from_slice(b"<odds match=\"1\" seq=\"4\" ts=\"1\"><home>1.2");
        write_odds(&mut bytes, &odds(2, 5));
        let expected = vec![
            FeedItem::Fixtures(fixtures),
            FeedItem::Odds(odds(1, 1)),
            broken("x"),
            FeedItem::Odds(odds(1, 3)),
            broken("x"),
            FeedItem::Odds(odds(2, 5)),
        ];
        (bytes, expected)
    }

    fn kinds(items: &[FeedItem]) -> Vec<FeedItem> {
        items
            .iter()
            .map(|i| match i {
                FeedItem::Broken { .. } => broken("x"),
                other => other.clone(),
            })
            .collect()
    }

    fn decode_in_pieces(bytes: &[u8], cuts: &[usize]) -> Vec<FeedItem> {
        let mut dec = FeedDecoder::default();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut last = 0;
        for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
            buf.extend_from_slice(&bytes[last..cut]);
            last = cut;
            while let Some(item) = dec.decode(&mut buf).unwrap() {
                out.push(item);
            }
        }
        out
    }

    #[test]
    fn messages_split_at_every_point_decode_the_same() {
        let (bytes, expected) = stream();
        for cut in 0..bytes.len() {
            let got = decode_in_pieces(&bytes, &[cut]);
            assert_eq!(kinds(&got), expected, "split at {cut}");
        }
    }

    #[test]
    fn messages_fed_one_byte_at_a_time_decode_the_same() {
        let (bytes, expected) = stream();
        let cuts: Vec<usize> = (1..bytes.len()).collect();
        assert_eq!(kinds(&decode_in_pieces(&bytes, &cuts)), expected);
    }

    #[test]
    fn a_message_that_never_ends_is_cut_at_the_limit() {
        let mut dec = FeedDecoder::default();
        let mut buf = BytesMut::from(&b"<odds match=\"1\">"[..]);
        buf.extend_from_slice(&vec![b'x'; MAX_MESSAGE + 1]);
        assert!(matches!(
            dec.decode(&mut buf),
            Ok(Some(FeedItem::Broken { .. }))
        ));
        assert!(buf.is_empty());
    }

    #[test]
    fn garbage_between_messages_is_reported_and_skipped() {
        let mut bytes = b"garbage".to_vec();
        write_odds(&mut bytes, &odds(1, 1));
        let got = decode_in_pieces(&bytes, &[]);
        assert_eq!(kinds(&got), vec![broken("x"), FeedItem::Odds(odds(1, 1))]);
    }
}
