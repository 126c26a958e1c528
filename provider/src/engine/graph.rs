//! Runs named parts on a dependency graph, concurrently.
//!
//! # Model
//!
//! A [`Plan`] is a set of parts, each with a unique name, the names of the parts it depends
//! on, and a task: an async closure that receives [`Deps`] and returns `Result<T, PartError>`.
//! `T` is the part's *output* (IDs, ARNs, endpoints; for `mosia_environment` an enum over the
//! kinds of part), which its dependents read through [`Deps::output`]: the node group reads
//! the cluster's name, a read replica its primary's identifier.
//!
//! [`run`] validates the graph first (unknown dependencies, duplicates and cycles are a
//! [`GraphError`] naming the parts) and then:
//!
//! - starts every part the moment all of its dependencies have succeeded: no waves, so RDS
//!   replicas do not wait for the EKS cluster just because both come "after the network";
//!   independent parts run side by side (each on its own tokio task);
//! - when a part fails, marks every part that needs it, directly or not, `Skipped` (naming
//!   the failed part) and lets every other part run to completion, so a partial failure
//!   leaves as much built as possible, and reports everything;
//! - when the caller's cancellation token fires (StopProvider) or the deadline (the
//!   `timeouts` block) passes, starts nothing more, cancels the token the running parts see
//!   (a child of the caller's, so a deadline does not cancel the caller) and gives them
//!   [`RunOptions::grace`] to return; then aborts what is left. Parts that never started are
//!   `NotStarted`, running parts that did not finish are `Cancelled`, with their last
//!   [`Deps::checkpoint`]: a part that created an object and was waiting for it still reports
//!   the object, so it lands in state (and is adopted, not duplicated, on the next apply);
//! - records start and end instants per part ([`tokio::time::Instant`], so tests under a
//!   paused clock are exact) for [`super::RunReport::critical_path`].
//!
//! [`Plan::reversed`] runs the same graph backwards, for deletes: a part starts once every
//! part that depends on it is done (node groups before their cluster, the cluster before the
//! network). The delete plan declares the same `depends_on` as the create plan; only the
//! tasks differ. A failed delete skips the parts it protects (the cluster is not deleted
//! while a node group still exists).
//!
//! The engine does not retry parts: AWS throttling is retried by the SDK (and waits poll on
//! through [transient](PartError::transient) errors), and a failed part is resumed by the
//! next `terraform apply`, whose tasks adopt what exists (ownership tags).
//! A part that needs no work (healthy, unchanged) still belongs in the plan, with a task that
//! returns its current output at once, so that its dependents can read it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mosia_tfplugin::Context;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::error::{PartError, Resume};
use super::fmt_duration;
use super::report::{Outcome, PartReport, RunReport, StopReason};

mod deps;
mod plan;

pub use deps::Deps;
use plan::Task;
pub use plan::{GraphError, PartFuture, Plan};

/// How long running parts get to return after a stop before they are aborted.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// How to run a plan.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The caller's context; its token is StopProvider.
    pub ctx: Context,
    /// When to stop (the `timeouts` block), if ever.
    pub deadline: Option<Instant>,
    /// How long running parts get to return after a stop.
    pub grace: Duration,
}

impl RunOptions {
    pub fn new(ctx: Context) -> Self {
        RunOptions {
            ctx,
            deadline: None,
            grace: DEFAULT_GRACE,
        }
    }

    pub fn deadline(mut self, at: Option<Instant>) -> Self {
        self.deadline = at;
        self
    }

    /// The overall deadline as a duration from now (a `timeouts` value).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.deadline = Some(Instant::now() + d);
        self
    }

    pub fn grace(mut self, d: Duration) -> Self {
        self.grace = d;
        self
    }
}

/// Runs `plan` until every part is done, or until `ctx` is cancelled or `deadline` passes
/// (with [`DEFAULT_GRACE`]). `Err` only for an invalid graph; part failures are in the report.
pub async fn run<T: Clone + Send + 'static>(
    plan: Plan<T>,
    ctx: &Context,
    deadline: Option<Instant>,
) -> Result<RunReport<T>, GraphError> {
    run_with(plan, RunOptions::new(ctx.clone()).deadline(deadline)).await
}

/// [`run`] with all options.
pub async fn run_with<T: Clone + Send + 'static>(
    plan: Plan<T>,
    opts: RunOptions,
) -> Result<RunReport<T>, GraphError> {
    plan.validate()?;
    Ok(Runner::new(plan, opts).run().await)
}

type Done<T> = (usize, Result<T, PartError>, Instant);

