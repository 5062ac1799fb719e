//! `RedisServer`: start, stop, kill, restart, pause, client kill, config.

use std::io::ErrorKind;

use hardy_testkit::{ClientType, Error, RedisConfig, RedisServer, Reply};

use crate::support::{Client, PROMPT, SILENCE};

#[test]
fn started_server_answers_ping_on_loopback() {
    let server = RedisServer::start().unwrap();
    assert!(server.addr().ip().is_loopback());
    assert_eq!(server.url(), format!("redis://127.0.0.1:{}", server.port()));
    assert_eq!(Client::connect(server.addr()).ping(), "+PONG\r\n");
    assert_eq!(
        server.command(&["PING"]).unwrap(),
        Reply::Status("PONG".into())
    );
}

#[test]
fn server_has_no_persistence_and_its_own_dir() {
    let server = RedisServer::start().unwrap();
    let save = server
        .command(&["CONFIG", "GET", "save"])
        .unwrap()
        .to_string();
    assert_eq!(save, "save\n");
    let aof = server
        .command(&["CONFIG", "GET", "appendonly"])
        .unwrap()
        .to_string();
    assert_eq!(aof, "appendonly\nno");
    let dir = server
        .command(&["CONFIG", "GET", "dir"])
        .unwrap()
        .to_string();
    let expected = server.dir().canonicalize().unwrap();
    assert_eq!(dir, format!("dir\n{}", expected.display()));
}

#[test]
fn stop_ends_the_process_and_refuses_connections() {
    let mut server = RedisServer::start().unwrap();
    server.stop().unwrap();
    assert_eq!(server.pid(), None);
    assert!(std::net::TcpStream::connect(server.addr()).is_err());
    assert!(matches!(server.command(&["PING"]), Err(Error::NotRunning)));
}

#[test]
fn killed_server_restarts_on_the_same_port() {
    let mut server = RedisServer::start().unwrap();
    let port = server.port();
    let mut client = Client::connect(server.addr());
    assert_eq!(client.ping(), "+PONG\r\n");

    server.kill().unwrap();
    assert!(client.is_closed());
    server.restart().unwrap();

    assert_eq!(server.port(), port);
    assert_eq!(Client::connect(server.addr()).ping(), "+PONG\r\n");
}

#[test]
fn restart_of_a_running_server_replaces_the_process() {
    let mut server = RedisServer::start().unwrap();
    let first = server.pid();
    server.restart().unwrap();
    assert_ne!(server.pid(), first);
    assert_eq!(Client::connect(server.addr()).ping(), "+PONG\r\n");
}

#[test]
fn paused_server_holds_replies_until_resumed() {
    let server = RedisServer::start().unwrap();
    let mut client = Client::connect(server.addr());
    server.pause().unwrap();

    client.send_ping();
    let silent = client.read_line(SILENCE);
    assert!(
        matches!(silent, Err(ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "{silent:?}"
    );

    server.resume().unwrap();
    assert_eq!(client.read_line(PROMPT).unwrap(), "+PONG\r\n");
}

#[test]
fn paused_server_can_still_be_stopped() {
    let mut server = RedisServer::start().unwrap();
    server.pause().unwrap();
    server.stop().unwrap();
    assert_eq!(server.pid(), None);
}

#[test]
fn client_kill_all_closes_open_client_connections() {
    let server = RedisServer::start().unwrap();
    let mut client = Client::connect(server.addr());
    assert_eq!(client.ping(), "+PONG\r\n");

    assert_eq!(server.client_kill_all().unwrap(), 1);

    assert!(client.is_closed());
    assert_eq!(server.client_kill(ClientType::Normal).unwrap(), 0);
}

#[test]
fn password_config_protects_the_server_and_admin_still_works() {
    let server = RedisConfig::new().password("s3cret").start().unwrap();
    let mut client = Client::connect(server.addr());
    assert!(client.ping().starts_with("-NOAUTH"));
    assert_eq!(server.command(&["PING"]).unwrap().to_string(), "PONG");
}

#[test]
fn acl_users_and_extra_args_are_applied() {
    let server = RedisConfig::new()
        .line("user alice on >wonderland ~* +@all")
        .line("user default off")
        .admin_auth("alice", "wonderland")
        .arg("--maxclients")
        .arg("7")
        .start()
        .unwrap();
    let maxclients = server.command(&["CONFIG", "GET", "maxclients"]).unwrap();
    assert_eq!(maxclients.to_string(), "maxclients\n7");
    assert_eq!(
        server.command(&["ACL", "WHOAMI"]).unwrap().to_string(),
        "alice"
    );
}

#[test]
fn invalid_config_fails_with_the_server_log() {
    let error = RedisConfig::new()
        .line("no-such-directive yes")
        .start()
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::NotReady { .. }), "{message}");
    assert!(message.contains("no-such-directive"), "{message}");
}

#[test]
fn error_replies_become_redis_errors() {
    let server = RedisServer::start().unwrap();
    let error = server.command(&["NOSUCHCOMMAND"]).unwrap_err();
    assert!(
        matches!(error, Error::Redis(ref m) if m.starts_with("ERR")),
        "{error}"
    );
}

#[test]
fn missing_binary_error_names_the_debian_package() {
    assert_eq!(
        Error::RedisServerNotFound.to_string(),
        "redis-server not found: install the Debian package redis-server \
         (apt-get install redis-server)"
    );
}

#[test]
fn dropping_the_fixture_kills_the_process_and_removes_its_dir() {
    let server = RedisServer::start().unwrap();
    let pid = server.pid().unwrap();
    let dir = server.dir().to_owned();
    server.pause().unwrap(); // even a frozen server must go
    drop(server);
    assert!(!dir.exists());
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

#[test]
fn dropping_during_a_panic_still_kills_the_process() {
    let pid = std::panic::catch_unwind(|| {
        let server = RedisServer::start().unwrap();
        let pid = server.pid().unwrap();
        std::panic::panic_any(pid);
    })
    .unwrap_err();
    let pid = *pid.downcast::<u32>().unwrap();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}
