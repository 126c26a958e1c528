//! What a run did: per-part outcomes with timestamps, the user-facing failure message, and
//! the critical path (for benchmarks: wall time divided by critical path).

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use super::error::{resume_sentence, PartError, Resume};
use super::fmt_duration;

/// Why a run stopped before every part was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The caller's cancellation token fired (Terraform's StopProvider, i.e. Ctrl-C).
    Cancelled,
    /// The overall deadline passed (the resource's `timeouts` block).
    DeadlineExceeded,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopReason::Cancelled => "Terraform asked the provider to stop",
            StopReason::DeadlineExceeded => "the `timeouts` deadline was reached",
        })
    }
}

/// What happened to one part.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome<T> {
    /// The task returned `Ok`.
    Succeeded(T),
    /// The task returned an error (or panicked). `partial` is the last value the task
    /// recorded with [`super::Deps::checkpoint`]: what exists of the part so far.
    Failed {
        error: PartError,
        partial: Option<T>,
    },
    /// Not run because `because` (a part this one needs, directly or through others) failed.
    /// `because` is always the part that failed itself, never another skipped part.
    Skipped { because: String },
    /// Was running when the run stopped and did not finish. `error` is what the task returned
    /// within the grace period (e.g. a wait's "stopped waiting, last status CREATING"), `None`
    /// when it had to be aborted; `partial` is its last checkpoint.
    Cancelled {
        reason: StopReason,
        partial: Option<T>,
        error: Option<PartError>,
    },
    /// Never started because the run stopped first.
    NotStarted { reason: StopReason },
}

impl<T> Outcome<T> {
    pub fn is_succeeded(&self) -> bool {
        matches!(self, Outcome::Succeeded(_))
    }

    /// The output, or the partial output of a part that did not finish.
    pub fn value(&self) -> Option<&T> {
        match self {
            Outcome::Succeeded(v) => Some(v),
            Outcome::Failed { partial, .. } | Outcome::Cancelled { partial, .. } => {
                partial.as_ref()
            }
            Outcome::Skipped { .. } | Outcome::NotStarted { .. } => None,
        }
    }

    /// A short name of the variant, for logs and tests.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Succeeded(_) => "succeeded",
            Outcome::Failed { .. } => "failed",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Cancelled { .. } => "cancelled",
            Outcome::NotStarted { .. } => "not started",
        }
    }
}

/// One part in a [`RunReport`].
#[derive(Clone, Debug)]
pub struct PartReport<T> {
    pub name: String,
    /// The parts this one waited for in this run: its `depends_on` for a forward run, the
    /// parts that depend on it for a reversed run.
    pub waited_for: Vec<String>,
    pub outcome: Outcome<T>,
    /// When the task was started (`None`: never started).
    pub started: Option<Instant>,
    /// When the task returned or was aborted.
    pub finished: Option<Instant>,
}

impl<T> PartReport<T> {
    /// How long the task ran.
    pub fn duration(&self) -> Option<Duration> {
        Some(self.finished?.saturating_duration_since(self.started?))
    }
}

/// The heaviest chain of dependent parts.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CriticalPath {
    /// From the first part to the last.
    pub parts: Vec<String>,
    /// The sum of the parts' weights (durations).
    pub duration: Duration,
}

/// The result of [`super::run`]: every part of the plan, in plan order.
#[derive(Clone, Debug)]
pub struct RunReport<T> {
    pub parts: Vec<PartReport<T>>,
    pub started: Instant,
    pub finished: Instant,
    /// Set when cancellation or the deadline stopped the run.
    pub stopped: Option<StopReason>,
    /// Create/update or delete: picks the resume sentence.
    pub resume: Resume,
}

impl<T> RunReport<T> {
    pub fn part(&self, name: &str) -> Option<&PartReport<T>> {
        self.parts.iter().find(|p| p.name == name)
    }

    pub fn outcome(&self, name: &str) -> Option<&Outcome<T>> {
        self.part(name).map(|p| &p.outcome)
    }

    /// Every part succeeded.
    pub fn is_success(&self) -> bool {
        self.parts.iter().all(|p| p.outcome.is_succeeded())
    }

    /// From the start of the run to its end.
    pub fn wall_time(&self) -> Duration {
        self.finished.saturating_duration_since(self.started)
    }

    /// What exists: the outputs of parts that succeeded and the checkpoints of parts that
    /// failed or were stopped. This is what goes into state after a partial failure.
    pub fn existing(&self) -> impl Iterator<Item = (&str, &T)> {
        self.parts
            .iter()
            .filter_map(|p| p.outcome.value().map(|v| (p.name.as_str(), v)))
    }

