//! Certificates generated at test time (rcgen), so TLS tests need no files in the
//! repository and no expiry dates that rot: a CA, server certificates good and bad, a
//! client certificate, and a second CA nobody trusts.
//!
//! Every file is written to a temp dir owned by [`TestCerts`], for `redis-server`'s
//! `--tls-*-file` options; the PEM text is there too, for clients.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;

use crate::error::{Error, Result};

/// Which certificate a TLS server presents (see [`RedisConfig::tls`](crate::RedisConfig::tls)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerCert {
    /// Valid, signed by [`TestCerts::ca_pem`], for `localhost` and `127.0.0.1`.
    Localhost,
    /// Valid, signed by the CA, for `*.hardy.test` (connect to 127.0.0.1 and verify a
    /// name such as `node1.hardy.test`).
    Wildcard,
    /// Signed by the CA for `localhost` and `127.0.0.1`, but expired in 2021.
    Expired,
    /// Valid, signed by the CA, but for `other.hardy.test` only.
    OtherHost,
    /// Valid for `localhost` and `127.0.0.1`, but signed by a CA nobody trusts.
    UnknownCa,
}

/// A PEM certificate and its private key, as files and as text.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// The certificate's PEM file.
    pub cert_file: PathBuf,
    /// The private key's PEM file.
    pub key_file: PathBuf,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key, PEM.
    pub key_pem: String,
}

/// A test CA and the certificates it signed, in a temp dir removed on drop.
///
/// ```no_run
/// use hardy_testkit::{RedisConfig, ServerCert, TestCerts};
///
/// let certs = TestCerts::generate()?;
/// let server = RedisConfig::new().tls(&certs, ServerCert::Localhost, false).start()?;
/// println!("rediss://localhost:{} trusting {}", server.port(), certs.ca_file().display());
/// # Ok::<(), hardy_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct TestCerts {
    ca: CertFiles,
    localhost: CertFiles,
    wildcard: CertFiles,
    expired: CertFiles,
    other_host: CertFiles,
    unknown_ca: CertFiles,
    client: CertFiles,
    _dir: TempDir,
}

impl TestCerts {
    /// Generates the CA, the server certificates of [`ServerCert`], and a client
    /// certificate, all ECDSA P-256.
    pub fn generate() -> Result<TestCerts> {
        let dir = tempfile::Builder::new().prefix("hardy-certs-").tempdir()?;
        let (ca, ca_key) = authority("hardy test CA")?;
        let (rogue, rogue_key) = authority("nobody's CA")?;
        let local = || vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let server = |names: Vec<String>| {
            let mut params = CertificateParams::new(names).map_err(rcgen_error)?;
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            Ok::<_, Error>(params)
        };
        let mut expired = server(local())?;
        expired.not_before = rcgen::date_time_ymd(2020, 1, 1);
        expired.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let mut client = CertificateParams::new(Vec::new()).map_err(rcgen_error)?;
        client
            .distinguished_name
            .push(DnType::CommonName, "hardy test client");
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let d = dir.path();
        Ok(TestCerts {
            ca: write(d, "ca", &ca, &ca_key)?,
            localhost: leaf(d, "localhost", server(local())?, &ca, &ca_key)?,
            wildcard: leaf(
                d,
                "wildcard",
                server(vec!["*.hardy.test".into()])?,
                &ca,
                &ca_key,
            )?,
            expired: leaf(d, "expired", expired, &ca, &ca_key)?,
            other_host: leaf(
                d,
                "other-host",
                server(vec!["other.hardy.test".into()])?,
                &ca,
                &ca_key,
            )?,
            unknown_ca: leaf(d, "unknown-ca", server(local())?, &rogue, &rogue_key)?,
            client: leaf(d, "client", client, &ca, &ca_key)?,
            _dir: dir,
        })
    }

    /// The CA's certificate, PEM: what clients trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca.cert_pem
    }

    /// The CA's certificate file.
    pub fn ca_file(&self) -> &Path {
        &self.ca.cert_file
    }

    /// A server certificate and key.
    pub fn server(&self, which: ServerCert) -> &CertFiles {
        match which {
            ServerCert::Localhost => &self.localhost,
            ServerCert::Wildcard => &self.wildcard,
            ServerCert::Expired => &self.expired,
            ServerCert::OtherHost => &self.other_host,
            ServerCert::UnknownCa => &self.unknown_ca,
        }
    }

    /// A client certificate signed by the CA (for `tls-auth-clients yes`) and its key.
    pub fn client(&self) -> &CertFiles {
        &self.client
    }
}

fn authority(name: &str) -> Result<(Certificate, KeyPair)> {
    let mut params = CertificateParams::new(Vec::new()).map_err(rcgen_error)?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().map_err(rcgen_error)?;
    let cert = params.self_signed(&key).map_err(rcgen_error)?;
    Ok((cert, key))
}

fn leaf(
    dir: &Path,
    name: &str,
    params: CertificateParams,
    ca: &Certificate,
    ca_key: &KeyPair,
) -> Result<CertFiles> {
    let key = KeyPair::generate().map_err(rcgen_error)?;
    let cert = params.signed_by(&key, ca, ca_key).map_err(rcgen_error)?;
    write(dir, name, &cert, &key)
}

fn write(dir: &Path, name: &str, cert: &Certificate, key: &KeyPair) -> Result<CertFiles> {
    let files = CertFiles {
        cert_file: dir.join(format!("{name}.crt")),
        key_file: dir.join(format!("{name}.key")),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    };
    fs::write(&files.cert_file, &files.cert_pem)?;
    fs::write(&files.key_file, &files.key_pem)?;
    Ok(files)
}

fn rcgen_error(e: rcgen::Error) -> Error {
    Error::Io(std::io::Error::other(format!(
        "generating a test certificate: {e}"
    )))
}
