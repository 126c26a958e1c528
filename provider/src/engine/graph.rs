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
//! The engine does not retry: AWS throttling is retried by the SDK, and a failed part is
//! resumed by the next `terraform apply`, whose tasks adopt what exists (ownership tags).
//! A part that needs no work (healthy, unchanged) still belongs in the plan, with a task that
//! returns its current output at once, so that its dependents can read it.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;
use mosia_tfplugin::Context;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::error::{PartError, Resume};
use super::fmt_duration;
use super::report::{Outcome, PartReport, RunReport, StopReason};
use super::wait::{PollSchedule, Waiter};

/// How long running parts get to return after a stop before they are aborted.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// The future a part's task returns.
pub type PartFuture<T> = BoxFuture<'static, Result<T, PartError>>;

type Task<T> = Box<dyn FnOnce(Deps<T>) -> PartFuture<T> + Send>;

struct PartSpec<T> {
    name: String,
    depends_on: Vec<String>,
    task: Task<T>,
}

/// Named parts, their dependencies and their tasks. Build with [`Plan::part`], run with
/// [`run`].
pub struct Plan<T> {
    parts: Vec<PartSpec<T>>,
    reversed: bool,
    resume: Resume,
}

impl<T> Default for Plan<T> {
    fn default() -> Self {
        Plan {
            parts: vec![],
            reversed: false,
            resume: Resume::Apply,
        }
    }
}

impl<T> std::fmt::Debug for Plan<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for p in &self.parts {
            m.entry(&p.name, &p.depends_on);
        }
        m.finish()?;
        if self.reversed {
            f.write_str(" (reversed)")?;
        }
        Ok(())
    }
}

impl<T: Clone + Send + 'static> Plan<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds part `name`, to start once every part in `depends_on` has succeeded. Problems
    /// (duplicate name, unknown dependency, cycle) surface in [`Plan::validate`] / [`run`].
    pub fn part<F, Fut>(
        &mut self,
        name: impl Into<String>,
        depends_on: &[&str],
        task: F,
    ) -> &mut Self
    where
        F: FnOnce(Deps<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, PartError>> + Send + 'static,
    {
        let mut deps: Vec<String> = vec![];
        for d in depends_on {
            if !deps.iter().any(|x| x == d) {
                deps.push((*d).to_owned());
            }
        }
        self.parts.push(PartSpec {
            name: name.into(),
            depends_on: deps,
            task: Box::new(move |d| task(d).boxed()),
        });
        self
    }

    /// [`Plan::part`] for builder chains.
    pub fn with_part<F, Fut>(
        mut self,
        name: impl Into<String>,
        depends_on: &[&str],
        task: F,
    ) -> Self
    where
        F: FnOnce(Deps<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, PartError>> + Send + 'static,
    {
        self.part(name, depends_on, task);
        self
    }

    /// The plan for deleting: every edge flipped, so a part runs after all the parts that
    /// depend on it are done. Also sets [`Resume::Destroy`] (change it with
    /// [`Plan::resume`]). Reversing twice restores the original order.
    pub fn reversed(mut self) -> Self {
        self.reversed = !self.reversed;
        self.resume = if self.reversed {
            Resume::Destroy
        } else {
            Resume::Apply
        };
        self
    }

    /// Which command the failure messages tell the user to run again.
    pub fn resume(mut self, resume: Resume) -> Self {
        self.resume = resume;
        self
    }
}

impl<T> Plan<T> {
    pub fn is_reversed(&self) -> bool {
        self.reversed
    }

    /// Which command failure messages will tell the user to run again.
    pub fn resume_kind(&self) -> Resume {
        self.resume
    }

    pub fn len(&self) -> usize {
        self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The part names in the order they were added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().map(|p| p.name.as_str())
    }

    /// Checks names, dependencies and cycles; [`run`] calls it first.
    pub fn validate(&self) -> Result<(), GraphError> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, p) in self.parts.iter().enumerate() {
            if p.name.is_empty() {
                return Err(GraphError::EmptyName);
            }
            if index.insert(p.name.as_str(), i).is_some() {
                return Err(GraphError::DuplicatePart(p.name.clone()));
            }
        }
        let mut deps: Vec<Vec<usize>> = Vec::with_capacity(self.parts.len());
        for p in &self.parts {
            let mut d = vec![];
            for dep in &p.depends_on {
                match index.get(dep.as_str()) {
                    Some(&j) => d.push(j),
                    None => {
                        return Err(GraphError::UnknownDependency {
                            part: p.name.clone(),
                            dependency: dep.clone(),
                        })
                    }
                }
            }
            deps.push(d);
        }
        if let Some(cycle) = find_cycle(&deps) {
            return Err(GraphError::Cycle(
                cycle
                    .into_iter()
                    .map(|i| self.parts[i].name.clone())
                    .collect(),
            ));
        }
        Ok(())
    }
}