    /// Consumes the report into the `(name, value)` pairs of [`Self::existing`].
    pub fn into_existing(self) -> Vec<(String, T)> {
        self.parts
            .into_iter()
            .filter_map(|p| {
                let v = match p.outcome {
                    Outcome::Succeeded(v) => Some(v),
                    Outcome::Failed { partial, .. } | Outcome::Cancelled { partial, .. } => partial,
                    _ => None,
                };
                v.map(|v| (p.name, v))
            })
            .collect()
    }

    /// The errors of parts that failed (not those of stopped parts).
    pub fn failures(&self) -> impl Iterator<Item = &PartError> {
        self.parts.iter().filter_map(|p| match &p.outcome {
            Outcome::Failed { error, .. } => Some(error),
            _ => None,
        })
    }

    /// The message for the user when not every part succeeded (`None` when all did): one
    /// line per part that did not succeed, the parts that did, and how to resume.
    pub fn failure_message(&self) -> Option<String> {
        if self.is_success() {
            return None;
        }
        let not_done: Vec<_> = self
            .parts
            .iter()
            .filter(|p| !p.outcome.is_succeeded())
            .collect();
        let mut msg = format!(
            "{} of {} parts of the environment did not complete",
            not_done.len(),
            self.parts.len()
        );
        match self.stopped {
            Some(StopReason::DeadlineExceeded) => msg.push_str(&format!(
                " within the `timeouts` deadline ({} elapsed)",
                fmt_duration(self.wall_time())
            )),
            Some(StopReason::Cancelled) => {
                msg.push_str(" because Terraform asked the provider to stop")
            }
            None => {}
        }
        msg.push(':');
        let mut retryable = true;
        for p in &not_done {
            msg.push_str("\n- ");
            match &p.outcome {
                Outcome::Failed { error, .. } => {
                    retryable &= error.retryable;
                    msg.push_str(&error.headline());
                }
                Outcome::Skipped { because } => msg.push_str(&format!(
                    "part `{}` was skipped because `{because}` failed",
                    p.name
                )),
                Outcome::Cancelled { reason, error, .. } => {
                    msg.push_str(&format!("part `{}` was stopped ({reason})", p.name));
                    if let Some(e) = error {
                        let detail = [e.summary.as_str(), e.detail.as_str()]
                            .iter()
                            .filter(|s| !s.is_empty())
                            .copied()
                            .collect::<Vec<_>>()
                            .join(": ");
                        if !detail.is_empty() {
                            msg.push_str(": ");
                            msg.push_str(&detail);
                        }
                    }
                }
                Outcome::NotStarted { reason } => {
                    msg.push_str(&format!("part `{}` was not started ({reason})", p.name))
                }
                Outcome::Succeeded(_) => unreachable!(),
            }
        }
        let done: Vec<_> = self
            .parts
            .iter()
            .filter(|p| p.outcome.is_succeeded())
            .map(|p| format!("`{}`", p.name))
            .collect();
        if !done.is_empty() {
            msg.push_str(&format!("\nParts that completed: {}.", done.join(", ")));
        }
        msg.push('\n');
        msg.push_str(&resume_sentence(retryable, self.resume));
        Some(msg)
    }

    /// The critical path from the measured durations: the chain of parts, each waiting for
    /// the previous, whose summed run times are the largest. Parts that never ran are left
    /// out; ties go to parts earlier in the plan.
    /// `wall_time() / critical_path().duration` is the scheduling overhead (1.0 is
    /// perfect: the run took exactly as long as its longest unavoidable chain).
    pub fn critical_path(&self) -> CriticalPath {
        self.critical_path_by(|p| p.duration())
    }

    /// The critical path with caller-supplied weights, e.g. an emulator's configured
    /// lifecycle per part. Parts weighted `None` are left out (and break chains).
    pub fn critical_path_by(
        &self,
        weight: impl Fn(&PartReport<T>) -> Option<Duration>,
    ) -> CriticalPath {
        let index: HashMap<&str, usize> = self
            .parts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i))
            .collect();
        let preds: Vec<Vec<usize>> = self
            .parts
            .iter()
            .map(|p| {
                p.waited_for
                    .iter()
                    .filter_map(|d| index.get(d.as_str()).copied())
                    .collect()
            })
            .collect();
        let order = topological_order(&preds);
        // best[i] = (longest path ending at i, predecessor on it)
        let mut best: Vec<Option<(Duration, Option<usize>)>> = vec![None; self.parts.len()];
        for &i in &order {
            let Some(w) = weight(&self.parts[i]) else {
                continue;
            };
            let mut from = None;
            let mut acc = Duration::ZERO;
            for &j in &preds[i] {
                if let Some((d, _)) = best[j] {
                    if from.is_none() || d > acc {
                        acc = d;
                        from = Some(j);
                    }
                }
            }
            best[i] = Some((acc + w, from));
        }
        let Some(end) = (0..self.parts.len())
            .filter(|&i| best[i].is_some())
            .max_by(|&a, &b| best[a].unwrap().0.cmp(&best[b].unwrap().0).then(b.cmp(&a)))
        else {
            return CriticalPath::default();
        };
        let duration = best[end].unwrap().0;
        let mut parts = vec![];
        let mut at = Some(end);
        while let Some(i) = at {
            parts.push(self.parts[i].name.clone());
            at = best[i].unwrap().1;
        }
        parts.reverse();
        CriticalPath { parts, duration }
    }

    /// `wall_time / critical_path().duration`; `None` when nothing ran for any time.
    pub fn overhead_ratio(&self) -> Option<f64> {
        let cp = self.critical_path().duration;
        (!cp.is_zero()).then(|| self.wall_time().as_secs_f64() / cp.as_secs_f64())
    }

    /// How long part `name` waited after its last dependency finished before it started
    /// (zero for a part without dependencies: measured from the run's start). Shows that
    /// parts start as soon as they can, not in waves.
    pub fn start_latency(&self, name: &str) -> Option<Duration> {
        let p = self.part(name)?;
        let started = p.started?;
        let mut ready = self.started;
        for d in &p.waited_for {
            ready = ready.max(self.part(d)?.finished?);
        }
        Some(started.saturating_duration_since(ready))
    }
}

