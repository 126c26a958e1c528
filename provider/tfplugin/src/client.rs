//! A client that launches a provider binary exactly as a Terraform core does (magic
//! cookie, protocol list, AutoMTLS with an ECDSA P-521/SHA-512 client certificate), for
//! protocol tests and the start-up benchmark. Built only with the `client` feature.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint};

use crate::goplugin::grpc_controller_client::GrpcControllerClient;
use crate::proto::provider_client::ProviderClient;
use crate::serve::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};

/// A certificate and key, as Terraform generates them for AutoMTLS.
pub struct ClientIdentity {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    pub key_der: Vec<u8>,
}

/// ECDSA P-521 with SHA-512, `O=HashiCorp, CN=localhost`: what Terraform's go-plugin uses.
pub fn terraform_like_identity() -> Result<ClientIdentity, String> {
    use rcgen::{CertificateParams, DnType, KeyPair};
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).map_err(|e| e.to_string())?;
    let mut params =
        CertificateParams::new(vec!["localhost".to_string()]).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(DnType::OrganizationName, "HashiCorp");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok(ClientIdentity {
        cert_der: cert.der().to_vec(),
        cert_pem: cert.pem(),
        key_der: key.serialize_der(),
    })
}

/// The parsed handshake line `CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT`.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub line: String,
    pub app_protocol: u32,
    pub network: String,
    pub address: String,
    pub server_cert_der: Option<Vec<u8>>,
}

pub fn parse_handshake(line: &str) -> Result<Handshake, String> {
    use base64::Engine as _;
    let f: Vec<&str> = line.trim_end().split('|').collect();
    if f.len() < 5 || f[0] != "1" || f[4] != "grpc" {
        return Err(format!("not a go-plugin gRPC handshake line: {line:?}"));
    }
    let server_cert_der = match f.get(5) {
        Some(c) if !c.is_empty() => Some(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(c.trim_end_matches('='))
                .map_err(|e| format!("bad certificate field: {e}"))?,
        ),
        _ => None,
    };
    Ok(Handshake {
        line: line.trim_end().to_string(),
        app_protocol: f[1]
            .parse()
            .map_err(|_| format!("bad protocol field {:?}", f[1]))?,
        network: f[2].to_string(),
        address: f[3].to_string(),
        server_cert_der,
    })
}

pub struct LaunchOptions {
    /// Present a client certificate (AutoMTLS). Terraform always does.
    pub auto_mtls: bool,
    pub protocol_versions: String,
    pub env: Vec<(String, String)>,
    pub socket_dir: Option<PathBuf>,
    /// Where the plugin's stderr (its logs) goes; discarded when None.
    pub stderr_file: Option<PathBuf>,
    pub args: Vec<String>,
    pub timeout: Duration,
}

impl Default for LaunchOptions {
    fn default() -> Self {
        LaunchOptions {
            auto_mtls: true,
            protocol_versions: "5,6".into(),
            env: Vec::new(),
            socket_dir: None,
            stderr_file: None,
            args: Vec::new(),
            timeout: Duration::from_secs(20),
        }
    }
}

/// A running plugin process and the handshake it printed.
pub struct Launched {
    pub child: Child,
    pub handshake: Handshake,
    /// From spawn to the complete handshake line.
    pub time_to_handshake: Duration,
    pub identity: Option<ClientIdentity>,
}

pub async fn launch(binary: &Path, opts: &LaunchOptions) -> Result<Launched, String> {
    let identity = if opts.auto_mtls {
        Some(terraform_like_identity()?)
    } else {
        None
    };
    let mut cmd = Command::new(binary);
    cmd.args(&opts.args);
    cmd.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", &opts.protocol_versions)
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(dir) = &opts.socket_dir {
        cmd.env("PLUGIN_UNIX_SOCKET_DIR", dir).env("TMPDIR", dir);
    }
    if let Some(path) = &opts.stderr_file {
        let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        cmd.stderr(f);
    }
    if let Some(id) = &identity {
        cmd.env("PLUGIN_CLIENT_CERT", &id.cert_pem);
    }
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    match tokio::time::timeout(opts.timeout, reader.read_line(&mut line)).await {
        Ok(Ok(n)) if n > 0 => {}
        Ok(Ok(_)) => return Err("plugin exited before printing its handshake".into()),
        Ok(Err(e)) => return Err(format!("reading handshake: {e}")),
        Err(_) => return Err("no handshake line before the timeout".into()),
    }
    let time_to_handshake = start.elapsed();
    // Keep draining stdout so the plugin never blocks on a full pipe.
    tokio::spawn(async move {
        let mut sink = String::new();
        while reader
            .read_line(&mut sink)
            .await
            .map(|n| n > 0)
            .unwrap_or(false)
        {
            sink.clear();
        }
    });
    Ok(Launched {
        child,
        handshake: parse_handshake(&line)?,
        time_to_handshake,
        identity,
    })
}

