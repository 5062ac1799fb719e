//! TLS options ([`Tls`]) and what their mistakes look like ([`certificate_problem`]).
//!
//! A certificate problem (unknown CA, wrong host name, expired, a client certificate the
//! server refuses) cannot be fixed by retrying, while a reset during the handshake can:
//! callers need to tell them apart, and users need a message that says what to change.
//! The options keep key material out of `Debug`.

use std::fmt;
use std::io;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{AlertDescription, CertificateError, RootCertStore};
use tokio::net::TcpStream;

/// TLS options: which servers to trust, the name to verify, and an optional client
/// certificate.
///
/// Verification is on by default, against the operating system's root certificates and
/// the host name connected to (sent as SNI; an IP address needs an IP entry in the
/// certificate). Builder methods never fail: the PEM data is checked when a
/// [`Connector`](super::Connector) is built, once, and reused for every reconnect.
///
/// ```
/// use hardy_connection::transport::{Connector, Tls};
///
/// let tls = Tls::new()
///     .ca_pem(b"-----BEGIN CERTIFICATE-----\n...".to_vec())
///     .server_name("redis.internal");
/// assert!(format!("{tls:?}").contains("redis.internal"));
/// // A CA file with no certificate in it is refused, saying so:
/// let err = Connector::tls(&tls).unwrap_err();
/// assert!(err.to_string().contains("CA"));
/// ```
#[derive(Clone, Default)]
pub struct Tls {
    ca_pem: Option<Arc<[u8]>>,
    client_cert_pem: Option<Arc<[u8]>>,
    client_key_pem: Option<Arc<[u8]>>,
    server_name: Option<String>,
    danger_accept_invalid_certs: bool,
    /// The rustls configuration, built on first use and shared by clones.
    built: Arc<OnceLock<Result<Client, TlsConfigError>>>,
}

impl Tls {
    /// Verified TLS against the system's root certificates.
    pub fn new() -> Self {
        Tls::default()
    }

    /// Trusts the CA certificates in `pem` (one or more `BEGIN CERTIFICATE` blocks)
    /// instead of the system's roots: for servers whose certificates a private CA signed.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into().into());
        self.changed()
    }

    /// Presents this client certificate (PEM chain, leaf first) and private key (PEM:
    /// PKCS#8, PKCS#1 or SEC1) to servers that ask for one (mutual TLS, e.g. Redis's
    /// `tls-auth-clients yes`).
    pub fn client_cert_pem(mut self, cert: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> Self {
        self.client_cert_pem = Some(cert.into().into());
        self.client_key_pem = Some(key.into().into());
        self.changed()
    }

    /// Verifies the server's certificate against `name` (and sends it as SNI) instead of
    /// the host connected to: for servers reached by IP address, or through a tunnel.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self.changed()
    }

    /// **Dangerous**: accepts any server certificate, whoever signed it and whatever name
    /// it holds. The traffic is encrypted but anyone on the path can impersonate the
    /// server. Only for tests and local development.
    pub fn danger_accept_invalid_certs(mut self, yes: bool) -> Self {
        self.danger_accept_invalid_certs = yes;
        self.changed()
    }

    /// Whether verification is turned off (see
    /// [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs)).
    pub fn accepts_invalid_certs(&self) -> bool {
        self.danger_accept_invalid_certs
    }

    fn changed(mut self) -> Self {
        self.built = Arc::default();
        self
    }

    pub(super) fn client(&self) -> Result<Client, TlsConfigError> {
        self.built.get_or_init(|| self.build()).clone()
    }

    fn build(&self) -> Result<Client, TlsConfigError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsConfigError(format!("no usable TLS version: {e}")))?;
        let builder = if self.danger_accept_invalid_certs {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(super::verify::AcceptAny(provider)))
        } else {
            builder.with_root_certificates(self.roots()?)
        };
        let config = match (&self.client_cert_pem, &self.client_key_pem) {
            (Some(cert), Some(key)) => {
                let chain = certs(cert, "client certificate")?;
                let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| {
                    TlsConfigError(format!(
                        "the client key PEM holds no usable private key ({e}): give a PKCS#8, \
                         PKCS#1 or SEC1 key in PEM"
                    ))
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    TlsConfigError(format!(
                        "the client certificate and key do not go together ({e}): give the key \
                         of that certificate"
                    ))
                })?
            }
            _ => builder.with_no_client_auth(),
        };
        Ok(Client {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
            server_name: self.server_name.clone(),
        })
    }

    fn roots(&self) -> Result<RootCertStore, TlsConfigError> {
        let mut roots = RootCertStore::empty();
        if let Some(pem) = &self.ca_pem {
            for cert in certs(pem, "CA")? {
                roots.add(cert).map_err(|e| {
                    TlsConfigError(format!(
                        "the CA certificate cannot be used ({e}): give the CA's certificate in PEM"
                    ))
                })?;
            }
            return Ok(roots);
        }
        let native = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(native.certs);
        if added == 0 {
            return Err(TlsConfigError(
                "no system root certificates found: install the ca-certificates package, or \
                 give the server's CA with ca_pem"
                    .into(),
            ));
        }
        Ok(roots)
    }
}