/// Kahn's algorithm; nodes on a cycle (impossible after validation) are appended last.
fn topological_order(preds: &[Vec<usize>]) -> Vec<usize> {
    let n = preds.len();
    let mut indegree: Vec<usize> = preds.iter().map(|p| p.len()).collect();
    let mut succs = vec![vec![]; n];
    for (i, ps) in preds.iter().enumerate() {
        for &j in ps {
            succs[j].push(i);
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut queue: std::collections::VecDeque<usize> =
        (0..n).filter(|&i| indegree[i] == 0).collect();
    while let Some(i) = queue.pop_front() {
        order.push(i);
        for &s in &succs[i] {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                queue.push_back(s);
            }
        }
    }
    if order.len() < n {
        let seen: std::collections::HashSet<usize> = order.iter().copied().collect();
        order.extend((0..n).filter(|i| !seen.contains(i)));
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, deps: &[&str], t0: Instant, start: u64, end: u64) -> PartReport<()> {
        PartReport {
            name: name.into(),
            waited_for: deps.iter().map(|s| s.to_string()).collect(),
            outcome: Outcome::Succeeded(()),
            started: Some(t0 + Duration::from_secs(start)),
            finished: Some(t0 + Duration::from_secs(end)),
        }
    }

    #[test]
    fn critical_path_from_timestamps() {
        let t0 = Instant::now();
        // network 0-60, iam 0-5, eks 60-660, nodegroup 660-900, rds 60-560,
        // replica 560-1000 (the longest chain ends here), msk 60-900.
        let parts = vec![
            part("network", &[], t0, 0, 60),
            part("iam", &[], t0, 0, 5),
            part("eks", &["network", "iam"], t0, 60, 660),
            part("nodegroup", &["eks"], t0, 660, 900),
            part("rds", &["network"], t0, 60, 560),
            part("replica", &["rds"], t0, 560, 1000),
            part("msk", &["network"], t0, 60, 900),
        ];
        let report = RunReport {
            parts,
            started: t0,
            finished: t0 + Duration::from_secs(1010),
            stopped: None,
            resume: Resume::Apply,
        };
        let cp = report.critical_path();
        assert_eq!(cp.parts, ["network", "rds", "replica"]);
        assert_eq!(cp.duration, Duration::from_secs(1000));
        let ratio = report.overhead_ratio().unwrap();
        assert!((ratio - 1.01).abs() < 1e-9, "{ratio}");
        assert_eq!(report.start_latency("replica"), Some(Duration::ZERO));

        // With planned weights instead of measured ones the EKS chain is longer.
        let cp = report.critical_path_by(|p| {
            Some(Duration::from_secs(match p.name.as_str() {
                "eks" => 900,
                _ => 10,
            }))
        });
        assert_eq!(cp.parts, ["network", "eks", "nodegroup"]);
        assert_eq!(cp.duration, Duration::from_secs(920));
    }

    #[test]
    fn critical_path_skips_parts_that_never_ran() {
        let t0 = Instant::now();
        let mut parts = vec![part("a", &[], t0, 0, 10), part("b", &["a"], t0, 10, 30)];
        parts[1].started = None;
        parts[1].finished = None;
        parts[1].outcome = Outcome::NotStarted {
            reason: StopReason::Cancelled,
        };
        let report = RunReport {
            parts,
            started: t0,
            finished: t0 + Duration::from_secs(10),
            stopped: Some(StopReason::Cancelled),
            resume: Resume::Apply,
        };
        let cp = report.critical_path();
        assert_eq!(cp.parts, ["a"]);
        assert_eq!(cp.duration, Duration::from_secs(10));
    }
}