struct Runner<T> {
    names: Vec<String>,
    /// The parts each part waits for in this run (declared or flipped).
    preds: Vec<Vec<usize>>,
    succs: Vec<Vec<usize>>,
    tasks: Vec<Option<Task<T>>>,
    checkpoints: Vec<Arc<Mutex<Option<T>>>>,
    remaining: Vec<usize>,
    outcomes: Vec<Option<Outcome<T>>>,
    started_at: Vec<Option<Instant>>,
    finished_at: Vec<Option<Instant>>,
    running: JoinSet<Done<T>>,
    task_ids: HashMap<tokio::task::Id, usize>,
    opts: RunOptions,
    /// The token the parts see: a child of the caller's.
    run_ctx: Context,
    stop: Option<StopReason>,
    grace_end: Option<Instant>,
    resume: Resume,
}

impl<T: Clone + Send + 'static> Runner<T> {
    fn new(plan: Plan<T>, opts: RunOptions) -> Self {
        let n = plan.parts.len();
        let index: HashMap<String, usize> = plan
            .parts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        let declared: Vec<Vec<usize>> = plan
            .parts
            .iter()
            .map(|p| p.depends_on.iter().map(|d| index[d]).collect())
            .collect();
        let flipped = invert(&declared);
        let (preds, succs) = if plan.reversed {
            (flipped, declared)
        } else {
            (declared, flipped)
        };
        let run_ctx = Context::new(opts.ctx.cancelled.child_token());
        let mut names = Vec::with_capacity(n);
        let mut tasks = Vec::with_capacity(n);
        for p in plan.parts {
            names.push(p.name);
            tasks.push(Some(p.task));
        }
        Runner {
            names,
            remaining: preds.iter().map(Vec::len).collect(),
            preds,
            succs,
            tasks,
            checkpoints: (0..n).map(|_| Arc::new(Mutex::new(None))).collect(),
            outcomes: (0..n).map(|_| None).collect(),
            started_at: vec![None; n],
            finished_at: vec![None; n],
            running: JoinSet::new(),
            task_ids: HashMap::new(),
            opts,
            run_ctx,
            stop: None,
            grace_end: None,
            resume: plan.resume,
        }
    }

    async fn run(mut self) -> RunReport<T> {
        let started = Instant::now();
        tracing::debug!(parts = self.names.len(), "running plan");
        loop {
            if self.stop.is_none() {
                if self.opts.ctx.is_cancelled() {
                    self.trigger_stop(StopReason::Cancelled);
                } else if self.opts.deadline.is_some_and(|d| Instant::now() >= d) {
                    self.trigger_stop(StopReason::DeadlineExceeded);
                }
            }
            if self.stop.is_none() {
                self.start_ready();
            }
            if self.running.is_empty() {
                break;
            }
            let stopping = self.stop.is_some();
            let caller = self.opts.ctx.cancelled.clone();
            tokio::select! {
                biased;
                _ = caller.cancelled(), if !stopping => {
                    self.trigger_stop(StopReason::Cancelled);
                }
                _ = sleep_until(self.opts.deadline), if !stopping => {
                    self.trigger_stop(StopReason::DeadlineExceeded);
                }
                _ = sleep_until(self.grace_end), if stopping => {
                    self.abort_rest().await;
                    break;
                }
                Some(done) = self.running.join_next_with_id() => {
                    self.finish(done);
                }
            }
        }
        let reason = self.stop;
        let mut parts = Vec::with_capacity(self.names.len());
        for (i, name) in self.names.iter().enumerate() {
            let outcome = self.outcomes[i].take().unwrap_or_else(|| {
                debug_assert!(
                    reason.is_some(),
                    "part `{name}` neither ran nor was skipped"
                );
                Outcome::NotStarted {
                    reason: reason.unwrap_or(StopReason::Cancelled),
                }
            });
            parts.push(PartReport {
                name: name.clone(),
                waited_for: self.preds[i]
                    .iter()
                    .map(|&j| self.names[j].clone())
                    .collect(),
                outcome,
                started: self.started_at[i],
                finished: self.finished_at[i],
            });
        }
        let report = RunReport {
            parts,
            started,
            finished: Instant::now(),
            stopped: reason,
            resume: self.resume,
        };
        tracing::info!(
            wall = %fmt_duration(report.wall_time()),
            succeeded = report.parts.iter().filter(|p| p.outcome.is_succeeded()).count(),
            parts = report.parts.len(),
            stopped = ?reason,
            "plan finished"
        );
        report
    }

    fn start_ready(&mut self) {
        for i in 0..self.names.len() {
            if self.outcomes[i].is_some() || self.remaining[i] != 0 {
                continue;
            }
            let Some(task) = self.tasks[i].take() else {
                continue; // running
            };
            let outputs = self.preds[i]
                .iter()
                .filter_map(|&j| match &self.outcomes[j] {
                    Some(Outcome::Succeeded(v)) => Some((self.names[j].clone(), v.clone())),
                    _ => None,
                })
                .collect();
            let deps = Deps {
                part: self.names[i].clone(),
                outputs,
                ctx: self.run_ctx.clone(),
                deadline: self.opts.deadline,
                checkpoint: self.checkpoints[i].clone(),
            };
            tracing::info!(part = %self.names[i], "starting part");
            self.started_at[i] = Some(Instant::now());
            let handle = self.running.spawn(async move {
                let result = task(deps).await;
                (i, result, Instant::now())
            });
            self.task_ids.insert(handle.id(), i);
        }
    }

    fn trigger_stop(&mut self, reason: StopReason) {
        if self.stop.is_some() {
            return;
        }
        tracing::info!(
            reason = %reason,
            running = self.running.len(),
            grace = %fmt_duration(self.opts.grace),
            "stopping: no new parts start; running parts are asked to return"
        );
        self.stop = Some(reason);
        self.run_ctx.cancelled.cancel();
        self.grace_end = Some(Instant::now() + self.opts.grace);
    }

    fn partial(&self, i: usize) -> Option<T> {
        self.checkpoints[i]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    fn finish(&mut self, done: Result<(tokio::task::Id, Done<T>), tokio::task::JoinError>) {
        match done {
            Ok((id, (i, result, at))) => {
                self.task_ids.remove(&id);
                self.finished_at[i] = Some(at);
                let elapsed = self.elapsed(i);
                match result {
                    Ok(v) => {
                        tracing::info!(part = %self.names[i], elapsed = %elapsed, "part done");
                        self.outcomes[i] = Some(Outcome::Succeeded(v));
                        for k in 0..self.succs[i].len() {
                            let s = self.succs[i][k];
                            self.remaining[s] -= 1;
                        }
                    }
                    Err(mut e) => {
                        if e.part.is_empty() {
                            e.part = self.names[i].clone();
                        }
                        e.resume = self.resume;
                        let partial = self.partial(i);
                        match self.stop {
                            Some(reason) if e.is_stop() => {
                                tracing::info!(part = %self.names[i], elapsed = %elapsed, error = %e.headline(), "part stopped");
                                self.outcomes[i] = Some(Outcome::Cancelled {
                                    reason,
                                    partial,
                                    error: Some(e),
                                });
                            }
                            _ => {
                                tracing::warn!(part = %self.names[i], elapsed = %elapsed, error = %e.headline(), "part failed");
                                self.outcomes[i] = Some(Outcome::Failed { error: e, partial });
                                self.skip_dependents(i);
                            }
                        }
                    }
                }
            }
            Err(join) => {
                let Some(i) = self.task_ids.remove(&join.id()) else {
                    return;
                };
                self.finished_at[i] = Some(Instant::now());
                let partial = self.partial(i);
                if join.is_panic() {
                    let payload = join.into_panic();
                    let msg = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".into());
                    let error = PartError::new(
                        self.names[i].clone(),
                        "internal error (a bug in the provider)",
                        format!("the part's task panicked: {msg}"),
                    )
                    .with_resume(self.resume);
                    tracing::error!(part = %self.names[i], error = %error.headline(), "part panicked");
                    self.outcomes[i] = Some(Outcome::Failed { error, partial });
                    self.skip_dependents(i);
                } else {
                    tracing::info!(part = %self.names[i], "part aborted after the grace period");
                    self.outcomes[i] = Some(Outcome::Cancelled {
                        reason: self.stop.unwrap_or(StopReason::Cancelled),
                        partial,
                        error: None,
                    });
                }
            }
        }
    }

    /// Marks every not-yet-decided part that needs `failed` (transitively) as skipped.
    fn skip_dependents(&mut self, failed: usize) {
        let mut queue: Vec<usize> = self.succs[failed].clone();
        while let Some(j) = queue.pop() {
            if self.outcomes[j].is_some() || self.tasks[j].is_none() {
                continue; // already decided (or, impossibly, running)
            }
            tracing::info!(part = %self.names[j], because = %self.names[failed], "skipping part");
            self.outcomes[j] = Some(Outcome::Skipped {
                because: self.names[failed].clone(),
            });
            queue.extend(self.succs[j].iter().copied());
        }
    }

    async fn abort_rest(&mut self) {
        self.running.abort_all();
        while let Some(done) = self.running.join_next_with_id().await {
            self.finish(done);
        }
    }

    fn elapsed(&self, i: usize) -> String {
        match (self.started_at[i], self.finished_at[i]) {
            (Some(s), Some(f)) => fmt_duration(f.saturating_duration_since(s)),
            _ => "?".into(),
        }
    }
}

fn invert(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]; edges.len()];
    for (i, es) in edges.iter().enumerate() {
        for &j in es {
            out[j].push(i);
        }
    }
    out
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
