//! The cluster's layout as one node reports it: which primary (and replicas) serve which
//! slot ranges, from `CLUSTER SHARDS` (Redis 7+), else `CLUSTER SLOTS`.
//!
//! Only nodes whose health is `online` are used (a failed primary's slots are then
//! unowned until its replica is promoted and a later refresh sees it). An endpoint that
//! is null or empty means "the host you asked"; `?` means unknown, and the node is
//! skipped. TLS clients take each node's `tls-port`.

use crate::resp::Frame;

/// One primary's slot ranges and its replicas, as `host:port` addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) slots: Vec<(u16, u16)>,
    pub(crate) primary: Option<String>,
    pub(crate) replicas: Vec<String>,
}

/// Parses a `CLUSTER SHARDS` reply (RESP2 flat arrays or RESP3 maps). `asked` is the
/// host the query went to; `tls` picks `tls-port`.
pub(crate) fn from_shards(reply: &Frame, asked: &str, tls: bool) -> Option<Vec<Shard>> {
    let mut shards = Vec::new();
    for shard in reply.as_slice()? {
        let fields = pairs(shard)?;
        let ranges: Vec<u16> = field(&fields, "slots")?
            .as_slice()?
            .iter()
            .filter_map(|f| u16::try_from(f.as_integer()?).ok())
            .collect();
        let slots = ranges.chunks_exact(2).map(|r| (r[0], r[1])).collect();
        let mut parsed = Shard {
            slots,
            primary: None,
            replicas: Vec::new(),
        };
        for node in field(&fields, "nodes")?.as_slice()? {
            let node = pairs(node)?;
            let text = |name| field(&node, name).and_then(Frame::as_str).unwrap_or("");
            if text("health") != "online" {
                continue;
            }
            let port = field(&node, if tls { "tls-port" } else { "port" })
                .and_then(Frame::as_integer)
                .filter(|&p| p > 0);
            let Some(addr) = port.and_then(|p| endpoint(text("endpoint"), p, asked)) else {
                continue;
            };
            match text("role") {
                "master" | "primary" => parsed.primary = Some(addr),
                _ => parsed.replicas.push(addr),
            }
        }
        shards.push(parsed);
    }
    Some(shards)
}

/// Parses a `CLUSTER SLOTS` reply: `[start, end, [host, port, id, …], replicas…]` per
/// range (it reports no health: every listed node is taken as usable).
pub(crate) fn from_slots(reply: &Frame, asked: &str) -> Option<Vec<Shard>> {
    let mut shards = Vec::new();
    for range in reply.as_slice()? {
        let range = range.as_slice()?;
        let bound = |i: usize| u16::try_from(range.get(i)?.as_integer()?).ok();
        let (start, end) = (bound(0)?, bound(1)?);
        let mut nodes = range[2..].iter().filter_map(|node| {
            let node = node.as_slice()?;
            let host = node.first().and_then(Frame::as_str).unwrap_or("");
            endpoint(host, node.get(1)?.as_integer()?, asked)
        });
        shards.push(Shard {
            slots: vec![(start, end)],
            primary: nodes.next(),
            replicas: nodes.collect(),
        });
    }
    Some(shards)
}

/// `host:port`, or `None` for an unknown (`?`) endpoint.
fn endpoint(host: &str, port: i64, asked: &str) -> Option<String> {
    let host = match host {
        "?" => return None,
        "" => asked,
        host => host,
    };
    if host.contains(':') {
        Some(format!("[{host}]:{port}"))
    } else {
        Some(format!("{host}:{port}"))
    }
}

/// A map's pairs, from a RESP3 map or a RESP2 flat array of names and values.
fn pairs(frame: &Frame) -> Option<Vec<(&str, &Frame)>> {
    match frame.value() {
        Frame::Map(pairs) => Some(
            pairs
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?, v)))
                .collect(),
        ),
        Frame::Array(items) => Some(
            items
                .chunks_exact(2)
                .filter_map(|kv| Some((kv[0].as_str()?, &kv[1])))
                .collect(),
        ),
        _ => None,
    }
}

fn field<'a>(pairs: &[(&str, &'a Frame)], name: &str) -> Option<&'a Frame> {
    pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Frame {
        Frame::bulk(text.to_owned())
    }

    fn node(endpoint: &str, port: i64, role: &str, health: &str) -> Frame {
        Frame::Array(vec![
            s("id"),
            s("abc"),
            s("port"),
            Frame::Integer(port),
            s("endpoint"),
            s(endpoint),
            s("role"),
            s(role),
            s("health"),
            s(health),
        ])
    }

    #[test]
    fn shards_keep_online_nodes_and_fill_empty_endpoints() {
        let reply = Frame::Array(vec![Frame::Array(vec![
            s("slots"),
            Frame::Array(vec![
                Frame::Integer(0),
                Frame::Integer(99),
                Frame::Integer(200),
                Frame::Integer(299),
            ]),
            s("nodes"),
            Frame::Array(vec![
                node("", 7000, "master", "online"),
                node("10.0.0.2", 7001, "replica", "online"),
                node("?", 7002, "replica", "online"),
                node("10.0.0.3", 7003, "replica", "failed"),
            ]),
        ])]);
        let shards = from_shards(&reply, "10.0.0.1", false).unwrap();
        assert_eq!(
            shards,
            vec![Shard {
                slots: vec![(0, 99), (200, 299)],
                primary: Some("10.0.0.1:7000".into()),
                replicas: vec!["10.0.0.2:7001".into()],
            }]
        );
    }

    #[test]
    fn slots_list_the_primary_first() {
        let reply = Frame::Array(vec![Frame::Array(vec![
            Frame::Integer(0),
            Frame::Integer(5460),
            Frame::Array(vec![s("127.0.0.1"), Frame::Integer(7000), s("id1")]),
            Frame::Array(vec![s(""), Frame::Integer(7003), s("id2")]),
        ])]);
        let shards = from_slots(&reply, "h").unwrap();
        assert_eq!(shards[0].primary.as_deref(), Some("127.0.0.1:7000"));
        assert_eq!(shards[0].replicas, vec!["h:7003".to_owned()]);
    }
}
