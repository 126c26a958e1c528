//! `make release` (scripts/release.sh) and the provider mirrors it writes, through Terraform
//! 1.15.5: the archive, manifest, checksums and their GPG signature (a throwaway key made
//! with GnuPG) are what the registry protocol expects; `terraform init` installs the provider
//! from `dist/mirror` served over HTTPS on 127.0.0.1 (a certificate made here, trusted through
//! `SSL_CERT_FILE`) with no Rust toolchain on `PATH`, records the archive's hash in the lock
//! file, and the installed provider plans an environment; a tampered archive is refused.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use mosia_acceptance_tests::emulator::repo_root;
use mosia_acceptance_tests::terraform::{
    installed_core, provider_binary, Workdir, PROVIDER_VERSION,
};

const NAME: &str = "terraform-provider-mosia";

/// Runs `cmd`, panicking with its output unless it succeeds; returns stdout.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sha256_hex(path: &Path) -> String {
    let out = run(Command::new("sha256sum").arg(path));
    out.split_whitespace().next().unwrap().to_string()
}

/// A throwaway signing key in `home`; returns its fingerprint.
fn throwaway_key(home: &Path) -> String {
    std::fs::create_dir_all(home).unwrap();
    let gpg = || {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", home)
            .args(["--batch", "--passphrase", ""]);
        c
    };
    run(gpg().args([
        "--quick-gen-key",
        "Mosia Release Test <release-test@mosia.invalid>",
        "ed25519",
        "sign",
        "never",
    ]));
    let listing = run(gpg().args(["--list-secret-keys", "--with-colons"]));
    listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .expect("a fingerprint")
}

/// Serves `root` over HTTPS on 127.0.0.1 (stopped when dropped).
struct HttpsServer {
    child: Child,
    port: u16,
}

