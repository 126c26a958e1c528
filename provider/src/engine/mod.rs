//! The execution engine of `mosia_environment`: AWS-agnostic, pure scheduling logic.
//!
//! - [`graph`]: runs named *parts* (network, IAM, EKS cluster, node groups, RDS primary,
//!   replicas, ElastiCache, MSK, ...) on their dependency graph, each as soon as its
//!   dependencies succeeded, independent parts side by side. A failure skips only the parts
//!   that need the failed one; cancellation (StopProvider) and the `timeouts` deadline stop
//!   promptly; the [`RunReport`] says what happened to every part, with timestamps.
//!   [`Plan::reversed`] runs the same graph backwards for deletes.
//! - [`wait`]: [`Waiter`] / [`wait_until`], the provisioning wait with an exponential,
//!   jittered poll schedule ([`PollSchedule`]) that keeps the wait close to the real
//!   provisioning time, honouring cancellation and deadlines, logging progress per part.
//! - [`PartError`]: the per-part error whose `Display` is what the user reads: which part
//!   failed, the AWS error, and how to resume.
//!
//! A part's task, sketched (the AWS calls belong to the resource, not to this module):
//!
//! ```ignore
//! use terraform_provider_mosia::engine::{Plan, Poll, PollSchedule, run};
//!
//! let mut plan = Plan::new();
//! plan.part("network", &[], |deps| async move { create_network(&deps).await });
//! plan.part("eks-cluster", &["network", "iam"], |deps| async move {
//!     let net = deps.output("network")?;                 // the network's output
//!     let arn = create_cluster(net).await?;
//!     deps.checkpoint(Out::Cluster { arn: arn.clone(), ready: false }); // kept on stop/failure
//!     deps.waiter(PollSchedule::new(5s, 1.5, 30s, 0.2))
//!         .what("EKS cluster to become ACTIVE")
//!         .until(|| async { describe_cluster_status(&arn).await })  // -> Poll<T, PartError>
//!         .await?;
//!     Ok(Out::Cluster { arn, ready: true })
//! });
//! let report = run(plan, &ctx, deadline).await?;        // Err only for an invalid graph
//! if let Some(msg) = report.failure_message() { /* error diagnostic, partial state */ }
//! ```

pub mod error;
pub mod graph;
pub mod report;
pub mod wait;

pub use error::{PartError, PartErrorKind, Resume};
pub use graph::{run, run_with, Deps, GraphError, Plan, RunOptions, DEFAULT_GRACE};
pub use report::{CriticalPath, Outcome, PartReport, RunReport, StopReason};
pub use wait::{
    env_scale, wait_until, Backoff, NotFoundGrace, Poll, PollSchedule, WaitError, Waiter,
};

use std::time::Duration;

/// A duration for people: `350ms`, `12.5s`, `4m05s`, `1h30m00s`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    if ms < 60_000 {
        let tenths = (ms + 50) / 100;
        return if tenths.is_multiple_of(10) {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        };
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m:02}m{s:02}s")
    } else {
        format!("{m}m{s:02}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(Duration::from_millis(350)), "350ms");
        assert_eq!(fmt_duration(Duration::from_millis(12_500)), "12.5s");
        assert_eq!(fmt_duration(Duration::from_secs(30)), "30s");
        assert_eq!(fmt_duration(Duration::from_secs(245)), "4m05s");
        assert_eq!(fmt_duration(Duration::from_secs(5400)), "1h30m00s");
    }
}
