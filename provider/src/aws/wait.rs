//! Waiting for AWS objects, the same way in every part (terraform-provider-aws's
//! `StateChangeConf`): a [`Statuses`] table lists the statuses that end the wait (target)
//! and those that continue it (pending); any other status fails the part at once, naming
//! it, instead of waiting out the timeout. [`PartEnv::waiter`] builds the wait with the
//! part's name, its kind's poll schedule, the environment's cancellation and deadline.

use std::time::Duration;

use super::part::PartEnv;
use crate::engine::{env_scale, PartError, Poll, PollSchedule, Waiter};

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
    /// `timeouts` deadline; the caller adds `.timeout(..)` and `.until(..)`.
    pub fn waiter<'a>(
        &'a self,
        part: &'a str,
        kind: AwsKind,
        what: impl Into<String>,
    ) -> Waiter<'a> {
        Waiter::new(part, kind.poll_schedule())
            .what(what)
            .cancel(&self.ctx)
            .deadline(self.deadline)
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
}