/// Connects as Terraform does: TLS with our client certificate, trusting exactly the
/// server certificate from the handshake line.
pub async fn connect(h: &Handshake, identity: Option<&ClientIdentity>) -> Result<Channel, String> {
    let tls = match &h.server_cert_der {
        Some(server) => Some(tls_connector(server.clone(), identity)?),
        None => None,
    };
    let (network, address) = (h.network.clone(), h.address.clone());
    let endpoint = Endpoint::try_from("http://localhost")
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(10));
    endpoint
        .connect_with_connector(tower::service_fn(move |_| {
            let (network, address, tls) = (network.clone(), address.clone(), tls.clone());
            async move {
                let io: Box<dyn crate::serve::Io> = if network == "unix" {
                    Box::new(tokio::net::UnixStream::connect(&address).await?)
                } else {
                    Box::new(tokio::net::TcpStream::connect(&address).await?)
                };
                let io: Box<dyn crate::serve::Io> = match tls {
                    Some(c) => {
                        let name = ServerName::try_from("localhost").expect("static name");
                        Box::new(c.connect(name, io).await?)
                    }
                    None => io,
                };
                Ok::<_, std::io::Error>(TokioIo::new(io))
            }
        }))
        .await
        .map_err(|e| format!("gRPC connect: {e:?}"))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// TLS as Terraform's client does it: trust exactly `server_cert`, present `id` (or no
/// certificate at all, to check that the server refuses such a client).
pub fn tls_connector(
    server_cert: Vec<u8>,
    id: Option<&ClientIdentity>,
) -> Result<tokio_rustls::TlsConnector, String> {
    let p = provider();
    let builder = ClientConfig::builder_with_provider(p.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer {
            der: server_cert,
            algs: p.signature_verification_algorithms,
        }));
    let mut config = match id {
        Some(id) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(id.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
            )
            .map_err(|e| e.to_string())?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Trusts one certificate, as go-plugin's client does with the handshake's certificate.
#[derive(Debug)]
struct PinnedServer {
    der: Vec<u8>,
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(m, c, d, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(m, c, d, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// A connected plugin with typed clients.
pub struct Plugin {
    pub launched: Launched,
    pub channel: Channel,
}

impl Plugin {
    pub async fn start(binary: &Path, opts: &LaunchOptions) -> Result<Plugin, String> {
        let launched = launch(binary, opts).await?;
        let channel = connect(&launched.handshake, launched.identity.as_ref()).await?;
        Ok(Plugin { launched, channel })
    }
    pub fn provider(&self) -> ProviderClient<Channel> {
        ProviderClient::new(self.channel.clone())
    }
    pub fn controller(&self) -> GrpcControllerClient<Channel> {
        GrpcControllerClient::new(self.channel.clone())
    }
    pub fn health(&self) -> tonic_health::pb::health_client::HealthClient<Channel> {
        tonic_health::pb::health_client::HealthClient::new(self.channel.clone())
    }
    pub fn pid(&self) -> Option<u32> {
        self.launched.child.id()
    }
    /// Asks the plugin to shut down (as Terraform does) and waits for its exit status.
    pub async fn shutdown(mut self, wait: Duration) -> Result<std::process::ExitStatus, String> {
        let _ = self.controller().shutdown(crate::goplugin::Empty {}).await;
        match tokio::time::timeout(wait, self.launched.child.wait()).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => {
                let _ = self.launched.child.kill().await;
                Err("plugin did not exit after Shutdown".into())
            }
        }
    }
}

/// Peak resident memory (VmHWM) of a live process, in KiB, from /proc.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}
