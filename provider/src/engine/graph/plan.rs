//! The graph itself: parts, their dependencies and tasks, validated before a run (unknown
//! dependencies, duplicates and cycles are a [`GraphError`] naming the parts).

use std::collections::HashMap;
use std::future::Future;

use futures::future::BoxFuture;
use futures::FutureExt;

use super::Deps;
use crate::engine::error::{PartError, Resume};

/// The future a part's task returns.
pub type PartFuture<T> = BoxFuture<'static, Result<T, PartError>>;

pub(super) type Task<T> = Box<dyn FnOnce(Deps<T>) -> PartFuture<T> + Send>;

pub(super) struct PartSpec<T> {
    pub(super) name: String,
    pub(super) depends_on: Vec<String>,
    pub(super) task: Task<T>,
}

/// Named parts, their dependencies and their tasks. Build with [`Plan::part`], run with
/// [`run`].
pub struct Plan<T> {
    pub(super) parts: Vec<PartSpec<T>>,
    pub(super) reversed: bool,
    pub(super) resume: Resume,
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
pub(super) fn find_cycle(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
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
