//! Protocol tests: launch the real provider binary exactly as Terraform does (magic cookie,
//! protocol list, AutoMTLS with an ECDSA P-521/SHA-512 client certificate) and talk gRPC.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mosia_tfplugin::client::{self, LaunchOptions, Plugin};
use mosia_tfplugin::proto;

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-mosia"))
}

fn opts(dir: &Path) -> LaunchOptions {
    LaunchOptions {
        socket_dir: Some(dir.to_path_buf()),
        ..Default::default()
    }
}

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn terraform_style_handshake_serves_schema_health_and_shuts_down() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = Plugin::start(&binary(), &opts(dir.path()))
        .await
        .expect("start");
    let h = &plugin.launched.handshake;
    assert_eq!(h.app_protocol, 6, "{}", h.line);
    assert_eq!(h.network, "unix");
    assert!(
        h.server_cert_der.is_some(),
        "AutoMTLS: the 6th field carries our certificate"
    );
    assert!(
        !h.line.ends_with('='),
        "certificate is base64 without padding"
    );

    // The socket lives in a private directory under PLUGIN_UNIX_SOCKET_DIR.
    let sock_dir = Path::new(&h.address).parent().unwrap().to_path_buf();
    assert!(sock_dir.starts_with(dir.path()));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&sock_dir).unwrap().permissions().mode() & 0o777,
        0o700
    );

    let health = plugin
        .health()
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    let schema = plugin
        .provider()
        .get_provider_schema(proto::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.resource_schemas.contains_key("mosia_state_backend"));
    assert!(
        schema
            .server_capabilities
            .unwrap()
            .get_provider_schema_optional
    );
    let block = schema.resource_schemas["mosia_state_backend"]
        .block
        .clone()
        .unwrap();
    assert!(
        block.attributes.iter().all(|a| !a.description.is_empty()),
        "every attribute documented"
    );

    let status = plugin.shutdown(WAIT).await.expect("graceful exit");
    assert!(status.success(), "exit status {status:?}");
    assert!(!sock_dir.exists(), "socket directory removed on shutdown");
}

#[tokio::test]
async fn client_without_terraforms_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let launched = client::launch(&binary(), &opts(dir.path()))
        .await
        .expect("start");
    // No client certificate at all.
    let refused = async {
        let ch = client::connect(&launched.handshake, None).await?;
        proto::provider_client::ProviderClient::new(ch)
            .get_provider_schema(proto::get_provider_schema::Request {})
            .await
            .map_err(|e| e.to_string())
            .map(|_| ())
    }
    .await;
    assert!(
        refused.is_err(),
        "a client without a certificate must not get an answer"
    );
    // A different P-521 certificate than the one Terraform announced.
    let stranger = client::terraform_like_identity().unwrap();
    let refused = async {
        let ch = client::connect(&launched.handshake, Some(&stranger)).await?;
        proto::provider_client::ProviderClient::new(ch)
            .get_provider_schema(proto::get_provider_schema::Request {})
            .await
            .map_err(|e| e.to_string())
            .map(|_| ())
    }
    .await;
    assert!(
        refused.is_err(),
        "a client with another certificate must not get an answer"
    );
    // The announced certificate still works afterwards.
    let ch = client::connect(&launched.handshake, launched.identity.as_ref())
        .await
        .unwrap();
    proto::provider_client::ProviderClient::new(ch)
        .get_provider_schema(proto::get_provider_schema::Request {})
        .await
        .expect("Terraform's own certificate is accepted");
}

#[test]
fn started_by_hand_it_explains_and_exits_nonzero() {
    let out = std::process::Command::new(binary())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("This binary is a plugin"), "{err}");
    assert!(err.contains("--debug"), "points to debug mode: {err}");
    assert!(
        out.stdout.is_empty(),
        "nothing that looks like a handshake on stdout"
    );
}

#[test]
fn refuses_a_core_that_only_speaks_protocol_5() {
    let out = std::process::Command::new(binary())
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            mosia_tfplugin::serve::MAGIC_COOKIE_VALUE,
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[tokio::test]
async fn falls_back_to_tcp_in_the_allowed_port_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path());
    // A socket directory that cannot be created forces the TCP fallback.
    o.env.push((
        "PLUGIN_UNIX_SOCKET_DIR".into(),
        "/proc/mosia-no-such-dir".into(),
    ));
    o.env.push(("PLUGIN_MIN_PORT".into(), "21300".into()));
    o.env.push(("PLUGIN_MAX_PORT".into(), "21399".into()));
    o.socket_dir = None;
    let plugin = Plugin::start(&binary(), &o).await.expect("start over tcp");
    let h = &plugin.launched.handshake;
    assert_eq!(h.network, "tcp", "{}", h.line);
    let port: u16 = h.address.rsplit(':').next().unwrap().parse().unwrap();
    assert!((21300..=21399).contains(&port), "{}", h.address);
    assert!(h.address.starts_with("127.0.0.1:"));
    plugin
        .provider()
        .get_provider_schema(proto::get_provider_schema::Request {})
        .await
        .unwrap();
    plugin.shutdown(WAIT).await.unwrap();
}

