//! `redis-sentinel://` and `rediss-sentinel://` URLs, in fred's form.
//!
//! ```text
//! redis-sentinel://[user[:password]@]sentinel[:port][/db]?sentinelServiceName=<name>
//!     [&node=host:port]... [&sentinelUsername=u] [&sentinelPassword=p]
//!     [&role=primary|replica] [&protocol=resp2|resp3]
//! ```
//!
//! The host is the first sentinel (port 26379 by default), each `node` another one; the
//! credentials before `@` are the data nodes', `sentinelUsername` / `sentinelPassword` the
//! sentinels'. `rediss-sentinel://` turns verified TLS on for both.

use crate::config::{Config, Secret};
use crate::sentinel::{Role, Sentinel, DEFAULT_SENTINEL_PORT};
use crate::Error;

/// Parses a Sentinel URL already split by the `url` crate; `tls` for `rediss-sentinel`.
pub(crate) fn from_sentinel_url(parsed: &url::Url, tls: bool) -> Result<Config, Error> {
    let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| {
        Error::Config(
            "the URL has no sentinel: use redis-sentinel://host:26379?sentinelServiceName=name"
                .into(),
        )
    })?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut nodes = vec![(
        host.to_owned(),
        parsed.port().unwrap_or(DEFAULT_SENTINEL_PORT),
    )];
    let mut service = None;
    let mut role = Role::Primary;
    let mut sentinel_user = None;
    let mut sentinel_pass = None;
    let mut rest = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match &*key {
            "sentinelServiceName" => service = Some(value.into_owned()),
            "node" => nodes.push(node(&value)?),
            "sentinelUsername" => sentinel_user = Some(value.into_owned()),
            "sentinelPassword" => sentinel_pass = Some(value.into_owned()),
            "role" => {
                role = match &*value {
                    "primary" | "master" => Role::Primary,
                    "replica" | "slave" => Role::Replica,
                    _ => {
                        return Err(Error::Config(
                            "unknown role= option: use role=primary or role=replica".into(),
                        ))
                    }
                }
            }
            _ => rest.push((key.into_owned(), value.into_owned())),
        }
    }
    let service = service.filter(|s| !s.is_empty()).ok_or_else(|| {
        Error::Config(
            "a Sentinel URL needs the service's name: add ?sentinelServiceName=<name> (the \
             name in `sentinel monitor <name> ...`)"
                .into(),
        )
    })?;
    let mut group = Sentinel::new(service, nodes).role(role);
    group.username = sentinel_user;
    group.password = sentinel_pass.map(Secret::new);
    if tls {
        group = with_tls(group)?;
    }
    let mut config = Config::sentinel(group);
    if tls {
        config = config.default_tls()?;
    }
    config.set_credentials(parsed)?;
    let db = parsed.path().trim_start_matches('/');
    if !db.is_empty() {
        config.database = crate::config::parse_db(db)?;
    }
    for (key, value) in rest {
        if !config.query_option(&key, &value) {
            // Only the key: the value may be a secret.
            return Err(Error::Config(format!(
                "unknown URL option {key:?}: supported are sentinelServiceName, node, \
                 sentinelUsername, sentinelPassword, role=primary|replica and \
                 protocol=resp2|resp3"
            )));
        }
    }
    config.validate()?;
    Ok(config)
}

#[cfg(feature = "tls")]
fn with_tls(group: Sentinel) -> Result<Sentinel, Error> {
    Ok(group.tls(hardy_connection::transport::Tls::new()))
}

#[cfg(not(feature = "tls"))]
fn with_tls(_group: Sentinel) -> Result<Sentinel, Error> {
    Err(Error::Config(
        "rediss-sentinel:// needs TLS, and hardy-redis was built without its `tls` feature: \
         enable it in Cargo.toml"
            .into(),
    ))
}

/// `host:port` or `[v6]:port` of a `node=` option; the port is required, as in fred.
fn node(text: &str) -> Result<(String, u16), Error> {
    // The value is not shown: a query value may be a misplaced secret.
    let bad = || {
        Error::Config(
            "a node= option is not host:port: list every other sentinel as node=host:port".into(),
        )
    };
    let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_owned(), port.parse().map_err(|_| bad())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_sentinel_url_sets_the_group_and_the_data_nodes() {
        let c = Config::from_url(
            "redis-sentinel://app:data%40pw@10.0.0.1/3?sentinelServiceName=orders\
             &node=10.0.0.2:26380&node=[::1]:26381&sentinelUsername=sen&sentinelPassword=spw\
             &role=replica&protocol=resp2",
        )
        .unwrap();
        let group = c.sentinel_group().unwrap();
        assert_eq!(group.service(), "orders");
        assert_eq!(group.role_wanted(), Role::Replica);
        assert_eq!(
            group.sentinels(),
            [
                ("10.0.0.1".into(), 26379),
                ("10.0.0.2".into(), 26380),
                ("::1".into(), 26381)
            ]
        );
        assert_eq!(group.username.as_deref(), Some("sen"));
        assert_eq!(group.password.as_ref().map(Secret::expose), Some("spw"));
        assert_eq!(c.username.as_deref(), Some("app"));
        assert_eq!(c.password.as_ref().map(Secret::expose), Some("data@pw"));
        assert_eq!(c.database(), 3);
        assert_eq!(c.protocol, crate::Protocol::Resp2);
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("spw") && !shown.contains("data@pw"),
            "{shown}"
        );
    }

    #[test]
    fn bad_sentinel_urls_say_what_to_do_and_never_show_a_password() {
        for (url, hint) in [
            ("redis-sentinel://h", "sentinelServiceName"),
            (
                "redis-sentinel://h?sentinelServiceName=s&node=x",
                "host:port",
            ),
            (
                "redis-sentinel://h?sentinelServiceName=s&role=boss",
                "role=replica",
            ),
            (
                "redis-sentinel://h?sentinelServiceName=s&bogus=secretpw",
                "unknown URL option",
            ),
            (
                "redis-sentinel://u:secretpw@h?sentinelServiceName=s&node=:1",
                "host:port",
            ),
        ] {
            let msg = Config::from_url(url).unwrap_err().to_string();
            assert!(msg.contains(hint), "{url}: {msg}");
            assert!(!msg.contains("secretpw"), "{msg}");
        }
    }

    #[cfg(feature = "tls")]
    #[test]
    fn rediss_sentinel_turns_tls_on_for_sentinels_and_data_nodes() {
        let c = Config::from_url("rediss-sentinel://h?sentinelServiceName=s").unwrap();
        assert!(c.is_tls());
        assert!(c.sentinel_group().unwrap().tls.is_some());
    }
}
