//! Waiting for AWS objects, the same way in every part (terraform-provider-aws's
//! `StateChangeConf`): a [`Statuses`] table lists the statuses that end the wait (target)
//! and those that continue it (pending); any other status fails the part at once, naming
//! it, instead of waiting out the timeout. [`PartEnv::waiter`] builds the wait with the
//! part's name, its kind's poll schedule, the environment's cancellation and deadline.
//!
//! A poll whose describe call fails with a [transient](PartError::transient) error (the
//! SDK's `max_retries` attempts ran out on throttling, 5xx answers or a dropped connection)
//! does not fail the wait: the wait polls on, on its schedule, until its deadline. Only a
//! permanent error (access denied, validation, an unexpected status) fails it at once.

use std::future::Future;
use std::time::Duration;

use super::part::PartEnv;
use crate::engine::{env_scale, PartError, Poll, PollSchedule, WaitError, Waiter};

/// The kinds of AWS object the environment waits for; each has a poll schedule fitted to
/// its usual provisioning time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AwsKind {
    /// VPC, subnets, route tables, NAT gateways (seconds to ~2 minutes).
    Network,
    /// IAM roles and OIDC providers: propagation, seconds.
    Iam,
    /// EKS control plane (~8–15 minutes).
    EksCluster,
    /// EKS managed node group (~3–6 minutes).
    EksNodeGroup,
    /// RDS DB instance or read replica (~5–20 minutes).
    RdsInstance,
    /// ElastiCache replication group (~5–15 minutes).
    ElastiCache,
    /// MSK cluster (~15–35 minutes).
    Msk,
    /// DynamoDB table (seconds).
    DynamoDbTable,
}

impl AwsKind {
    pub const ALL: [AwsKind; 8] = [
        AwsKind::Network,
        AwsKind::Iam,
        AwsKind::EksCluster,
        AwsKind::EksNodeGroup,
        AwsKind::RdsInstance,
        AwsKind::ElastiCache,
        AwsKind::Msk,
        AwsKind::DynamoDbTable,
    ];

    /// The poll schedule of this kind, without the `MOSIA_POLL_SCALE` override.
    pub fn preset(self) -> PollSchedule {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        match self {
            AwsKind::Network => PollSchedule::new(ms(1000), 1.5, s(10), 0.2),
            AwsKind::Iam => PollSchedule::new(ms(500), 2.0, s(5), 0.2),
            AwsKind::EksCluster => PollSchedule::new(s(5), 1.5, s(30), 0.2),
            AwsKind::EksNodeGroup => PollSchedule::new(s(5), 1.5, s(20), 0.2),
            AwsKind::RdsInstance => PollSchedule::new(s(5), 1.5, s(30), 0.2),
            AwsKind::ElastiCache => PollSchedule::new(s(5), 1.5, s(30), 0.2),
            AwsKind::Msk => PollSchedule::new(s(10), 1.5, s(30), 0.2),
            AwsKind::DynamoDbTable => PollSchedule::new(ms(500), 2.0, s(5), 0.2),
        }
    }

    /// The poll schedule of this kind, scaled by `MOSIA_POLL_SCALE` when it is set.
    pub fn poll_schedule(self) -> PollSchedule {
        self.preset().scaled(env_scale())
    }
}

/// The statuses of one wait: `target` ends it, `pending` continues it. Anything else is
/// unexpected and fails the part at once, naming the status and what was awaited.
#[derive(Clone, Copy, Debug)]
pub struct Statuses {
    pub pending: &'static [&'static str],
    pub target: &'static [&'static str],
}

