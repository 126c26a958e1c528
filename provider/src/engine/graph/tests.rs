//! Scheduler tests under tokio's paused clock: virtual time advances only when every task
//! waits, so durations are exact and the tests take milliseconds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mosia_tfplugin::Context;
use tokio::time::{sleep, Instant};

use super::*;
use crate::engine::{Outcome, PartErrorKind, Poll, PollSchedule, Resume, StopReason};
use futures::FutureExt;

fn ctx() -> Context {
    Context::new(Default::default())
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A part that takes `d` and outputs `out`.
fn takes(d: Duration, out: &str) -> impl FnOnce(Deps<String>) -> PartFuture<String> + Send {
    let out = out.to_owned();
    move |_| {
        async move {
            sleep(d).await;
            Ok(out)
        }
        .boxed()
    }
}

/// A part that fails after `d`, having checkpointed `partial`.
fn fails(d: Duration, partial: &str) -> impl FnOnce(Deps<String>) -> PartFuture<String> + Send {
    let partial = partial.to_owned();
    move |deps| {
        async move {
            deps.checkpoint(partial);
            sleep(d).await;
            Err(deps.error(
                "creating EKS cluster `mosia-dev`",
                "ResourceLimitExceeded: cluster limit exceeded",
            ))
        }
        .boxed()
    }
}

/// A part that creates something, checkpoints it and then waits (honouring the run's
/// cancellation and deadline) for something that takes `d`.
fn waits(d: Duration, id: &str) -> impl FnOnce(Deps<String>) -> PartFuture<String> + Send {
    let id = id.to_owned();
    move |deps| {
        async move {
            deps.checkpoint(format!("{id} (creating)"));
            let t0 = Instant::now();
            deps.waiter(PollSchedule::new(secs(1), 1.5, secs(5), 0.0))
                .what("the thing to become ready")
                .until(|| async move {
                    if t0.elapsed() >= d {
                        Poll::Ready(())
                    } else {
                        Poll::Pending("CREATING".to_owned())
                    }
                })
                .await?;
            Ok(id)
        }
        .boxed()
    }
}

fn cancel_at(ctx: &Context, at: Duration) {
    let token = ctx.cancelled.clone();
    tokio::spawn(async move {
        sleep(at).await;
        token.cancel();
    });
}

fn at(report: &RunReport<String>, part: &str) -> (Duration, Duration) {
    let p = report.part(part).unwrap();
    (
        p.started.unwrap() - report.started,
        p.finished.unwrap() - report.started,
    )
}

#[tokio::test(start_paused = true)]
async fn independent_parts_run_side_by_side() {
    let mut plan = Plan::new();
    plan.part("a", &[], takes(secs(10), "A"))
        .part("b", &[], takes(secs(10), "B"));
    let report = run(plan, &ctx(), None).await.unwrap();
    assert!(report.is_success());
    assert_eq!(report.wall_time(), secs(10), "not 20 s");
    assert_eq!(at(&report, "a"), (secs(0), secs(10)));
    assert_eq!(at(&report, "b"), (secs(0), secs(10)));
    assert_eq!(
        report.outcome("b"),
        Some(&Outcome::Succeeded("B".to_owned()))
    );
    assert_eq!(report.failure_message(), None);
}

#[tokio::test(start_paused = true)]
async fn a_chain_waits_for_its_dependency_and_reads_its_output() {
    let mut plan = Plan::new();
    plan.part("cluster", &["network"], |deps: Deps<String>| async move {
        let vpc = deps.output("network")?.clone();
        assert_eq!(deps.outputs().len(), 1);
        assert!(deps.get("cluster").is_none());
        sleep(secs(3)).await;
        Ok(format!("cluster in {vpc}"))
    });
    plan.part("network", &[], takes(secs(5), "vpc-1"));
    let report = run(plan, &ctx(), None).await.unwrap();
    assert_eq!(
        report.outcome("cluster"),
        Some(&Outcome::Succeeded("cluster in vpc-1".to_owned()))
    );
    assert_eq!(at(&report, "cluster"), (secs(5), secs(8)));
    assert_eq!(report.wall_time(), secs(8));
    assert_eq!(report.part("cluster").unwrap().waited_for, ["network"]);
}

#[tokio::test(start_paused = true)]
async fn parts_start_when_their_own_dependencies_succeed_not_in_waves() {
    let plan = Plan::new()
        .with_part("network", &[], takes(secs(1), "net"))
        .with_part("eks", &["network"], takes(secs(10), "eks"))
        .with_part("nodegroup", &["eks"], takes(secs(5), "ng"))
        .with_part("rds", &["network"], takes(secs(3), "rds"))
        .with_part("replica", &["rds"], takes(secs(4), "replica"));
    let report = run(plan, &ctx(), None).await.unwrap();
    assert!(report.is_success());
    // The replica starts right after its primary (at 4 s), not after the EKS cluster.
    assert_eq!(at(&report, "replica"), (secs(4), secs(8)));
    assert_eq!(at(&report, "nodegroup"), (secs(11), secs(16)));
    for p in &report.parts {
        assert_eq!(
            report.start_latency(&p.name),
            Some(Duration::ZERO),
            "{}",
            p.name
        );
    }
    let cp = report.critical_path();
    assert_eq!(cp.parts, ["network", "eks", "nodegroup"]);
    assert_eq!(cp.duration, secs(16));
    assert_eq!(report.wall_time(), secs(16));
    assert_eq!(report.overhead_ratio(), Some(1.0));
}

#[tokio::test(start_paused = true)]
async fn a_failure_skips_dependents_while_siblings_finish() {
    let plan = Plan::new()
        .with_part("network", &[], takes(secs(1), "net"))
        .with_part("eks", &["network"], fails(secs(3), "arn:eks:mosia-dev"))
        .with_part("nodegroup", &["eks"], takes(secs(5), "ng"))
        .with_part("addon", &["nodegroup", "network"], takes(secs(1), "addon"))
        .with_part("rds", &["network"], takes(secs(5), "rds"))
        .with_part("replica", &["rds"], takes(secs(5), "replica"))
        .with_part("msk", &[], takes(secs(20), "msk"));
    let report = run(plan, &ctx(), None).await.unwrap();
    assert!(!report.is_success());
    assert_eq!(report.stopped, None);
    assert_eq!(report.wall_time(), secs(20), "msk ran to completion");

    let Some(Outcome::Failed { error, partial }) = report.outcome("eks") else {
        panic!("{:?}", report.outcome("eks"));
    };
    assert_eq!(error.part, "eks");
    assert_eq!(error.kind, PartErrorKind::Failed);
    assert_eq!(partial.as_deref(), Some("arn:eks:mosia-dev"));
    assert_eq!(at(&report, "eks"), (secs(1), secs(4)));
    for skipped in ["nodegroup", "addon"] {
        assert_eq!(
            report.outcome(skipped),
            Some(&Outcome::Skipped {
                because: "eks".to_owned()
            }),
            "{skipped}"
        );
        assert_eq!(report.part(skipped).unwrap().started, None);
    }
    for ok in ["network", "rds", "replica", "msk"] {
        assert!(report.outcome(ok).unwrap().is_succeeded(), "{ok}");
    }
    assert_eq!(at(&report, "replica"), (secs(6), secs(11)));

    // What exists goes to state: every success plus the failed part's checkpoint.
    let existing: Vec<_> = report.existing().map(|(n, _)| n).collect();
    assert_eq!(existing, ["network", "eks", "rds", "replica", "msk"]);
    assert_eq!(report.failures().count(), 1);

    let msg = report.failure_message().unwrap();
    assert_eq!(
        msg,
        "3 of 7 parts of the environment did not complete:\n\
         - part `eks` failed: creating EKS cluster `mosia-dev`: ResourceLimitExceeded: cluster \
         limit exceeded\n\
         - part `nodegroup` was skipped because `eks` failed\n\
         - part `addon` was skipped because `eks` failed\n\
         Parts that completed: `network`, `rds`, `replica`, `msk`.\n\
         Fix the cause, then run `terraform apply` again: parts that are already healthy are \
         kept."
    );
    assert!(error.to_string().contains("run `terraform apply` again"));
}

#[tokio::test(start_paused = true)]
async fn a_part_is_skipped_when_any_of_its_dependencies_fails() {
    let plan = Plan::new()
        .with_part("a", &[], takes(secs(5), "a"))
        .with_part("b", &[], fails(secs(1), "b-partial"))
        .with_part("c", &["a", "b"], takes(secs(1), "c"))
        .with_part("d", &["c"], takes(secs(1), "d"));
    let report = run(plan, &ctx(), None).await.unwrap();
    assert!(report.outcome("a").unwrap().is_succeeded());
    for p in ["c", "d"] {
        assert_eq!(
            report.outcome(p),
            Some(&Outcome::Skipped {
                because: "b".to_owned()
            })
        );
    }
    assert_eq!(report.wall_time(), secs(5));
}

#[tokio::test(start_paused = true)]
async fn cancellation_stops_promptly_and_reports_what_exists() {
    let ctx = ctx();
    cancel_at(&ctx, secs(10));
    let plan = Plan::new()
        .with_part("network", &[], takes(secs(2), "vpc-1"))
        .with_part("eks", &["network"], waits(secs(600), "arn:eks"))
        .with_part("nodegroup", &["eks"], takes(secs(60), "ng"))
        .with_part("msk", &[], waits(secs(1200), "arn:msk"));
    let report = run(plan, &ctx, None).await.unwrap();
    assert_eq!(report.stopped, Some(StopReason::Cancelled));
    assert_eq!(
        report.wall_time(),
        secs(10),
        "every running part honoured the token"
    );
    assert!(report.outcome("network").unwrap().is_succeeded());
    for (part, id) in [("eks", "arn:eks (creating)"), ("msk", "arn:msk (creating)")] {
        let Some(Outcome::Cancelled {
            reason,
            partial,
            error,
        }) = report.outcome(part)
        else {
            panic!("{part}: {:?}", report.outcome(part));
        };
        assert_eq!(*reason, StopReason::Cancelled);
        assert_eq!(partial.as_deref(), Some(id));
        let error = error.as_ref().unwrap();
        assert_eq!(error.kind, PartErrorKind::Cancelled);
        assert!(error.detail.contains("last status CREATING"), "{error}");
        assert_eq!(at(&report, part).1, secs(10));
    }
    assert_eq!(
        report.outcome("nodegroup"),
        Some(&Outcome::NotStarted {
            reason: StopReason::Cancelled
        })
    );
    let existing: Vec<_> = report.existing().map(|(n, v)| format!("{n}={v}")).collect();
    assert_eq!(
        existing,
        [
            "network=vpc-1",
            "eks=arn:eks (creating)",
            "msk=arn:msk (creating)"
        ]
    );
    let msg = report.failure_message().unwrap();
    assert!(msg.starts_with("3 of 4 parts of the environment did not complete because Terraform asked the provider to stop:"), "{msg}");
    assert!(msg.contains("- part `eks` was stopped (Terraform asked the provider to stop): waiting for the thing to become ready: stopped after 8s"), "{msg}");
    assert!(msg.contains("- part `nodegroup` was not started"), "{msg}");
    assert!(msg.ends_with("This may be temporary: run `terraform apply` again: parts that are already healthy are kept."), "{msg}");
}

#[tokio::test(start_paused = true)]
async fn parts_that_ignore_the_stop_get_a_grace_period_then_are_aborted() {
    let ctx = ctx();
    cancel_at(&ctx, secs(1));
    let plan = Plan::new()
        .with_part("stubborn", &[], |deps: Deps<String>| async move {
            deps.checkpoint("half-built".to_owned());
            sleep(secs(1000)).await;
            Ok("never".to_owned())
        })
        .with_part("finishing", &[], takes(secs(2), "done in the grace period"))
        .with_part("after-finishing", &["finishing"], takes(secs(1), "x"));
    let opts = RunOptions::new(ctx).grace(secs(3));
    let report = run_with(plan, opts).await.unwrap();
    assert_eq!(report.wall_time(), secs(4), "1 s + 3 s grace");
    assert_eq!(
        report.outcome("stubborn"),
        Some(&Outcome::Cancelled {
            reason: StopReason::Cancelled,
            partial: Some("half-built".to_owned()),
            error: None,
        })
    );
    assert_eq!(at(&report, "stubborn"), (secs(0), secs(4)));
    assert_eq!(
        report.outcome("finishing"),
        Some(&Outcome::Succeeded("done in the grace period".to_owned()))
    );
    assert_eq!(
        report.outcome("after-finishing"),
        Some(&Outcome::NotStarted {
            reason: StopReason::Cancelled
        })
    );
}

#[tokio::test(start_paused = true)]
async fn a_plan_cancelled_before_it_starts_starts_nothing() {
    let ctx = ctx();
    ctx.cancelled.cancel();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let plan = Plan::new()
        .with_part("a", &[], move |_: Deps<String>| async move {
            r.store(true, Ordering::SeqCst);
            Ok("a".to_owned())
        })
        .with_part("b", &["a"], takes(secs(1), "b"));
    let report = run(plan, &ctx, None).await.unwrap();
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(report.wall_time(), Duration::ZERO);
    for p in &report.parts {
        assert_eq!(
            p.outcome,
            Outcome::NotStarted {
                reason: StopReason::Cancelled
            }
        );
        assert_eq!(p.started, None);
    }
}

#[tokio::test(start_paused = true)]
async fn the_deadline_stops_the_run_without_cancelling_the_caller() {
    let ctx = ctx();
    let deadline = Instant::now() + secs(30);
    let plan = Plan::new()
        .with_part("network", &[], takes(secs(10), "net"))
        .with_part("rds", &["network"], waits(secs(600), "db-1"))
        .with_part("replica", &["rds"], takes(secs(60), "db-2"))
        .with_part("msk", &[], |_: Deps<String>| async move {
            // Ignores the token: aborted after the grace period.
            sleep(secs(1000)).await;
            Ok("msk".to_owned())
        });
    let report = run(plan, &ctx, Some(deadline)).await.unwrap();
    assert!(
        !ctx.is_cancelled(),
        "a deadline does not cancel the caller's token"
    );
    assert_eq!(report.stopped, Some(StopReason::DeadlineExceeded));
    assert_eq!(report.wall_time(), secs(30) + DEFAULT_GRACE);
    let Some(Outcome::Cancelled { reason, error, .. }) = report.outcome("rds") else {
        panic!("{:?}", report.outcome("rds"));
    };
    assert_eq!(*reason, StopReason::DeadlineExceeded);
    // The wait saw the deadline itself (or the token the runner cancelled at that instant).
    assert!(error.as_ref().unwrap().is_stop());
    assert_eq!(at(&report, "rds"), (secs(10), secs(30)));
    assert_eq!(
        report.outcome("replica"),
        Some(&Outcome::NotStarted {
            reason: StopReason::DeadlineExceeded
        })
    );
    assert!(matches!(
        report.outcome("msk"),
        Some(Outcome::Cancelled { error: None, .. })
    ));
    let msg = report.failure_message().unwrap();
    assert!(
        msg.contains("within the `timeouts` deadline (35s elapsed)"),
        "{msg}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_deadline_already_passed_starts_nothing() {
    let plan = Plan::new().with_part("a", &[], takes(secs(1), "a"));
    let report = run(plan, &ctx(), Some(Instant::now())).await.unwrap();
    assert_eq!(
        report.outcome("a"),
        Some(&Outcome::NotStarted {
            reason: StopReason::DeadlineExceeded
        })
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_graphs_are_rejected_naming_the_parts() {
    let noop = || takes(secs(1), "");
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let plan = Plan::<String>::new()
        .with_part("network", &[], move |_| async move {
            r.store(true, Ordering::SeqCst);
            Ok(String::new())
        })
        .with_part("eks", &["network", "iam"], noop());
    let err = run(plan, &ctx(), None).await.unwrap_err();
    assert_eq!(
        err,
        GraphError::UnknownDependency {
            part: "eks".into(),
            dependency: "iam".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "part `eks` depends on `iam`, which is not a part of the plan"
    );
    assert!(
        !ran.load(Ordering::SeqCst),
        "nothing runs when the graph is invalid"
    );

    let plan = Plan::<String>::new()
        .with_part("network", &[], noop())
        .with_part("a", &["network", "c"], noop())
        .with_part("b", &["a"], noop())
        .with_part("c", &["b"], noop());
    let err = plan.validate().unwrap_err();
    assert_eq!(
        err,
        GraphError::Cycle(vec!["a".into(), "c".into(), "b".into(), "a".into()])
    );
    assert_eq!(
        err.to_string(),
        "dependency cycle: `a` → `c` → `b` → `a` (each part depends on the next)"
    );
    // Reversing does not hide a cycle.
    assert!(matches!(
        run(plan.reversed(), &ctx(), None).await,
        Err(GraphError::Cycle(_))
    ));

    let plan = Plan::<String>::new().with_part("a", &["a"], noop());
    assert_eq!(
        plan.validate(),
        Err(GraphError::Cycle(vec!["a".into(), "a".into()]))
    );
    let plan = Plan::<String>::new()
        .with_part("a", &[], noop())
        .with_part("a", &[], noop());
    assert_eq!(plan.validate(), Err(GraphError::DuplicatePart("a".into())));
    let plan = Plan::<String>::new().with_part("", &[], noop());
    assert_eq!(plan.validate(), Err(GraphError::EmptyName));
    // Listing a dependency twice is harmless.
    let plan =
        Plan::<String>::new()
            .with_part("a", &[], noop())
            .with_part("b", &["a", "a"], noop());
    assert!(plan.validate().is_ok());
    assert!(run(plan, &ctx(), None).await.unwrap().is_success());
    // An empty plan is a valid plan that does nothing.
    let report = run(Plan::<String>::new(), &ctx(), None).await.unwrap();
    assert!(report.is_success() && report.parts.is_empty());
}

/// The create graph of an environment, with delete tasks that log their order.
fn delete_plan(log: &Arc<Mutex<Vec<String>>>, failing: Option<&str>) -> Plan<String> {
    let part = |name: &str, d: u64| {
        let log = log.clone();
        let name = name.to_owned();
        let fail = failing == Some(name.as_str());
        move |deps: Deps<String>| async move {
            let waited: Vec<_> = deps.outputs().keys().cloned().collect();
            log.lock()
                .unwrap()
                .push(format!("{name} after {}", waited.join("+")));
            sleep(secs(d)).await;
            if fail {
                return Err(deps
                    .error(
                        format!("deleting {name}"),
                        "DependencyViolation: resource has a dependent object",
                    )
                    .retryable(true));
            }
            Ok(format!("{name} deleted"))
        }
    };
    Plan::new()
        .with_part("network", &[], part("network", 1))
        .with_part("eks", &["network"], part("eks", 3))
        .with_part("nodegroup", &["eks"], part("nodegroup", 2))
        .with_part("rds", &["network"], part("rds", 4))
        .with_part("replica", &["rds"], part("replica", 1))
        .with_part("msk", &["network"], part("msk", 2))
        .reversed()
}

#[tokio::test(start_paused = true)]
async fn a_reversed_plan_deletes_dependents_first() {
    let log = Arc::new(Mutex::new(vec![]));
    let plan = delete_plan(&log, None);
    assert!(plan.is_reversed());
    let report = run(plan, &ctx(), None).await.unwrap();
    assert!(report.is_success());
    // Leaves first (in plan order), then their dependencies as soon as they are free.
    assert_eq!(
        *log.lock().unwrap(),
        [
            "nodegroup after ",
            "replica after ",
            "msk after ",
            "rds after replica",
            "eks after nodegroup",
            "network after eks+msk+rds",
        ]
    );
    assert_eq!(at(&report, "rds"), (secs(1), secs(5)));
    assert_eq!(at(&report, "eks"), (secs(2), secs(5)));
    assert_eq!(at(&report, "network"), (secs(5), secs(6)));
    assert_eq!(
        report.part("network").unwrap().waited_for,
        ["eks", "rds", "msk"]
    );
    assert_eq!(report.wall_time(), secs(6));
    assert_eq!(
        report.critical_path().parts,
        ["nodegroup", "eks", "network"]
    );
    assert_eq!(report.resume, Resume::Destroy);
}

#[tokio::test(start_paused = true)]
async fn a_failed_delete_keeps_what_it_depends_on() {
    let log = Arc::new(Mutex::new(vec![]));
    let report = run(delete_plan(&log, Some("nodegroup")), &ctx(), None)
        .await
        .unwrap();
    // The cluster is not deleted while its node group exists, nor the network under it.
    for p in ["eks", "network"] {
        assert_eq!(
            report.outcome(p),
            Some(&Outcome::Skipped {
                because: "nodegroup".into()
            })
        );
    }
    for p in ["rds", "replica", "msk"] {
        assert!(report.outcome(p).unwrap().is_succeeded(), "{p}");
    }
    let Some(Outcome::Failed { error, .. }) = report.outcome("nodegroup") else {
        panic!()
    };
    assert_eq!(error.resume, Resume::Destroy);
    assert_eq!(
        error.to_string(),
        "part `nodegroup` failed: deleting nodegroup: DependencyViolation: resource has a \
         dependent object. This may be temporary: run `terraform destroy` again: parts that \
         are already deleted stay deleted."
    );
    assert!(report
        .failure_message()
        .unwrap()
        .ends_with("This may be temporary: run `terraform destroy` again: parts that are already deleted stay deleted."));
    // Reversing twice gives the create order back.
    let twice = delete_plan(&log, None).reversed();
    assert!(!twice.is_reversed());
    assert_eq!(twice.resume_kind(), Resume::Apply);
    let report = run(twice, &ctx(), None).await.unwrap();
    assert_eq!(at(&report, "network"), (secs(0), secs(1)));
    assert_eq!(at(&report, "replica"), (secs(5), secs(6)));
    // Two chains of 6 s tie; ties go to the part earlier in the plan.
    let cp = report.critical_path();
    assert_eq!(cp.parts, ["network", "eks", "nodegroup"]);
    assert_eq!(cp.duration, secs(6));
}

#[tokio::test(start_paused = true)]
async fn a_panicking_part_fails_alone() {
    let plan = Plan::new()
        .with_part("bad", &[], |_: Deps<String>| async move {
            sleep(secs(1)).await;
            panic!("index out of bounds");
        })
        .with_part("after-bad", &["bad"], takes(secs(1), "x"))
        .with_part("good", &[], takes(secs(3), "good"));
    let report = run(plan, &ctx(), None).await.unwrap();
    let Some(Outcome::Failed { error, .. }) = report.outcome("bad") else {
        panic!("{:?}", report.outcome("bad"));
    };
    assert!(
        error.detail.contains("panicked: index out of bounds"),
        "{error}"
    );
    assert_eq!(at(&report, "bad").1, secs(1));
    assert!(matches!(
        report.outcome("after-bad"),
        Some(Outcome::Skipped { .. })
    ));
    assert!(report.outcome("good").unwrap().is_succeeded());
}

#[tokio::test(start_paused = true)]
async fn errors_get_the_part_name_filled_in_and_undeclared_outputs_are_errors() {
    let plan = Plan::new()
        .with_part("a", &[], takes(secs(1), "a"))
        .with_part("anonymous", &[], |_: Deps<String>| async move {
            Err(crate::engine::PartError::new("", "doing something", "Boom"))
        })
        .with_part("nosy", &[], |deps: Deps<String>| async move {
            deps.output("a").cloned()
        });
    let report = run(plan, &ctx(), None).await.unwrap();
    let Some(Outcome::Failed { error, .. }) = report.outcome("anonymous") else {
        panic!()
    };
    assert_eq!(error.part, "anonymous");
    let Some(Outcome::Failed { error, .. }) = report.outcome("nosy") else {
        panic!()
    };
    assert_eq!(
        error.headline(),
        "part `nosy` failed: reading the output of part `a`: `a` is not a dependency of \
         `nosy` (a bug in the provider)"
    );
}

/// The same scheduling on a real multi-threaded runtime and the real clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_on_the_real_clock() {
    let ms = Duration::from_millis;
    let plan = Plan::new()
        .with_part("a", &[], takes(ms(200), "a"))
        .with_part("b", &[], takes(ms(200), "b"))
        .with_part("c", &["a"], takes(ms(100), "c"));
    let report = run(plan, &ctx(), None).await.unwrap();
    assert!(report.is_success());
    let wall = report.wall_time();
    assert!(wall >= ms(300) && wall < ms(450), "{wall:?}");
}
