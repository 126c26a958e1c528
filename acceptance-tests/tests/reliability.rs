//! A transient error costs time, never the apply: bursts of throttling and 5xx answers on
//! the describe and list calls of an environment's apply (injected by the emulator) are
//! ridden out by the SDK's retries (`max_retries`, 25 attempts by default) and, when those
//! run out inside a wait, by the wait polling on. Before, the SDK gave up after 5 attempts
//! and the part failed (IAM `ListOpenIDConnectProviders`, MSK `DescribeClusterV2`).

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::owned::owned_objects;
use mosia_acceptance_tests::terraform::{installed_core, Workdir, MOSIA_US_EAST_1};
use serde_json::json;

/// Network, an EKS cluster with a node group (and its IAM OIDC provider), an MSK cluster.
fn environment(provider: &str, name: &str) -> String {
    format!(
        r#"{provider}
resource "mosia_environment" "dev" {{
  name = "{name}"
  tier = "dev"

  network {{
    cidr_block = "10.50.0.0/16"
    az_count   = 2
  }}

  eks {{
    version = "1.31"
    node_group "general" {{
      instance_types = ["m6i.large"]
      min_size       = 1
      max_size       = 2
      desired_size   = 1
    }}
  }}

  msk {{
    kafka_version = "3.6.0"
  }}
}}
"#
    )
}

/// Applies `config` once (it must succeed the first time), checks that every injected fault
/// was met, that a second plan is empty and that destroy leaves nothing owned.
async fn first_apply_succeeds(em: &Emulator, config: &str, name: &str, faults: u64) {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", config);
    tf.ok(&["init", "-input=false"]);
    em.clear_call_counts();
    let out = tf.run(&["apply", "-auto-approve", "-input=false"]);
    let calls = em.call_counts();
    assert_eq!(
        out.code,
        0,
        "the first apply failed under the faults\n--- calls\n{calls}\n--- output\n{}",
        out.combined()
    );
    assert_eq!(
        calls["faulted"], faults,
        "every injected fault was met: {calls}"
    );
    assert_eq!(tf.plan_exit().code, 0, "second plan empty");
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let left = owned_objects(&em.sdk_config().await, name).await;
    assert!(left.is_empty(), "objects left after destroy: {left:?}");
}

/// Eight throttling or 5xx answers in a row on four describe/list calls of the apply (more
/// than the 5 attempts the provider used to make): each call retries through its burst.
#[tokio::test(flavor = "multi_thread")]
async fn bursts_of_throttling_and_5xx_on_describe_calls_cost_time_not_the_apply() {
    let em = Emulator::start();
    let Some(em) = em.require_embedded("fault injection") else {
        return;
    };
    let name = "mosia-acc-burst";
    for fault in [
        json!({"service": "iam", "operation": "ListOpenIDConnectProviders", "count": 8,
               "error_code": "Throttling", "message": "Rate exceeded"}),
        json!({"service": "kafka", "operation": "DescribeClusterV2", "count": 8,
               "error_code": "ServiceUnavailableException", "http_status": 503}),
        json!({"service": "eks", "operation": "DescribeCluster", "count": 8,
               "error_code": "ThrottlingException", "http_status": 429}),
        json!({"service": "ec2", "operation": "DescribeVpcs", "count": 8,
               "error_code": "RequestLimitExceeded"}),
    ] {
        em.inject_fault(fault);
    }
    let config = environment(MOSIA_US_EAST_1, name);
    first_apply_succeeds(em, &config, name, 32).await;
}

/// With `max_retries = 2`, six 503s on MSK `DescribeClusterV2` outlast the SDK's attempts on
/// three polls of the wait for ACTIVE: the wait polls on and the apply succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn a_wait_polls_on_when_the_sdk_attempts_run_out() {
    let em = Emulator::start();
    let Some(em) = em.require_embedded("fault injection") else {
        return;
    };
    let name = "mosia-acc-waitburst";
    em.inject_fault(
        json!({"service": "kafka", "operation": "DescribeClusterV2", "count": 6,
                           "error_code": "InternalServerErrorException", "http_status": 500}),
    );
    let provider = MOSIA_US_EAST_1.replace(
        "region = \"us-east-1\"",
        "region      = \"us-east-1\"\n  max_retries = 2",
    );
    assert!(provider.contains("max_retries = 2"), "{provider}");
    let config = environment(&provider, name);
    first_apply_succeeds(em, &config, name, 6).await;
}