impl HttpsServer {
    fn start(root: &Path, cert: &Path, key: &Path) -> HttpsServer {
        let script = r#"
import functools, http.server, ssl, sys
root, cert, key = sys.argv[1:4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
        let mut child = Command::new("python3")
            .args(["-c", script])
            .args([root, cert, key])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the server prints its port");
        HttpsServer { child, port }
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed certificate for 127.0.0.1: (certificate, key).
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    (cert, key)
}

/// A working directory whose Terraform installs `mosia/mosia` from the network mirror only.
fn mirror_workdir(port: u16, cert: &Path) -> Workdir {
    // No AWS call happens: `init` only.
    let mut tf = Workdir::new(&installed_core("1.15.5"), "http://127.0.0.1:9");
    let cli = tf.dir.path().join("mirror.tfrc");
    std::fs::write(
        &cli,
        format!(
            "provider_installation {{\n  network_mirror {{\n    url     = \"https://127.0.0.1:{port}/\"\n    include = [\"registry.terraform.io/mosia/mosia\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/mosia/mosia\"]\n  }}\n}}\n"
        ),
    )
    .unwrap();
    tf.set_env("TF_CLI_CONFIG_FILE", &cli.display().to_string());
    tf.set_env("SSL_CERT_FILE", &cert.display().to_string());
    // As on a machine without Rust: no cargo, rustc or rustup on PATH.
    tf.set_env("PATH", &path_without_rust());
    tf.write(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    mosia = {{ source = \"mosia/mosia\", version = \"{PROVIDER_VERSION}\" }}\n  }}\n}}\n\n\
             provider \"mosia\" {{\n  region = \"us-east-1\"\n}}\n\n\
             resource \"mosia_environment\" \"this\" {{\n  name = \"mosia-mirror\"\n  tier = \"dev\"\n  network {{\n    cidr_block = \"10.64.0.0/16\"\n  }}\n}}\n"
        ),
    );
    tf
}

/// PATH without the directories that hold a Rust toolchain (cargo, rustc, rustup).
fn path_without_rust() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    let kept: Vec<&str> = path
        .split(':')
        .filter(|dir| {
            !["cargo", "rustc", "rustup"]
                .iter()
                .any(|tool| Path::new(dir).join(tool).exists())
        })
        .collect();
    kept.join(":")
}

#[test]
fn release_is_signed_and_its_mirror_installs_the_provider_over_https_without_rust() {
    let tmp = tempfile::tempdir().unwrap();
    let gnupg = tmp.path().join("gnupg");
    let key_id = throwaway_key(&gnupg);
    let dist = tmp.path().join("dist");
    run(Command::new("bash")
        .arg(repo_root().join("scripts/release.sh"))
        .arg(PROVIDER_VERSION)
        .env("DIST", &dist)
        .env("MOSIA_RELEASE_BINARY", provider_binary())
        .env("GPG_KEY_ID", &key_id)
        .env("GNUPGHOME", &gnupg));

    let file = |suffix: &str| dist.join(format!("{NAME}_{PROVIDER_VERSION}_{suffix}"));
    let archive = file("linux_amd64.zip");
    let listing = run(Command::new("unzip").arg("-Z1").arg(&archive));
    assert_eq!(listing.trim(), format!("{NAME}_v{PROVIDER_VERSION}"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );
    let sums = std::fs::read_to_string(file("SHA256SUMS")).unwrap();
    let zip_hash = sha256_hex(&archive);
    assert!(
        sums.contains(&format!(
            "{zip_hash}  {NAME}_{PROVIDER_VERSION}_linux_amd64.zip"
        )),
        "{sums}"
    );
    assert!(
        sums.contains(&format!("{NAME}_{PROVIDER_VERSION}_manifest.json")),
        "{sums}"
    );
    run(Command::new("gpg")
        .env("GNUPGHOME", &gnupg)
        .args(["--batch", "--verify"])
        .arg(file("SHA256SUMS.sig"))
        .arg(file("SHA256SUMS")));
    let fs_mirror = dist.join(format!(
        "fs-mirror/registry.terraform.io/mosia/mosia/{NAME}_{PROVIDER_VERSION}_linux_amd64.zip"
    ));
    assert_eq!(
        sha256_hex(&fs_mirror),
        zip_hash,
        "the filesystem mirror holds the archive"
    );

    // Served over HTTPS, the network mirror installs the provider, pinned in the lock file.
    let (cert, key) = certificate(tmp.path());
    let server = HttpsServer::start(&dist.join("mirror"), &cert, &key);
    let tf = mirror_workdir(server.port, &cert);
    tf.ok(&["init", "-input=false"]);
    // The installed provider plans (a create makes no AWS call), with no Rust around.
    let hidden = Command::new("sh")
        .args(["-c", "command -v cargo || command -v rustc"])
        .env("PATH", path_without_rust())
        .output()
        .unwrap();
    assert!(!hidden.status.success(), "Rust is hidden from the PATH");
    let plan = tf.ok(&["plan", "-input=false"]);
    assert!(
        plan.stdout.contains("1 to add") && plan.stdout.contains("estimated_monthly_cost_usd"),
        "{}",
        plan.stdout
    );
    let mirrored: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dist.join(format!(
            "mirror/registry.terraform.io/mosia/mosia/{PROVIDER_VERSION}.json"
        )))
        .unwrap(),
    )
    .unwrap();
    let hashes = &mirrored["archives"]["linux_amd64"]["hashes"];
    assert_eq!(hashes[1], format!("zh:{zip_hash}"));
    let h1 = hashes[0].as_str().unwrap();
    let lock = std::fs::read_to_string(tf.path().join(".terraform.lock.hcl")).unwrap();
    assert!(
        lock.contains(&format!("\"{h1}\"")),
        "the mirror's h1 {h1} is pinned:\n{lock}"
    );

    // A tampered archive no longer matches the mirror's hash: Terraform refuses it.
    let served = dist.join(format!(
        "mirror/registry.terraform.io/mosia/mosia/{NAME}_{PROVIDER_VERSION}_linux_amd64.zip"
    ));
    let mut bytes = std::fs::read(&served).unwrap();
    let last = bytes.len() - 30;
    bytes[last] ^= 0xff;
    std::fs::write(&served, bytes).unwrap();
    let tampered = mirror_workdir(server.port, &cert);
    let out = tampered.run(&["init", "-input=false"]);
    assert_ne!(
        out.code,
        0,
        "a tampered archive is installed:\n{}",
        out.combined()
    );
    assert!(
        out.combined().to_lowercase().contains("checksum"),
        "{}",
        out.combined()
    );
}

#[test]
fn release_refuses_a_version_the_binary_does_not_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(repo_root().join("scripts/release.sh"))
        .arg("9.9.9")
        .env("DIST", tmp.path().join("dist"))
        .env("MOSIA_RELEASE_BINARY", provider_binary())
        .env("MOSIA_RELEASE_UNSIGNED", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("reports '{NAME} {PROVIDER_VERSION}'")),
        "{err}"
    );
}
