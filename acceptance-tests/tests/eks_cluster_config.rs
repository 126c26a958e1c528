//! The EKS cluster's settings through Terraform 1.15.5 against the emulator's EKS, KMS and
//! CloudWatch Logs rules: secrets encryption with the environment's own key (created with
//! rotation and its alias, scheduled for deletion at destroy, adopted again by a re-create
//! within the waiting period) and with a key of the user's (turned on in place); the control
//! plane log group created with its retention before the cluster; the authentication mode
//! moved towards API in place and refused back at plan time; the upgrade policy changed in
//! place; drift of the retention restored; import rebuilding the settings (the own key
//! staying Mosia's); the next plan empty after each apply. Skips at an external endpoint.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{installed_core, Workdir, MOSIA_US_EAST_1_DEFAULT_TAGS};
use serde_json::{json, Value};

const PROVIDER: &str = MOSIA_US_EAST_1_DEFAULT_TAGS;

/// The settings a test varies.
struct Settings<'a> {
    tier: &'a str,
    mode: &'a str,
    support: &'a str,
    encryption: bool,
    /// `kms_key_arn`; None: the environment's own key.
    key: Option<&'a str>,
    retention: u32,
}

/// An environment with a cluster and nothing else of EKS (no add-ons, no node groups).
fn config(name: &str, cidr: &str, s: &Settings) -> String {
    let key = s
        .key
        .map(|k| format!("kms_key_arn = \"{k}\""))
        .unwrap_or_default();
    format!(
        r#"{PROVIDER}
resource "mosia_environment" "env" {{
  name = "{name}"
  tier = "{tier}"

  network {{
    cidr_block = "{cidr}"
    az_count   = 2
  }}

  eks {{
    version             = "1.33"
    addons              = []
    authentication_mode = "{mode}"
    support_type        = "{support}"
    secrets_encryption  = {encryption}
    log_retention_days  = {retention}
    {key}
  }}
}}
"#,
        tier = s.tier,
        mode = s.mode,
        support = s.support,
        encryption = s.encryption,
        retention = s.retention,
    )
}

/// Terraform wraps diagnostics: compare with every run of whitespace made one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn eks_state(tf: &Workdir) -> Value {
    let state = tf.state_json();
    state["values"]["root_module"]["resources"][0]["values"]["eks"].clone()
}

fn assert_empty_plan(tf: &Workdir, after: &str) {
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 0, "empty plan after {after}:\n{}", plan.stdout);
}

/// The in-place plan of one update: nothing destroyed.
fn assert_in_place(tf: &Workdir) {
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let text = squeeze(&plan.stdout);
    assert!(
        text.contains("0 to add, 1 to change, 0 to destroy"),
        "{text}"
    );
}

struct Aws {
    eks: aws_sdk_eks::Client,
    kms: aws_sdk_kms::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

impl Aws {
    async fn new(em: &Emulator) -> Aws {
        let cfg = em.sdk_config().await;
        Aws {
            eks: aws_sdk_eks::Client::new(&cfg),
            kms: aws_sdk_kms::Client::new(&cfg),
            logs: aws_sdk_cloudwatchlogs::Client::new(&cfg),
        }
    }

    async fn cluster(&self, name: &str) -> aws_sdk_eks::types::Cluster {
        let out = self.eks.describe_cluster().name(name).send().await.unwrap();
        out.cluster().unwrap().clone()
    }

    /// The key behind `alias`, None when the alias does not exist.
    async fn key(&self, alias: &str) -> Option<aws_sdk_kms::types::KeyMetadata> {
        let out = self.kms.describe_key().key_id(alias).send().await.ok()?;
        out.key_metadata().cloned()
    }

    /// `(retention, tags)` of the log group, None when it does not exist.
    async fn log_group(&self, group: &str) -> Option<(Option<i32>, Value)> {
        let out = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(group)
            .send()
            .await
            .unwrap();
        let g = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(group))?
            .clone();
        let arn = g.log_group_arn().map(str::to_string).unwrap_or_else(|| {
            g.arn()
                .unwrap_or_default()
                .trim_end_matches(":*")
                .to_string()
        });
        let tags = self
            .logs
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap()
            .tags()
            .cloned()
            .unwrap_or_default();
        Some((g.retention_in_days(), json!(tags)))
    }
}

