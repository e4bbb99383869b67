//! `https://` for the client (feature `tls`): rustls with the ring crypto provider, through
//! futures-rustls, so it runs on any futures-io runtime. See the crate README, "HTTPS".

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::io;
use std::sync::Arc;

use futures_lite::{AsyncRead, AsyncWrite};
use futures_rustls::pki_types::pem::PemObject;
use futures_rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use futures_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use futures_rustls::rustls::crypto::{self, CryptoProvider};
use futures_rustls::rustls::{self, ClientConfig, DigitallySignedStruct, RootCertStore};

use crate::client::{Connector, Target};
use crate::rt::Runtime;

/// What the client trusts and presents over TLS. Plain data until a [`TcpTls`] is made
/// from it.
///
/// Default: Mozilla's roots (the `webpki-roots` crate), no client certificate, certificates
/// verified.
#[derive(Debug)]
#[must_use]
pub struct TlsConfig {
    mozilla_roots: bool,
    #[cfg(feature = "native-roots")]
    native_roots: bool,
    roots: Vec<CertificateDer<'static>>,
    client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    accept_invalid: bool,
}

impl Clone for TlsConfig {
    fn clone(&self) -> Self {
        TlsConfig {
            mozilla_roots: self.mozilla_roots,
            #[cfg(feature = "native-roots")]
            native_roots: self.native_roots,
            roots: self.roots.clone(),
            client: self
                .client
                .as_ref()
                .map(|(chain, key)| (chain.clone(), key.clone_key())),
            accept_invalid: self.accept_invalid,
        }
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig::new()
    }
}

impl TlsConfig {
    /// The defaults: Mozilla's roots, verification on, no client certificate.
    pub fn new() -> Self {
        TlsConfig {
            mozilla_roots: true,
            #[cfg(feature = "native-roots")]
            native_roots: false,
            roots: Vec::new(),
            client: None,
            accept_invalid: false,
        }
    }

    /// Whether Mozilla's roots (the `webpki-roots` crate, compiled in) are trusted. Default:
    /// `true`.
    pub fn mozilla_roots(self, trust: bool) -> Self {
        TlsConfig {
            mozilla_roots: trust,
            ..self
        }
    }

    /// Whether the operating system's certificate store is trusted too, as loaded when a
    /// [`TcpTls`] is made (feature `native-roots`). Default: `false`.
    #[cfg(feature = "native-roots")]
    pub fn native_roots(self, trust: bool) -> Self {
        TlsConfig {
            native_roots: trust,
            ..self
        }
    }

    /// Trusts the certificates in `pem` (every `CERTIFICATE` section) as roots, besides the
    /// others: a private CA, or a server's own self-signed certificate.
    ///
    /// # Errors
    ///
    /// [`TlsError::Pem`] for PEM that cannot be read, [`TlsError::NoCertificate`] if it
    /// holds none.
    pub fn root_pem(mut self, pem: &[u8]) -> Result<Self, TlsError> {
        let certificates = certificates(pem)?;
        self.roots.extend(certificates);
        Ok(self)
    }

