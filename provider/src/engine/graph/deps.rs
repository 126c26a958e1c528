//! What a running part sees of the graph: its dependencies' outputs, checkpoints, its
//! cancellation and deadline, and waits built from them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use mosia_tfplugin::Context;
use tokio::time::Instant;

use crate::engine::error::PartError;
use crate::engine::wait::{PollSchedule, Waiter};

/// What a part's task receives: its name, the outputs of the parts it waited for, the run's
/// cancellation and deadline, and a place to record what exists so far.
pub struct Deps<T> {
    pub(super) part: String,
    pub(super) outputs: BTreeMap<String, T>,
    pub(super) ctx: Context,
    pub(super) deadline: Option<Instant>,
    pub(super) checkpoint: Arc<Mutex<Option<T>>>,
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
