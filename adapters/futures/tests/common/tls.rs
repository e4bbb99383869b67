//! Certificates made at test time and a TLS server that answers each request head with
//! canned bytes.

use std::net::SocketAddr;
use std::sync::Arc;

use futures_lite::AsyncWriteExt;
use futures_rustls::pki_types::pem::PemObject;
use futures_rustls::pki_types::{CertificateDer, PrivateKeyDer};
use futures_rustls::rustls::server::WebPkiClientVerifier;
use futures_rustls::rustls::{self, RootCertStore, ServerConfig};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use ssewire_futures::client::TlsConfig;

use super::Rt;

/// A CA made for one test.
pub(crate) struct Ca {
    pub(crate) issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, in PEM.
pub(crate) struct Pem {
    pub(crate) cert: String,
    pub(crate) key: String,
}

impl Ca {
    pub(crate) fn new() -> Ca {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        Ca {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    pub(crate) fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A client setting that trusts this CA alone.
    pub(crate) fn trusted(&self) -> TlsConfig {
        TlsConfig::new()
            .mozilla_roots(false)
            .root_pem(self.pem().as_bytes())
            .unwrap()
    }

    /// A certificate for `names`, signed by this CA; valid now, or only in 2020 if `expired`.
    pub(crate) fn issue(&self, names: &[&str], expired: bool) -> Pem {
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 12, 31);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Pem {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS server on loopback showing `identity`; with `clients`, it asks for a client
/// certificate issued by that CA. Each connection gets `answer` after its request head, and
/// is then closed.
pub(crate) fn server<R: Rt>(identity: &Pem, clients: Option<&Ca>, answer: String) -> SocketAddr {
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(identity.cert.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_slice(identity.key.as_bytes()).unwrap();
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match clients {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.issuer.der().clone()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder.with_single_cert(chain, key).unwrap();
    let acceptor = futures_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = R::listener(listener).unwrap();
    R::spawn(async move {
        loop {
            let Ok((tcp, _)) = R::accept(&listener).await else {
                return;
            };
            let (acceptor, answer) = (acceptor.clone(), answer.clone());
            R::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if super::read_head(&mut tls).await.is_err() {
                    return;
                }
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.close().await;
            });
        }
    });
    addr
}
