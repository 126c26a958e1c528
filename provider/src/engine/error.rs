//! [`PartError`]: why one part of an environment did not reach its goal, worded for the
//! person who ran `terraform apply`.

use std::fmt;

/// What kind of failure a [`PartError`] is. The runner uses it to tell a part that failed on
/// its own from one that was stopped (StopProvider or the `timeouts` deadline).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartErrorKind {
    /// The part failed: an AWS error, a resource that went to a failed state, a bug.
    Failed,
    /// The part gave up waiting at its deadline.
    TimedOut,
    /// The part stopped because its cancellation token fired.
    Cancelled,
}

/// How the user resumes after a failure; picks the last sentence of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Resume {
    /// Create or update: `terraform apply` again.
    #[default]
    Apply,
    /// Delete: `terraform destroy` again.
    Destroy,
}

impl Resume {
    /// The sentence that tells the user how to continue.
    pub fn hint(self) -> &'static str {
        match self {
            Resume::Apply => "run `terraform apply` again: parts that are already healthy are kept",
            Resume::Destroy => {
                "run `terraform destroy` again: parts that are already deleted stay deleted"
            }
        }
    }
}

/// The failure of one part.
///
/// `Display` gives the whole message a user sees, e.g.
///
/// ```text
/// part `rds-primary` failed: creating DB instance `mosia-dev-pg`: InsufficientDBInstanceCapacity:
/// Cannot create a db.r6g.large in eu-central-1a. This may be temporary: run `terraform apply`
/// again: parts that are already healthy are kept.
/// ```
///
/// [`PartError::headline`] is the same without the resume sentence, for lists of several
/// failures (see [`super::RunReport::failure_message`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartError {
    /// The part's name in the plan. The runner fills it in when a task leaves it empty.
    pub part: String,
    /// What the part was doing, e.g. "creating EKS cluster `mosia-dev`".
    pub summary: String,
    /// The underlying error text, e.g. an AWS error code and message. May be empty.
    pub detail: String,
    /// Whether running the same operation again may succeed without changing anything
    /// (throttling, capacity, a timeout while AWS is still provisioning).
    pub retryable: bool,
    /// The failure of one call that may pass by itself when the same call is made again a
    /// little later (throttling, a 5xx answer, a dropped connection), after the client's own
    /// retries ran out. Narrower than [`Self::retryable`] (which also covers what only the
    /// next apply may fix, e.g. capacity): a wait keeps polling through a transient error
    /// until its deadline instead of failing the part. Implies `retryable`.
    pub transient: bool,
    pub kind: PartErrorKind,
    /// Set by the runner from [`super::Plan::resume`].
    pub resume: Resume,
}

impl PartError {
    /// A non-retryable failure of `part`.
    pub fn new(
        part: impl Into<String>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        PartError {
            part: part.into(),
            summary: summary.into(),
            detail: detail.into(),
            retryable: false,
            transient: false,
            kind: PartErrorKind::Failed,
            resume: Resume::Apply,
        }
    }

    /// Marks the error as retryable (or not).
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// Marks the error as transient (see [`Self::transient`]); a transient error is also
    /// retryable.
    pub fn transient(mut self, transient: bool) -> Self {
        self.transient = transient;
        self.retryable |= transient;
        self
    }

    pub fn with_kind(mut self, kind: PartErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn with_resume(mut self, resume: Resume) -> Self {
        self.resume = resume;
        self
    }

    /// True for errors caused by a stop (cancellation or deadline), not by the part itself.
    pub fn is_stop(&self) -> bool {
        matches!(
            self.kind,
            PartErrorKind::TimedOut | PartErrorKind::Cancelled
        )
    }

    /// "part `x` failed: summary: detail", without the resume sentence.
    pub fn headline(&self) -> String {
        let verb = match self.kind {
            PartErrorKind::Failed => "failed",
            PartErrorKind::TimedOut => "timed out",
            PartErrorKind::Cancelled => "was stopped",
        };
        let mut s = format!("part `{}` {verb}", self.part);
        if !self.summary.is_empty() {
            s.push_str(": ");
            s.push_str(&self.summary);
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }

    /// The sentence that says how to continue, e.g. "This may be temporary: run `terraform
    /// apply` again: parts that are already healthy are kept."
    pub fn resume_sentence(&self) -> String {
        resume_sentence(self.retryable, self.resume)
    }
}

pub(crate) fn resume_sentence(retryable: bool, resume: Resume) -> String {
    if retryable {
        format!("This may be temporary: {}.", resume.hint())
    } else {
        let hint = resume.hint();
        format!("Fix the cause, then {hint}.")
    }
}

impl fmt::Display for PartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headline = self.headline();
        let sep = if headline.ends_with('.') { " " } else { ". " };
        write!(f, "{headline}{sep}{}", self.resume_sentence())
    }
}

impl std::error::Error for PartError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_part_error_and_resume() {
        let e = PartError::new(
            "rds-primary",
            "creating DB instance `mosia-dev-pg`",
            "InsufficientDBInstanceCapacity: Cannot create a db.r6g.large",
        )
        .retryable(true);
        assert_eq!(
            e.to_string(),
            "part `rds-primary` failed: creating DB instance `mosia-dev-pg`: \
             InsufficientDBInstanceCapacity: Cannot create a db.r6g.large. This may be \
             temporary: run `terraform apply` again: parts that are already healthy are kept."
        );
        let e =
            PartError::new("eks-cluster", "creating EKS cluster", "").with_resume(Resume::Destroy);
        assert_eq!(
            e.to_string(),
            "part `eks-cluster` failed: creating EKS cluster. Fix the cause, then run \
             `terraform destroy` again: parts that are already deleted stay deleted."
        );
    }
}