impl Statuses {
    /// Ready with `ready()` on a target status, Pending on a pending one, Failed otherwise.
    /// `None` (AWS sent no status) counts as pending: the object is being set up.
    pub fn poll<T>(
        &self,
        part: &str,
        what: &str,
        status: Option<&str>,
        ready: impl FnOnce() -> T,
    ) -> Poll<T, PartError> {
        let Some(status) = status else {
            return Poll::Pending("unknown".into());
        };
        if self.target.contains(&status) {
            Poll::Ready(ready())
        } else if self.pending.contains(&status) {
            Poll::Pending(status.to_string())
        } else {
            Poll::Failed(self.unexpected(part, what, status))
        }
    }

    /// The error for a status that is neither pending nor a target.
    pub fn unexpected(&self, part: &str, what: &str, status: &str) -> PartError {
        PartError::new(
            part,
            format!("waiting for {what}"),
            format!(
                "unexpected status `{status}` (waiting for {}; expected on the way: {})",
                self.target.join(", "),
                if self.pending.is_empty() {
                    "none".to_string()
                } else {
                    self.pending.join(", ")
                }
            ),
        )
    }
}

impl PartEnv {
    /// A wait for `part` with the poll schedule of `kind`, honouring StopProvider and the
    /// `timeouts` deadline, polling on through transient errors; the caller adds
    /// `.timeout(..)` and `.until(..)`.
    pub fn waiter<'a>(
        &'a self,
        part: &'a str,
        kind: AwsKind,
        what: impl Into<String>,
    ) -> PartWaiter<'a> {
        PartWaiter {
            waiter: Waiter::new(part, kind.poll_schedule())
                .what(what)
                .cancel(&self.ctx)
                .deadline(self.deadline),
        }
    }
}

/// A part's wait: the engine's [`Waiter`] (schedule, cancellation, deadline), with checks
/// that answer `Poll<T, PartError>`, and [`through_transient`] applied to every poll.
///
/// Why by hand and not only the SDK's retries: the SDK retries each describe call up to
/// `max_retries` times and then gives up, knowing nothing of the wait around it. The wait
/// knows its deadline and has its own poll schedule, so a poll that failed transiently is
/// simply one more poll that saw no status; the next one, a schedule step later, tries
/// again.
#[must_use = "a wait does nothing until `.until(..)` is awaited"]
pub struct PartWaiter<'a> {
    waiter: Waiter<'a>,
}

impl<'a> PartWaiter<'a> {
    /// Give up this long after the wait starts (the environment's deadline may come first).
    pub fn timeout(self, d: Duration) -> Self {
        PartWaiter {
            waiter: self.waiter.timeout(d),
        }
    }

    /// Polls `check` until it reports ready, fails permanently, the token fires or the
    /// deadline passes (see [`Waiter::until`]); transient failures keep it polling.
    pub async fn until<T, F, Fut>(self, mut check: F) -> Result<T, WaitError<PartError>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Poll<T, PartError>>,
    {
        self.waiter
            .until(move || {
                // Boxed: the check's future (an SDK call in flight) is large, and moving it
                // by value through one more async layer costs its size again on the stack
                // of every poll in debug builds (enough to overflow a 2 MiB test thread).
                let poll = Box::pin(check());
                async move { through_transient(poll.await) }
            })
            .await
    }
}