    /// Presents a client certificate (mutual TLS): the chain in `chain_pem`, leaf first, and
    /// its private key in `key_pem` (PKCS #8, PKCS #1 or SEC1).
    ///
    /// # Errors
    ///
    /// [`TlsError::Pem`], [`TlsError::NoCertificate`], or [`TlsError::NoPrivateKey`] if
    /// `key_pem` holds no key.
    pub fn client_certificate_pem(
        self,
        chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Self, TlsError> {
        let chain = certificates(chain_pem)?;
        let key = private_key(key_pem)?;
        Ok(TlsConfig {
            client: Some((chain, key)),
            ..self
        })
    }

    /// **Dangerous**: accepts any certificate the server shows, for any name, expired or
    /// not. The connection is encrypted but not authenticated: anyone on the path can read
    /// and change the stream. For a test against a server whose certificate cannot be
    /// trusted otherwise; never in production. Default: `false`.
    pub fn danger_accept_invalid_certificates(self, accept: bool) -> Self {
        TlsConfig {
            accept_invalid: accept,
            ..self
        }
    }

    /// The rustls configuration these settings give.
    fn client_config(&self) -> Result<ClientConfig, TlsError> {
        let provider = Arc::new(crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Rustls)?;
        let builder = if self.accept_invalid {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
        } else {
            builder.with_root_certificates(self.root_store()?)
        };
        let mut config = match &self.client {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(TlsError::Rustls)?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    fn root_store(&self) -> Result<RootCertStore, TlsError> {
        let mut store = RootCertStore::empty();
        if self.mozilla_roots {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        #[cfg(feature = "native-roots")]
        if self.native_roots {
            let loaded = rustls_native_certs::load_native_certs();
            if loaded.certs.is_empty() {
                if let Some(error) = loaded.errors.into_iter().next() {
                    return Err(TlsError::NativeRoots(error.to_string()));
                }
            }
            store.add_parsable_certificates(loaded.certs);
        }
        for root in &self.roots {
            store.add(root.clone()).map_err(TlsError::Rustls)?;
        }
        Ok(store)
    }
}

/// Every `CERTIFICATE` section of `pem`; at least one.
fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::Pem(error.to_string()))?;
    if certificates.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    Ok(certificates)
}

/// The first private key of `pem`.
fn private_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|error| match error {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoPrivateKey,
        other => TlsError::Pem(other.to_string()),
    })
}

/// Why a [`TlsConfig`] or a [`ServerTls`] could not be used.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TlsError {
    /// PEM that cannot be read, and why.
    Pem(String),
    /// PEM without a `CERTIFICATE` section.
    NoCertificate,
    /// PEM without a private key.
    NoPrivateKey,
    /// The operating system's store could not be loaded, and why.
    NativeRoots(String),
    /// rustls refused the settings (a certificate it cannot parse as a root, a key that does
    /// not match, ...).
    Rustls(rustls::Error),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Pem(why) => write!(f, "unreadable pem: {why}"),
            TlsError::NoCertificate => f.write_str("no certificate in the pem"),
            TlsError::NoPrivateKey => f.write_str("no private key in the pem"),
            TlsError::NativeRoots(why) => write!(f, "cannot load the system's roots: {why}"),
            TlsError::Rustls(_) => f.write_str("tls settings refused"),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsError::Rustls(error) => Some(error),
            _ => None,
        }
    }
}

/// Why the server's certificate was refused, as [`ClientError::certificate`] tells it.
///
/// [`ClientError::certificate`]: crate::client::ClientError::certificate
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// Not issued by a trusted root (self-signed, or a private CA not added).
    UnknownIssuer,
    /// Not valid for the host name connected to.
    NotValidForName,
    /// Past its validity.
    Expired,
    /// Not valid yet.
    NotYetValid,
    /// Revoked.
    Revoked,
    /// Anything else rustls says is wrong with it (its source tells).
    Other,
}

impl CertificateProblem {
    /// The problem a TLS error stands for, if it is about the server's certificate.
    pub(crate) fn of(error: &io::Error) -> Option<CertificateProblem> {
        let error = error.get_ref()?.downcast_ref::<rustls::Error>()?;
        let rustls::Error::InvalidCertificate(problem) = error else {
            return None;
        };
        Some(match problem {
            rustls::CertificateError::UnknownIssuer => CertificateProblem::UnknownIssuer,
            rustls::CertificateError::NotValidForName
            | rustls::CertificateError::NotValidForNameContext { .. } => {
                CertificateProblem::NotValidForName
            }
            rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. } => {
                CertificateProblem::Expired
            }
            rustls::CertificateError::NotValidYet
            | rustls::CertificateError::NotValidYetContext { .. } => {
                CertificateProblem::NotYetValid
            }
            rustls::CertificateError::Revoked => CertificateProblem::Revoked,
            _ => CertificateProblem::Other,
        })
    }
}

/// Whether an error of a connection attempt came from TLS (the handshake, a certificate).
pub(crate) fn is_tls(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

/// The verifier of [`TlsConfig::danger_accept_invalid_certificates`]: any certificate goes,
/// but the handshake's signatures are still checked (the peer holds the key it shows).
#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The [`Connector`] of `https://` URLs on runtime `R`: TCP, with TLS for `https://` targets
/// (SNI, ALPN `http/1.1`, verified as its [`TlsConfig`] says), through the proxy and tunnel
/// a target names; `http://` targets get plain TCP. What [`EventSource::new`](crate::EventSource::new) uses, with the default
/// [`TlsConfig`].
pub struct TcpTls<R> {
    tls: futures_rustls::TlsConnector,
    runtime: core::marker::PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for TcpTls<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TcpTls")
    }
}