#[tokio::test]
async fn rpcs_not_advertised_answer_unimplemented() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = Plugin::start(&binary(), &opts(dir.path())).await.unwrap();
    let mut grpc = tonic::client::Grpc::new(plugin.channel.clone());
    grpc.ready().await.unwrap();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/tfplugin6.Provider/OpenEphemeralResource",
    );
    let res: Result<tonic::Response<proto::get_functions::Response>, tonic::Status> = grpc
        .unary(
            tonic::Request::new(proto::get_functions::Request {}),
            path,
            tonic_prost::ProstCodec::default(),
        )
        .await;
    assert_eq!(res.unwrap_err().code(), tonic::Code::Unimplemented);
    plugin.shutdown(WAIT).await.unwrap();
}

#[tokio::test]
async fn malformed_values_get_diagnostics_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = Plugin::start(&binary(), &opts(dir.path())).await.unwrap();
    let mut p = plugin.provider();
    for garbage in [
        vec![0xc1],
        vec![0x81, 0xa6, b'b', b'u', b'c'],
        vec![0xdf, 0xff, 0xff, 0xff, 0xff],
    ] {
        let res = p
            .validate_resource_config(proto::validate_resource_config::Request {
                type_name: "mosia_state_backend".into(),
                config: Some(proto::DynamicValue {
                    msgpack: garbage,
                    json: vec![],
                }),
                client_capabilities: None,
            })
            .await
            .expect("answered")
            .into_inner();
        assert_eq!(res.diagnostics.len(), 1);
        assert_eq!(
            res.diagnostics[0].severity,
            proto::diagnostic::Severity::Error as i32
        );
        assert!(
            res.diagnostics[0].summary.contains("Invalid"),
            "{:?}",
            res.diagnostics[0]
        );
    }
    // Still alive and serving.
    p.get_provider_schema(proto::get_provider_schema::Request {})
        .await
        .unwrap();
    plugin.shutdown(WAIT).await.unwrap();
}

#[tokio::test]
async fn validation_diagnostics_carry_attribute_paths() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = Plugin::start(&binary(), &opts(dir.path())).await.unwrap();
    // {"bucket": "Bad_Name", "noncurrent_version_expiration_days": 0}: other attributes null.
    let mut buf = Vec::new();
    rmp::encode::write_map_len(&mut buf, 2).unwrap();
    rmp::encode::write_str(&mut buf, "bucket").unwrap();
    rmp::encode::write_str(&mut buf, "Bad_Name").unwrap();
    rmp::encode::write_str(&mut buf, "noncurrent_version_expiration_days").unwrap();
    rmp::encode::write_sint(&mut buf, 0).unwrap();
    let res = plugin
        .provider()
        .validate_resource_config(proto::validate_resource_config::Request {
            type_name: "mosia_state_backend".into(),
            config: Some(proto::DynamicValue {
                msgpack: buf,
                json: vec![],
            }),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let paths: Vec<String> = res
        .diagnostics
        .iter()
        .map(|d| match &d.attribute.as_ref().unwrap().steps[0].selector {
            Some(proto::attribute_path::step::Selector::AttributeName(n)) => n.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        paths,
        vec!["bucket", "noncurrent_version_expiration_days"],
        "{:?}",
        res.diagnostics
    );
    assert!(
        res.diagnostics[0].detail.contains("lowercase"),
        "says what is allowed: {}",
        res.diagnostics[0].detail
    );
    assert!(
        res.diagnostics[1].detail.contains("1 to 3650"),
        "{}",
        res.diagnostics[1].detail
    );
    plugin.shutdown(WAIT).await.unwrap();
}

#[tokio::test]
async fn stop_provider_answers_and_logs_are_hclog_json() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let mut o = opts(dir.path());
    o.env.push(("TF_LOG".into(), "DEBUG".into()));
    o.stderr_file = Some(log.clone());
    let plugin = Plugin::start(&binary(), &o).await.unwrap();
    let res = plugin
        .provider()
        .stop_provider(proto::stop_provider::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(res.error, "");
    plugin.shutdown(WAIT).await.unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert!(!lines.is_empty(), "TF_LOG=DEBUG produces log lines");
    for l in &lines {
        assert!(
            l["@level"].is_string() && l["@message"].is_string() && l["@timestamp"].is_string(),
            "{l}"
        );
    }
    assert!(lines
        .iter()
        .any(|l| l["@message"].as_str().unwrap().contains("StopProvider")));
}

#[tokio::test]
async fn debug_mode_prints_a_reattach_value() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(binary())
        .arg("--debug")
        .env("TMPDIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let reattach = tokio::time::timeout(WAIT, async {
        while let Some(l) = lines.next_line().await.unwrap() {
            if let Some(rest) = l.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
                return rest.trim_end_matches('\'').to_string();
            }
        }
        panic!("no TF_REATTACH_PROVIDERS line");
    })
    .await
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&reattach).unwrap();
    let entry = &v["registry.terraform.io/mosia/mosia"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Addr"]["Network"], "unix");
    assert!(Path::new(entry["Addr"]["String"].as_str().unwrap()).exists());
    child.kill().await.unwrap();
}