/// One poll as a wait sees it: a [transient](PartError::transient) failure is pending, with
/// the error as its status (shown in progress logs, and in the timeout error if the errors
/// last until the deadline); anything else is unchanged.
pub fn through_transient<T>(poll: Poll<T, PartError>) -> Poll<T, PartError> {
    match poll {
        Poll::Failed(e) if e.transient => {
            tracing::warn!(part = %e.part, error = %e.detail, "transient error while waiting: polling on");
            Poll::Pending(format!("transient error ({})", e.detail))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::PartErrorKind;

    const CLUSTER: Statuses = Statuses {
        pending: &["CREATING", "UPDATING"],
        target: &["ACTIVE"],
    };

    #[test]
    fn target_is_ready_pending_waits_and_anything_else_fails_at_once() {
        assert_eq!(
            CLUSTER.poll("eks", "cluster", Some("ACTIVE"), || 1),
            Poll::Ready(1)
        );
        assert_eq!(
            CLUSTER.poll("eks", "cluster", Some("CREATING"), || 1),
            Poll::Pending("CREATING".into())
        );
        assert_eq!(
            CLUSTER.poll("eks", "cluster", None, || 1),
            Poll::Pending("unknown".into())
        );
        let Poll::Failed(e) = CLUSTER.poll("eks", "EKS cluster `x`", Some("FAILED"), || 1) else {
            panic!("FAILED must fail the wait")
        };
        assert_eq!(e.part, "eks");
        assert_eq!(e.kind, PartErrorKind::Failed);
        assert!(
            e.detail.contains("unexpected status `FAILED`"),
            "{}",
            e.detail
        );
        assert!(e.detail.contains("waiting for ACTIVE"), "{}", e.detail);
        assert!(e.summary.contains("EKS cluster `x`"), "{}", e.summary);
    }

    #[test]
    fn presets_fit_their_kinds_and_scale() {
        for kind in AwsKind::ALL {
            let p = kind.preset();
            assert_eq!(p.clone().scaled(env_scale()), kind.poll_schedule());
            let fast = p.clone().scaled(0.01);
            assert!(fast.backoff_seeded(1).next().unwrap() <= p.backoff_seeded(1).next().unwrap());
        }
        // MSK takes longest to create: it is polled least often at first.
        assert!(
            AwsKind::Msk.preset().backoff_seeded(1).next()
                > AwsKind::Iam.preset().backoff_seeded(1).next()
        );
    }

    /// A part's wait over a mocked EKS DescribeCluster, built as the parts build theirs
    /// (find with the typed NotFound, `Service::error`, a `Statuses` table), with the
    /// provider's retry configuration at `max_retries` attempts. Under a paused clock.
    mod through_transient_errors {
        use aws_sdk_eks::operation::describe_cluster::{
            DescribeClusterError, DescribeClusterOutput,
        };
        use aws_sdk_eks::types::{Cluster, ClusterStatus};
        use aws_smithy_mocks::{mock, Rule, RuleBuilder};

        use super::*;
        use crate::aws::config::ProviderSettings;
        use crate::aws::errors::{self, Service};
        use crate::aws::{testing, AwsContext};

        const EKS: Service = Service {
            label: "EKS",
            transient_codes: &["ThrottlingException"],
        };
        const UNAVAILABLE: &str =
            r#"{"__type":"ServiceUnavailableException","message":"Service is unavailable"}"#;
        const DENIED: &str = r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: eks:DescribeCluster"}"#;

        fn cluster(status: ClusterStatus) -> impl Fn() -> DescribeClusterOutput {
            move || {
                DescribeClusterOutput::builder()
                    .cluster(Cluster::builder().name("c").status(status.clone()).build())
                    .build()
            }
        }

        fn describe() -> RuleBuilder<
            aws_sdk_eks::operation::describe_cluster::DescribeClusterInput,
            DescribeClusterOutput,
            DescribeClusterError,
        > {
            mock!(aws_sdk_eks::Client::describe_cluster)
        }

        /// Waits up to 10 minutes for cluster `c` to become ACTIVE, with `max_retries`
        /// attempts per DescribeCluster.
        async fn wait_active(max_retries: u32, rule: &Rule) -> Result<Cluster, PartError> {
            let settings = ProviderSettings {
                max_retries,
                ..ProviderSettings::default()
            };
            let env = testing::env(
                AwsContext::offline()
                    .with_eks(crate::mock_client!(aws_sdk_eks, retrying: &settings, [rule])),
            );
            let eks = env.aws.eks();
            env.waiter(
                "eks",
                AwsKind::EksCluster,
                "EKS cluster `c` to become ACTIVE",
            )
            .timeout(Duration::from_secs(600))
            .until(|| async {
                let found = errors::found(
                    eks.describe_cluster().name("c").send().await,
                    DescribeClusterError::is_resource_not_found_exception,
                )
                .map_err(|e| EKS.error("eks", "reading EKS cluster `c`", "DescribeCluster", &e));
                match found {
                    Ok(Some(out)) => {
                        let c = out.cluster.unwrap();
                        let status = c.status().map(|s| s.as_str().to_string());
                        CLUSTER.poll("eks", "EKS cluster `c`", status.as_deref(), || c)
                    }
                    Ok(None) => Poll::Pending("not found".into()),
                    Err(e) => Poll::Failed(e),
                }
            })
            .await
            .map_err(PartError::from)
        }

        #[tokio::test(start_paused = true)]
        async fn a_wait_that_meets_5xx_beyond_the_sdk_attempts_polls_on_to_its_target() {
            // CREATING, then five 503s: the second poll's 3 attempts all fail (the SDK gives
            // up), the third poll's third attempt sees ACTIVE.
            let rule = describe()
                .sequence()
                .output(cluster(ClusterStatus::Creating))
                .http_status(503, Some(UNAVAILABLE.into()))
                .times(5)
                .output(cluster(ClusterStatus::Active))
                .build();
            let c = wait_active(3, &rule).await.unwrap();
            assert_eq!(c.status(), Some(&ClusterStatus::Active));
            assert_eq!(rule.num_calls(), 7);
        }

        #[tokio::test(start_paused = true)]
        async fn a_permanent_error_fails_the_wait_at_once_with_its_code_and_message() {
            let rule = describe()
                .sequence()
                .output(cluster(ClusterStatus::Creating))
                .http_status(403, Some(DENIED.into()))
                .repeatedly()
                .build();
            let started = tokio::time::Instant::now();
            let e = wait_active(25, &rule).await.unwrap_err();
            assert_eq!(
                rule.num_calls(),
                2,
                "one poll CREATING, one denied: no retry"
            );
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{:?}",
                started.elapsed()
            );
            assert_eq!(e.kind, crate::engine::PartErrorKind::Failed);
            assert!(!e.transient && !e.retryable, "{e:?}");
            assert!(
                e.detail.starts_with(
                    "EKS DescribeCluster: AccessDeniedException: User: \
                     arn:aws:iam::123456789012:user/ci is not authorized"
                ),
                "{}",
                e.detail
            );
        }

        #[tokio::test(start_paused = true)]
        async fn transient_errors_that_outlast_the_deadline_end_it_naming_the_error() {
            let rule = describe()
                .sequence()
                .http_status(503, Some(UNAVAILABLE.into()))
                .repeatedly()
                .build();
            let e = wait_active(2, &rule).await.unwrap_err();
            assert_eq!(e.kind, crate::engine::PartErrorKind::TimedOut);
            assert!(
                e.detail.contains("last status transient error (EKS DescribeCluster: ServiceUnavailableException: Service is unavailable)"),
                "{}",
                e.detail
            );
            assert!(rule.num_calls() > 20, "{} calls", rule.num_calls());
        }

        #[test]
        fn only_transient_failures_become_pending() {
            let transient = PartError::new(
                "eks",
                "reading",
                "EKS DescribeCluster: Throttling: Rate exceeded",
            )
            .transient(true);
            assert_eq!(
                through_transient::<()>(Poll::Failed(transient)),
                Poll::Pending(
                    "transient error (EKS DescribeCluster: Throttling: Rate exceeded)".into()
                )
            );
            // Retryable by a later apply (capacity, a failed NAT gateway) is not transient.
            let capacity =
                PartError::new("rds", "creating", "InsufficientDBInstanceCapacity").retryable(true);
            assert_eq!(
                through_transient::<()>(Poll::Failed(capacity.clone())),
                Poll::Failed(capacity)
            );
            assert_eq!(
                through_transient(Poll::<_, PartError>::Ready(1)),
                Poll::Ready(1)
            );
        }
    }
}