impl<R> Clone for TcpTls<R> {
    fn clone(&self) -> Self {
        TcpTls {
            tls: self.tls.clone(),
            runtime: core::marker::PhantomData,
        }
    }
}

impl<R> TcpTls<R> {
    /// A connector with these TLS settings (the roots are loaded now).
    ///
    /// # Errors
    ///
    /// [`TlsError`] for settings rustls refuses, or system roots that cannot be loaded.
    pub fn new(config: &TlsConfig) -> Result<Self, TlsError> {
        let config = Arc::new(config.client_config()?);
        Ok(TcpTls {
            tls: futures_rustls::TlsConnector::from(config),
            runtime: core::marker::PhantomData,
        })
    }
}

impl<R> TcpTls<R> {
    /// A connector with the default [`TlsConfig`], whose roots are loaded once per process.
    pub(crate) fn with_defaults() -> Result<Self, TlsError> {
        static DEFAULT: std::sync::OnceLock<Result<futures_rustls::TlsConnector, TlsError>> =
            std::sync::OnceLock::new();
        let tls = DEFAULT.get_or_init(|| {
            let config = TlsConfig::new().client_config()?;
            Ok(futures_rustls::TlsConnector::from(Arc::new(config)))
        });
        Ok(TcpTls {
            tls: tls.clone()?,
            runtime: core::marker::PhantomData,
        })
    }
}

impl<R: Runtime> Connector for TcpTls<R> {
    type Stream = MaybeTls<R::TcpStream>;

    fn connect(
        &self,
        target: &Target<'_>,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send + 'static {
        let secure = target.is_tls();
        let host = target.url.host.to_owned();
        let info = crate::proxy::TargetInfo::of(target);
        let tls = self.tls.clone();
        async move {
            let info = info?;
            let tcp =
                crate::proxy::connect(
                    &info,
                    |host, port| async move { R::connect(&host, port).await },
                )
                .await?;
            if !secure {
                return Ok(MaybeTls::Plain(tcp));
            }
            let name = ServerName::try_from(host)
                .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
            Ok(MaybeTls::Tls(Box::new(tls.connect(name, tcp).await?)))
        }
    }
}

/// A connection of a [`TcpTls`]: plain TCP for `http://`, TLS over it for `https://`.
#[derive(Debug)]
pub enum MaybeTls<S> {
    /// `http://`.
    Plain(S),
    /// `https://`.
    Tls(Box<futures_rustls::client::TlsStream<S>>),
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for MaybeTls<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_read(cx, buf),
            MaybeTls::Tls(io) => Pin::new(io).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for MaybeTls<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_write(cx, buf),
            MaybeTls::Tls(io) => Pin::new(io).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_flush(cx),
            MaybeTls::Tls(io) => Pin::new(io).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_close(cx),
            MaybeTls::Tls(io) => Pin::new(io).poll_close(cx),
        }
    }
}

/// A server's TLS identity (feature `tls`): its certificate chain and private key, for
/// [`Server::tls`](crate::server::Server::tls). TLS 1.2 and 1.3 with the ring provider, ALPN
/// `http/1.1`, no client certificate asked.
#[derive(Clone, Debug)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
}

impl ServerTls {
    /// The identity in `chain_pem` (the certificate, then its intermediates) and `key_pem`
    /// (PKCS #8, PKCS #1 or SEC1).
    ///
    /// # Errors
    ///
    /// [`TlsError::Pem`], [`TlsError::NoCertificate`], [`TlsError::NoPrivateKey`], or
    /// [`TlsError::Rustls`] for a key that does not match the certificate.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsError> {
        let chain = certificates(chain_pem)?;
        let key = private_key(key_pem)?;
        let provider = Arc::new(crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Rustls)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(TlsError::Rustls)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServerTls {
            config: Arc::new(config),
        })
    }

    pub(crate) fn acceptor(&self) -> futures_rustls::TlsAcceptor {
        futures_rustls::TlsAcceptor::from(self.config.clone())
    }
}