fn certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem).collect();
    match certs {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        Ok(_) => Err(TlsConfigError(format!(
            "the {what} PEM holds no certificate: give one or more BEGIN CERTIFICATE blocks"
        ))),
        Err(e) => Err(TlsConfigError(format!(
            "the {what} PEM cannot be read ({e}): give one or more BEGIN CERTIFICATE blocks"
        ))),
    }
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("custom_ca", &self.ca_pem.is_some())
            .field("client_cert", &self.client_cert_pem.is_some())
            .field("server_name", &self.server_name)
            .field(
                "danger_accept_invalid_certs",
                &self.danger_accept_invalid_certs,
            )
            .finish_non_exhaustive()
    }
}

/// TLS options that cannot work (unreadable PEM, a key that does not match its
/// certificate, no trusted roots); the message says what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("TLS configuration: {0}")]
pub struct TlsConfigError(String);

/// A built client configuration, shared by every connect.
#[derive(Clone)]
pub(super) struct Client {
    connector: tokio_rustls::TlsConnector,
    server_name: Option<String>,
}

impl Client {
    pub(super) async fn handshake(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
        let name = self.server_name.as_deref().unwrap_or(host);
        let name = ServerName::try_from(name.to_owned()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not a valid TLS server name: set a DNS name with server_name"),
            )
        })?;
        self.connector.connect(name, tcp).await
    }
}

/// What to fix, when `error` (from a TLS connect, or from reading or writing a TLS
/// stream) is a certificate problem that retrying cannot solve; `None` for network errors,
/// which are worth a retry.
///
/// ```
/// use hardy_connection::transport::certificate_problem;
///
/// let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
/// assert_eq!(certificate_problem(&reset), None);
/// ```
pub fn certificate_problem(error: &io::Error) -> Option<String> {
    let rustls = error.get_ref()?.downcast_ref::<rustls::Error>()?;
    let fix = match rustls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            // A CA with the trusted one's name but another key shows as a bad signature.
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                "the server's certificate is signed by a CA this client does not trust: give \
                 that CA's certificate (ca_pem), or check that this is the right server"
                    .to_string()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "the server's certificate is not valid for the host name connected to: connect \
                 with a name the certificate lists, or set the expected name (server_name)"
                    .to_string()
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the server's certificate has expired: renew it on the server (or check this \
                 machine's clock)"
                    .to_string()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet: check the clocks of this machine \
                 and of the CA"
                    .to_string()
            }
            CertificateError::Revoked => "the server's certificate was revoked: replace it".into(),
            other => format!("the server's certificate was refused ({other:?}): replace it"),
        },
        rustls::Error::AlertReceived(alert) => match alert {
            AlertDescription::CertificateRequired => {
                "the server requires a client certificate: give one and its key \
                 (client_cert_pem)"
                    .to_string()
            }
            AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateExpired
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::AccessDenied => format!(
                "the server refused this client's certificate ({alert:?}): give a certificate \
                 that the server's CA signed, and its key (client_cert_pem)"
            ),
            AlertDescription::HandshakeFailure | AlertDescription::ProtocolVersion => format!(
                "the server and this client have no TLS version or cipher in common \
                 ({alert:?}), or the server wants a client certificate: check the server's \
                 TLS settings"
            ),
            _ => return None,
        },
        rustls::Error::InvalidMessage(_) => "the server did not answer in TLS: is this its TLS \
             port? For a plaintext port connect without TLS"
            .to_string(),
        _ => return None,
    };
    Some(fix)
}
