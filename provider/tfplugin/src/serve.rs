//! The go-plugin side: magic cookie, protocol negotiation, listener, AutoMTLS, the
//! handshake line, health/controller/stdio services, graceful shutdown, debug mode.

use std::io::Write as _;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, Notify};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

use crate::goplugin;
use crate::grpc::ProviderService;
use crate::resource::Provider;
use crate::tls;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
pub const PROTOCOL_VERSION: u32 = 6;

/// Why serving could not start; printed to stderr, exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins, which will\n\
         load any plugins automatically.\n\n\
         (terraform-provider-mosia is started by Terraform. To run it by hand for debugging,\n\
         use `--debug` and set the TF_REATTACH_PROVIDERS value it prints.)"
    )]
    NotLaunchedByTerraform,
    #[error("Terraform offered plugin protocol versions {0:?}; this provider speaks only protocol 6 (Terraform 1.0 or newer)")]
    UnsupportedProtocol(String),
    #[error("cannot listen: {0}")]
    Listen(std::io::Error),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Entry point for a provider binary: parses `--debug`, serves, returns the exit code.
pub fn main(
    provider: impl Provider,
    log_module: &'static str,
    version: &'static str,
) -> std::process::ExitCode {
    crate::logging::init(log_module);
    tracing::info!(version, "provider starting");
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async move {
        let provider: Arc<dyn Provider> = Arc::new(provider);
        if debug {
            serve_debug(provider).await
        } else {
            serve(provider).await
        }
    });
    // Do not wait for stray blocking tasks (e.g. a stuck AWS call) once the server is done.
    runtime.shutdown_background();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn negotiate_protocol() -> Result<(), ServeError> {
    match std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        Ok(list) if !list.trim().is_empty() => {
            if list
                .split(',')
                .any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION))
            {
                Ok(())
            } else {
                Err(ServeError::UnsupportedProtocol(list))
            }
        }
        _ => Ok(()),
    }
}

/// Serves Terraform: the normal path, started by a Terraform core.
pub async fn serve(provider: Arc<dyn Provider>) -> Result<(), ServeError> {
    if std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotLaunchedByTerraform);
    }
    negotiate_protocol()?;
    let tls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.trim().is_empty() => Some(tls::server_tls(tls::pem_to_der(&pem)?)?),
        _ => None,
    };
    let listener = Listener::bind()?;
    let cert_field = tls
        .as_ref()
        .map(|t| t.handshake_cert_field())
        .unwrap_or_default();
    let line = format!(
        "1|{PROTOCOL_VERSION}|{}|{}|grpc|{cert_field}\n",
        listener.network(),
        listener.address()
    );
    {
        let mut out = std::io::stdout().lock();
        out.write_all(line.as_bytes()).map_err(ServeError::Listen)?;
        out.flush().map_err(ServeError::Listen)?;
    }
    tracing::debug!(address = %listener.address(), tls = tls.is_some(), "plugin server listening");
    let acceptor = tls.map(|t| tokio_rustls::TlsAcceptor::from(t.config));
    run(provider, listener, acceptor, false).await
}

/// `--debug`: serve without Terraform launching us and print TF_REATTACH_PROVIDERS.
pub async fn serve_debug(provider: Arc<dyn Provider>) -> Result<(), ServeError> {
    let listener = Listener::bind()?;
    let reattach = serde_json::json!({
        provider.address(): {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": listener.network(), "String": listener.address() }
        }
    });
    println!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\
         \tTF_REATTACH_PROVIDERS='{reattach}'\n\nPress Ctrl-C to stop."
    );
    let _ = std::io::stdout().flush();
    run(provider, listener, None, true).await
}

async fn run(
    provider: Arc<dyn Provider>,
    listener: Listener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    stop_on_interrupt: bool,
) -> Result<(), ServeError> {
    let shutdown = Arc::new(Notify::new());
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    // Terraform sends SIGINT to the whole process group on Ctrl-C and then asks us to stop
    // through StopProvider; like go-plugin, ignore the signal itself (unless debugging).
    let on_interrupt = shutdown.clone();
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if stop_on_interrupt {
                on_interrupt.notify_one();
                break;
            }
            tracing::debug!("interrupt received; waiting for Terraform's StopProvider");
        }
    });

    let socket_dir = listener.private_dir.clone();
    let incoming = listener.incoming(acceptor);
    let wait = shutdown.clone();
    let result = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(goplugin::grpc_controller_server::GrpcControllerServer::new(
            Controller {
                shutdown: shutdown.clone(),
            },
        ))
        .add_service(goplugin::grpc_stdio_server::GrpcStdioServer::new(Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(crate::proto::provider_server::ProviderServer::new(
            ProviderService::new(provider),
        ))
        .serve_with_incoming_shutdown(incoming, async move { wait.notified().await })
        .await;
    if let Some(dir) = socket_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    result.map_err(ServeError::from)
}

struct Controller {
    shutdown: Arc<Notify>,
}

#[tonic::async_trait]
impl goplugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _req: Request<goplugin::Empty>,
    ) -> Result<Response<goplugin::Empty>, Status> {
        tracing::debug!("shutdown requested by Terraform");
        // notify_one stores a permit, so the server stops even if it is not waiting yet;
        // it stops after this answer has been sent (graceful shutdown).
        self.shutdown.notify_one();
        Ok(Response::new(goplugin::Empty {}))
    }
}

