//! The transport connector's TLS, end to end with a rustls server in the test: a line
//! protocol over [`Connector::tls`] works, and stopping the connection sends
//! `close_notify` (the server sees a clean end of stream, not a truncation).

use std::sync::Arc;
use std::time::Duration;

use hardy_connection::prelude::*;
use hardy_connection::transport::{certificate_problem, Connector, Endpoint, Stream, Tls};
use hardy_testkit::{ServerCert, TestCerts};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

struct Lines {
    port: u16,
    connector: Connector,
}

impl Connection for Lines {
    type Transport = Stream;
    type Incoming = String;
    type Error = LinesCodecError;

    fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
        let (connector, port) = (self.connector.clone(), self.port);
        async move { Ok(connector.connect(&Endpoint::tcp("localhost", port)).await?) }.boxed_local()
    }

    fn connected(&mut self, stream: Stream, cx: &mut Ctx<'_, Self>) {
        let (read, write) = stream.into_split();
        cx.read(FramedRead::new(read, LinesCodec::new()));
        cx.writer(write);
    }
}

struct Ask(&'static str);
impl Message for Ask {
    type Result = Result<String, RequestError>;
}
impl Handle<Ask> for Lines {
    type Result = Request<Self, Ask>;
    fn handle(&mut self, Ask(line): Ask, cx: &mut Ctx<'_, Self>) -> Request<Self, Ask> {
        cx.request(
            move |buf| buf.extend_from_slice(format!("{line}\n").as_bytes()),
            Ok,
        )
    }
}

/// A TLS echo server for one connection; reports how the client ended the stream.
async fn echo_server(certs: &TestCerts) -> (u16, oneshot::Receiver<std::io::Result<()>>) {
    let files = certs.server(ServerCert::Localhost);
    let chain = vec![CertificateDer::from_pem_slice(files.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(files.key_pem.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = oneshot::channel();
    actix_rt::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let outcome = async {
            let mut tls = BufReader::new(acceptor.accept(tcp).await?);
            let mut line = String::new();
            loop {
                line.clear();
                // rustls answers Ok(0) only after close_notify; a bare FIN is an
                // UnexpectedEof error.
                if tls.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                tls.get_mut().write_all(line.as_bytes()).await?;
                tls.get_mut().flush().await?;
            }
        }
        .await;
        let _ = tx.send(outcome);
    });
    (port, rx)
}

#[actix_rt::test]
async fn a_tls_link_carries_requests_and_stopping_it_sends_close_notify() {
    let certs = TestCerts::generate().unwrap();
    let (port, ended) = echo_server(&certs).await;
    let connector = Connector::tls(&Tls::new().ca_pem(certs.ca_pem())).unwrap();
    assert!(connector.is_tls());
    let addr = ConnectionActor::builder(Lines { port, connector })
        .start_connected()
        .await
        .unwrap();
    assert_eq!(addr.send(Ask("hello")).await.unwrap().unwrap(), "hello");
    addr.do_send(Stop::default());
    let outcome = tokio::time::timeout(Duration::from_secs(10), ended)
        .await
        .expect("the server saw the end")
        .unwrap();
    outcome.expect("a clean TLS close (close_notify), not a truncated stream");
}

#[actix_rt::test]
async fn a_server_certificate_from_an_unknown_ca_says_what_to_fix() {
    let certs = TestCerts::generate().unwrap();
    let (port, _ended) = echo_server(&certs).await;
    let other = TestCerts::generate().unwrap();
    let connector = Connector::tls(&Tls::new().ca_pem(other.ca_pem())).unwrap();
    let error = connector
        .connect(&Endpoint::tcp("localhost", port))
        .await
        .unwrap_err();
    let fix = certificate_problem(&error).expect("a certificate problem");
    assert!(fix.contains("ca_pem"), "{fix}");
}

#[test]
fn unusable_tls_options_are_refused_with_what_to_fix() {
    let certs = TestCerts::generate().unwrap();
    let client = certs.client();
    for (tls, hint) in [
        (Tls::new().ca_pem("not a pem"), "BEGIN CERTIFICATE"),
        (
            Tls::new()
                .ca_pem(certs.ca_pem())
                .client_cert_pem(client.cert_pem.as_str(), "no key here"),
            "private key",
        ),
        (
            Tls::new().ca_pem(certs.ca_pem()).client_cert_pem(
                client.cert_pem.as_str(),
                certs.server(ServerCert::Localhost).key_pem.as_str(),
            ),
            "do not go together",
        ),
    ] {
        let message = Connector::tls(&tls).unwrap_err().to_string();
        assert!(message.contains(hint), "{message}");
    }
    let shown = format!(
        "{:?}",
        Tls::new().client_cert_pem(client.cert_pem.as_str(), client.key_pem.as_str())
    );
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
}