/// Imports environment `name` into a new working directory holding `main_tf`; asserts the
/// plan after it is empty.
fn import(em: &Emulator, name: &str, main_tf: &str) -> Workdir {
    let mut adopter = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    adopter.set_env("MOSIA_POLL_SCALE", "0.01");
    adopter.write("main.tf", main_tf);
    adopter.ok(&["init", "-input=false"]);
    adopter.ok(&["import", "-input=false", "mosia_environment.env", name]);
    assert_empty_plan(&adopter, "the import");
    adopter
}

fn key_of(c: &aws_sdk_eks::types::Cluster) -> Option<String> {
    c.encryption_config()
        .iter()
        .find_map(|e| e.provider())
        .and_then(|p| p.key_arn())
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_environments_key_log_retention_authentication_mode_and_upgrade_policy() {
    let em = Emulator::start();
    if em
        .require_embedded("fault injection and the KMS rules")
        .is_none()
    {
        return;
    }
    let aws = Aws::new(&em).await;
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    let name = "mosia-eks-settings";
    let cluster = format!("{name}-eks");
    let alias = format!("alias/{name}");
    let group = format!("/aws/eks/{cluster}/cluster");
    // Staging's defaults for these settings, so that an import infers the tier. STANDARD
    // first: EKS moves a cluster to EXTENDED at any time, back only in standard support.
    let mut s = Settings {
        tier: "staging",
        mode: "API_AND_CONFIG_MAP",
        support: "STANDARD",
        encryption: true,
        key: None,
        retention: 30,
    };
    tf.write("main.tf", &config(name, "10.52.0.0/16", &s));
    tf.ok(&["init", "-input=false"]);

    // CreateCluster refused once: the log group, with its retention and Mosia's tags, was
    // already there (EKS never got to create one without retention).
    em.inject_fault(json!({
        "service": "eks", "operation": "CreateCluster", "count": 1,
        "error_code": "AccessDeniedException", "message": "injected: no CreateCluster yet",
    }));
    let failed = tf.expect(&["apply", "-auto-approve", "-input=false"], 1);
    assert!(
        failed.combined().contains("injected: no CreateCluster yet"),
        "{}",
        failed.combined()
    );
    assert_eq!(em.call_count("eks", "CreateCluster"), 1);
    let (retention, tags) = aws.log_group(&group).await.expect("the log group");
    assert_eq!(retention, Some(30));
    assert_eq!(tags["mosia:environment"], name, "{tags}");
    em.clear_faults();

    // The next apply resumes: the cluster encrypts with the environment's key.
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let key = aws.key(&alias).await.expect("the environment's key");
    assert_eq!(key.key_state().map(|s| s.as_str()), Some("Enabled"));
    assert_eq!(
        key.key_spec().map(|s| s.as_str()),
        Some("SYMMETRIC_DEFAULT")
    );
    let rotation = aws
        .kms
        .get_key_rotation_status()
        .key_id(key.key_id())
        .send()
        .await
        .unwrap();
    assert!(rotation.key_rotation_enabled(), "rotation on");
    let key_arn = key.arn().unwrap().to_string();
    let c = aws.cluster(&cluster).await;
    assert_eq!(key_of(&c).as_deref(), Some(key_arn.as_str()));
    let access = c.access_config().unwrap();
    assert_eq!(
        access.authentication_mode().map(|m| m.as_str()),
        Some("API_AND_CONFIG_MAP")
    );
    let eks = eks_state(&tf);
    assert_eq!(eks["kms_key_arn"], key_arn.as_str());
    let kubeconfig = eks["kubeconfig"].as_str().expect("a kubeconfig");
    assert!(
        kubeconfig.contains(c.endpoint().unwrap())
            && kubeconfig.contains("get-token")
            && kubeconfig.contains(&format!("\"{cluster}\"")),
        "{kubeconfig}"
    );
    let cluster_arn = c.arn().unwrap().to_string();
    assert_empty_plan(&tf, "the create");
    // Import rebuilds the settings: the environment's key stays Mosia's (part kms).
    let adopter = import(&em, name, &config(name, "10.52.0.0/16", &s));
    let imported = eks_state(&adopter);
    assert_eq!(imported["kms_key_arn"], key_arn.as_str());
    assert_eq!(imported["log_retention_days"], 30);
    let parts = adopter.state_json()["values"]["root_module"]["resources"][0]["values"]
        ["part_status"]
        .clone();
    assert_eq!(parts["kms"], "ready", "{parts}");

    // API, EXTENDED and 90 days: in place, the mode and policy through UpdateClusterConfig.
    s.mode = "API";
    s.support = "EXTENDED";
    s.retention = 90;
    tf.write("main.tf", &config(name, "10.52.0.0/16", &s));
    assert_in_place(&tf);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let c = aws.cluster(&cluster).await;
    assert_eq!(c.arn(), Some(cluster_arn.as_str()), "not replaced");
    assert_eq!(
        c.access_config()
            .and_then(|a| a.authentication_mode())
            .map(|m| m.as_str()),
        Some("API")
    );
    assert_eq!(
        c.upgrade_policy()
            .and_then(|u| u.support_type())
            .map(|t| t.as_str()),
        Some("EXTENDED")
    );
    assert_eq!(aws.log_group(&group).await.unwrap().0, Some(90));
    assert_empty_plan(&tf, "the in-place changes");

    // Back to API_AND_CONFIG_MAP: refused at plan time, with the reason.
    s.mode = "API_AND_CONFIG_MAP";
    tf.write("main.tf", &config(name, "10.52.0.0/16", &s));
    let refused = tf.expect(&["plan", "-input=false"], 1);
    let text = squeeze(&refused.combined());
    assert!(
        text.contains("Authentication mode cannot go back") && text.contains("only towards API"),
        "{text}"
    );
    s.mode = "API";
    tf.write("main.tf", &config(name, "10.52.0.0/16", &s));

    // Destroy: the key is scheduled for deletion (its alias stays with it), the log group goes.
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let key = aws.key(&alias).await.expect("the key, pending deletion");
    assert_eq!(key.key_state().map(|s| s.as_str()), Some("PendingDeletion"));
    assert!(aws.log_group(&group).await.is_none(), "log group deleted");

    // Created again within the waiting period: the same key comes back.
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let key = aws.key(&alias).await.unwrap();
    assert_eq!(key.arn(), Some(key_arn.as_str()), "adopted, not a new key");
    assert_eq!(key.key_state().map(|s| s.as_str()), Some("Enabled"));
    assert_eq!(
        key_of(&aws.cluster(&cluster).await).as_deref(),
        Some(key_arn.as_str())
    );
    assert_empty_plan(&tf, "the re-create");
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_encryption_turned_on_in_place_with_your_key() {
    let em = Emulator::start();
    if em.require_embedded("the KMS rules").is_none() {
        return;
    }
    let aws = Aws::new(&em).await;
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    let name = "mosia-eks-your-key";
    let cluster = format!("{name}-eks");
    let mine = aws
        .kms
        .create_key()
        .description("the team's key for EKS secrets")
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let mut s = Settings {
        tier: "dev",
        mode: "API_AND_CONFIG_MAP",
        support: "EXTENDED",
        encryption: false,
        key: None,
        retention: 7,
    };
    tf.write("main.tf", &config(name, "10.53.0.0/16", &s));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(key_of(&aws.cluster(&cluster).await), None);
    assert!(eks_state(&tf)["kms_key_arn"].is_null());
    assert_empty_plan(&tf, "the create");

    s.encryption = true;
    s.key = Some(&mine);
    tf.write("main.tf", &config(name, "10.53.0.0/16", &s));
    assert_in_place(&tf);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(em.call_count("eks", "AssociateEncryptionConfig"), 1);
    assert_eq!(
        key_of(&aws.cluster(&cluster).await).as_deref(),
        Some(mine.as_str())
    );
    assert_eq!(eks_state(&tf)["kms_key_arn"], mine.as_str());
    assert!(
        aws.key(&format!("alias/{name}")).await.is_none(),
        "no key of Mosia's"
    );
    assert_eq!(em.call_count("kms", "CreateKey"), 1, "only the test's own");
    assert_empty_plan(&tf, "turning encryption on");

    // Retention changed out of band: drift the plan shows and the apply restores.
    let group = format!("/aws/eks/{cluster}/cluster");
    aws.logs
        .put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(1)
        .send()
        .await
        .unwrap();
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    assert!(
        squeeze(&plan.stdout).contains("~ log_retention_days = 1 -> 7"),
        "{}",
        plan.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(aws.log_group(&group).await.unwrap().0, Some(7));
    assert_empty_plan(&tf, "restoring the retention");
    // Import rebuilds your key and the settings.
    let adopter = import(&em, name, &config(name, "10.53.0.0/16", &s));
    assert_eq!(eks_state(&adopter)["kms_key_arn"], mine.as_str());

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let yours = aws.kms.describe_key().key_id(&mine).send().await.unwrap();
    assert_eq!(
        yours
            .key_metadata()
            .and_then(|k| k.key_state())
            .map(|s| s.as_str()),
        Some("Enabled"),
        "your key is left alone"
    );
}