/// Why a plan cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("a part of the plan has an empty name")]
    EmptyName,
    #[error("part `{0}` is defined more than once")]
    DuplicatePart(String),
    #[error("part `{part}` depends on `{dependency}`, which is not a part of the plan")]
    UnknownDependency { part: String, dependency: String },
    /// The parts on the cycle, each depending on the next; the first is repeated at the end.
    #[error("dependency cycle: {} (each part depends on the next)", .0.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(" → "))]
    Cycle(Vec<String>),
}

/// A cycle as node indices, first node repeated at the end; `None` for a DAG. Depth-first in
/// plan order, so the result is deterministic.
fn find_cycle(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        marks[i] = Mark::OnStack;
        stack.push(i);
        for &j in &deps[i] {
            match marks[j] {
                Mark::OnStack => {
                    let from = stack.iter().position(|&k| k == j).unwrap();
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(j);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(j, deps, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks[i] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; deps.len()];
    let mut stack = vec![];
    for i in 0..deps.len() {
        if marks[i] == Mark::New {
            if let Some(c) = visit(i, deps, &mut marks, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

/// What a part's task receives: its name, the outputs of the parts it waited for, the run's
/// cancellation and deadline, and a place to record what exists so far.
pub struct Deps<T> {
    part: String,
    outputs: BTreeMap<String, T>,
    ctx: Context,
    deadline: Option<Instant>,
    checkpoint: Arc<Mutex<Option<T>>>,
}

impl<T> std::fmt::Debug for Deps<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps")
            .field("part", &self.part)
            .field("outputs", &self.outputs.keys().collect::<Vec<_>>())
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl<T> Deps<T> {
    /// This part's name.
    pub fn part(&self) -> &str {
        &self.part
    }

    /// The output of `name`, if it is one of the parts this one waited for (its
    /// `depends_on` in a forward run; the parts depending on it in a reversed run).
    pub fn get(&self, name: &str) -> Option<&T> {
        self.outputs.get(name)
    }

    /// Like [`Deps::get`], with an error naming both parts when `name` is not a dependency
    /// (a bug in the plan: declare the dependency).
    pub fn output(&self, name: &str) -> Result<&T, PartError> {
        self.outputs.get(name).ok_or_else(|| {
            PartError::new(
                self.part.clone(),
                format!("reading the output of part `{name}`"),
                format!(
                    "`{name}` is not a dependency of `{}` (a bug in the provider)",
                    self.part
                ),
            )
        })
    }

    /// All dependency outputs, by part name.
    pub fn outputs(&self) -> &BTreeMap<String, T> {
        &self.outputs
    }

    /// The run's context: its token fires on StopProvider and at the deadline. Pass it to
    /// every wait and long call.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    pub fn is_cancelled(&self) -> bool {
        self.ctx.is_cancelled()
    }

    /// The run's overall deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Records what exists of this part so far (e.g. right after the create call returned
    /// an ARN). If the part then fails, is cancelled or even aborted, the report carries this
    /// value as its `partial` output so that it can be written to state.
    pub fn checkpoint(&self, value: T) {
        *self.checkpoint.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
    }

    /// A [`PartError`] for this part.
    pub fn error(&self, summary: impl Into<String>, detail: impl Into<String>) -> PartError {
        PartError::new(self.part.clone(), summary, detail)
    }

    /// A [`Waiter`] for this part with the run's cancellation and deadline.
    pub fn waiter(&self, schedule: PollSchedule) -> Waiter<'_> {
        Waiter::new(&self.part, schedule)
            .cancel(&self.ctx)
            .deadline(self.deadline)
    }
}

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
