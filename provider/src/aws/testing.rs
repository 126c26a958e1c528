//! Unit-test support for the parts: a [`PartEnv`] whose SDK clients answer from
//! `aws-smithy-mocks` rules instead of AWS, so each part's adopt / create / converge /
//! delete decisions run in milliseconds.
//!
//! ```ignore
//! use aws_smithy_mocks::{mock, RuleMode};
//! let describe = mock!(aws_sdk_eks::Client::describe_cluster).then_output(|| ...);
//! let env = testing::env(AwsContext::offline().with_eks(mock_client!(aws_sdk_eks, [&describe])));
//! assert_eq!(describe.num_calls(), 1);
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use mosia_tfplugin::{CancellationToken, Context};

use super::network::NetworkState;
use super::part::PartEnv;
use super::AwsContext;

/// A client of `$krate` that answers from the given `aws-smithy-mocks` rules (a list, or
/// `rules: slice`; `RuleMode::MatchAny`), with test credentials and region us-east-1; no
/// request leaves the process. It retries as the SDK does by default (standard mode, 3
/// attempts); `retrying: &settings` gives it the provider's retry configuration instead
/// (`aws::config::retry_config` at full scale, `retry_partition`), for tests of how calls
/// ride out throttling (run them with `#[tokio::test(start_paused = true)]`: the backoff
/// then costs no real time).
#[macro_export]
macro_rules! mock_client {
    ($krate:ident, [$($rule:expr),* $(,)?]) => {
        $crate::mock_client!($krate, rules: &[$($rule),*])
    };
    ($krate:ident, rules: $rules:expr) => {
        $crate::mock_client!(@build $krate, $rules, |b| b)
    };
    ($krate:ident, retrying: $settings:expr, [$($rule:expr),* $(,)?]) => {
        $crate::mock_client!(@build $krate, &[$($rule),*], |b: $krate::config::Builder| {
            b.retry_config($crate::aws::config::retry_config($settings, 1.0))
                .retry_partition($crate::aws::config::retry_partition(stringify!($krate)))
        })
    };
    (@build $krate:ident, $rules:expr, $configure:expr) => {{
        let mut interceptor = ::aws_smithy_mocks::MockResponseInterceptor::new()
            .rule_mode(::aws_smithy_mocks::RuleMode::MatchAny);
        for rule in $rules {
            interceptor = interceptor.with_rule(rule);
        }
        let builder = $krate::Config::builder()
            .behavior_version($krate::config::BehaviorVersion::latest())
            .region($krate::config::Region::new("us-east-1"))
            .credentials_provider(::aws_credential_types::Credentials::new(
                "AKIDTEST", "secret", None, None, "unit-test",
            ))
            .http_client(::aws_smithy_mocks::create_mock_http_client())
            .interceptor(interceptor);
        let configure = $configure;
        $krate::Client::from_conf(configure(builder).build())
    }};
}

/// The environment `mosia-test` with one user tag (`team = platform`), no deadline. Its
/// prior state's `tags_all` had `team` and `stale` (a tag since removed from the
/// configuration, which a tag sync removes).
pub fn env(aws: AwsContext) -> PartEnv {
    PartEnv {
        aws: Arc::new(aws),
        name: "mosia-test".into(),
        tags: BTreeMap::from([("team".to_string(), "platform".to_string())]),
        previous_tag_keys: ["team", "stale"].iter().map(|k| k.to_string()).collect(),
        ctx: Context::new(CancellationToken::new()),
        deadline: None,
    }
}

/// A network of `azs` AZs (`us-east-1a`, ...; private subnets `subnet-a`, ...) in VPC
/// `vpc-1` with the given security groups (key → id), as a part receives it.
pub fn network(azs: usize, security_groups: &[(&str, &str)]) -> NetworkState {
    let letters = ["a", "b", "c", "d", "e", "f"];
    NetworkState {
        vpc_id: "vpc-1".into(),
        cidr_block: "10.0.0.0/16".into(),
        availability_zones: letters[..azs]
            .iter()
            .map(|z| format!("us-east-1{z}"))
            .collect(),
        private_subnet_ids: letters[..azs]
            .iter()
            .map(|z| format!("subnet-{z}"))
            .collect(),
        public_subnet_ids: vec![],
        security_group_ids: security_groups
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        internet_gateway_id: None,
        nat_gateway_ids: vec![],
        managed: true,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_eks::operation::describe_cluster::{DescribeClusterError, DescribeClusterOutput};
    use aws_sdk_eks::types::error::ResourceNotFoundException;
    use aws_sdk_eks::types::{Cluster, ClusterStatus};
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::errors;

    #[tokio::test]
    async fn mocked_clients_answer_from_rules_and_typed_not_found_reads_as_none() {
        let active = mock!(aws_sdk_eks::Client::describe_cluster)
            .match_requests(|r| r.name() == Some("mosia-test-eks"))
            .then_output(|| {
                DescribeClusterOutput::builder()
                    .cluster(
                        Cluster::builder()
                            .name("mosia-test-eks")
                            .status(ClusterStatus::Active)
                            .build(),
                    )
                    .build()
            });
        let missing = mock!(aws_sdk_eks::Client::describe_cluster).then_error(|| {
            DescribeClusterError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("No cluster found")
                    .build(),
            )
        });
        let env =
            env(AwsContext::offline()
                .with_eks(crate::mock_client!(aws_sdk_eks, [&active, &missing])));
        let eks = env.aws.eks();
        let found = errors::found(
            eks.describe_cluster().name("mosia-test-eks").send().await,
            DescribeClusterError::is_resource_not_found_exception,
        )
        .unwrap();
        assert_eq!(
            found.unwrap().cluster().unwrap().status(),
            Some(&ClusterStatus::Active)
        );
        let gone = errors::found(
            eks.describe_cluster().name("other").send().await,
            DescribeClusterError::is_resource_not_found_exception,
        )
        .unwrap();
        assert!(gone.is_none());
        assert_eq!((active.num_calls(), missing.num_calls()), (1, 1));
    }
}