struct Stdio {
    shutdown: Arc<Notify>,
}

#[tonic::async_trait]
impl goplugin::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream =
        Pin<Box<dyn futures::Stream<Item = Result<goplugin::StdioData, Status>> + Send + 'static>>;

    /// Logs go to stderr directly, so this stream carries nothing; it stays open until the
    /// plugin shuts down, as go-plugin expects.
    async fn stream_stdio(
        &self,
        _req: Request<goplugin::Empty>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        let _ = &self.shutdown;
        Ok(Response::new(Box::pin(futures::stream::pending())))
    }
}

/// A unix socket in a private (0700) directory, or TCP on 127.0.0.1 as a fallback.
struct Listener {
    kind: ListenerKind,
    address: String,
    private_dir: Option<PathBuf>,
}

enum ListenerKind {
    Unix(tokio::net::UnixListener),
    Tcp(tokio::net::TcpListener),
}

impl Listener {
    fn bind() -> Result<Listener, ServeError> {
        match Self::bind_unix() {
            Ok(l) => Ok(l),
            Err(e) => {
                tracing::warn!(error = %e, "unix socket unavailable, falling back to TCP");
                Self::bind_tcp()
            }
        }
    }

    fn bind_unix() -> std::io::Result<Listener> {
        use std::os::unix::fs::DirBuilderExt;
        let base = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
            .or_else(|| std::env::var_os("TMPDIR"))
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let dir = base.join(format!("mosia-plugin-{}-{nanos:x}", std::process::id()));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        let path = dir.join("plugin.sock");
        match tokio::net::UnixListener::bind(&path) {
            Ok(l) => Ok(Listener {
                kind: ListenerKind::Unix(l),
                address: path.to_string_lossy().into_owned(),
                private_dir: Some(dir),
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }

    fn bind_tcp() -> Result<Listener, ServeError> {
        let min: u16 = env_port("PLUGIN_MIN_PORT").unwrap_or(10000);
        let max: u16 = env_port("PLUGIN_MAX_PORT").unwrap_or(25000);
        let mut last = None;
        for port in min..=max {
            match std::net::TcpListener::bind(("127.0.0.1", port)) {
                Ok(l) => {
                    l.set_nonblocking(true).map_err(ServeError::Listen)?;
                    let l = tokio::net::TcpListener::from_std(l).map_err(ServeError::Listen)?;
                    return Ok(Listener {
                        kind: ListenerKind::Tcp(l),
                        address: format!("127.0.0.1:{port}"),
                        private_dir: None,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(ServeError::Listen(last.unwrap_or_else(|| {
            std::io::Error::other("empty port range")
        })))
    }

    fn network(&self) -> &'static str {
        match self.kind {
            ListenerKind::Unix(_) => "unix",
            ListenerKind::Tcp(_) => "tcp",
        }
    }

    fn address(&self) -> &str {
        &self.address
    }

    /// Accepted connections, TLS-wrapped when an acceptor is given. Handshakes run in their
    /// own tasks so that one slow or hostile client cannot block the others; failures
    /// (e.g. a client without Terraform's certificate) are logged and dropped.
    fn incoming(
        self,
        acceptor: Option<tokio_rustls::TlsAcceptor>,
    ) -> ReceiverStream<Result<Conn, std::io::Error>> {
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            loop {
                let accepted: std::io::Result<Box<dyn Io>> = match &self.kind {
                    ListenerKind::Unix(l) => {
                        l.accept().await.map(|(s, _)| Box::new(s) as Box<dyn Io>)
                    }
                    ListenerKind::Tcp(l) => l.accept().await.map(|(s, _)| {
                        let _ = s.set_nodelay(true);
                        Box::new(s) as Box<dyn Io>
                    }),
                };
                let stream = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let tx = tx.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let conn = match acceptor {
                        None => Conn(stream),
                        Some(a) => match a.accept(stream).await {
                            Ok(tls) => Conn(Box::new(tls)),
                            Err(e) => {
                                tracing::warn!(error = %e, "TLS handshake refused");
                                return;
                            }
                        },
                    };
                    let _ = tx.send(Ok(conn)).await;
                });
            }
        });
        ReceiverStream::new(rx)
    }
}

fn env_port(key: &str) -> Option<u16> {
    std::env::var(key).ok()?.trim().parse().ok()
}

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// One accepted connection (plain or TLS), as tonic wants it.
pub struct Conn(Box<dyn Io>);

impl Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
