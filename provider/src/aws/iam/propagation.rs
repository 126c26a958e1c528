//! A call naming a role Mosia has just created, sent again while the service refuses the
//! role because IAM has not propagated it yet (seconds, sometimes a minute: terraform-provider-aws
//! retries the same refusals for up to 2 minutes). Each caller says which refusal means "not
//! yet": the services word it differently.

use std::future::Future;
use std::time::Duration;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws::part::{PartEnv, PartId};
use crate::aws::wait::AwsKind;
use crate::engine::{PartError, Poll};

/// How long a new role may take to be accepted.
pub const ROLE_PROPAGATION: Duration = Duration::from_secs(120);

/// True when `e` is the service error `code` (any code when None) whose message contains
/// `words`.
pub fn refused_with<E: ProvideErrorMetadata, R>(
    e: &SdkError<E, R>,
    code: Option<&str>,
    words: &str,
) -> bool {
    matches!(e, SdkError::ServiceError(s)
        if code.is_none_or(|c| s.err().code() == Some(c))
            && s.err().message().is_some_and(|m| m.contains(words)))
}

/// `call`'s answer, once it is anything but a refusal `not_yet` says is propagation; a
/// refusal past [`ROLE_PROPAGATION`] fails the part as a timeout naming `what`.
pub async fn until_role_accepted<T, E, R, F, Fut>(
    env: &PartEnv,
    part: &PartId,
    kind: AwsKind,
    what: &str,
    not_yet: impl Fn(&SdkError<E, R>) -> bool,
    mut call: F,
) -> Result<Result<T, SdkError<E, R>>, PartError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
{
    env.waiter(&part.to_string(), kind, what)
        .timeout(ROLE_PROPAGATION)
        .until(|| {
            let fut = call();
            let not_yet = &not_yet;
            async move {
                match fut.await {
                    Err(e) if not_yet(&e) => Poll::Pending("role not accepted yet".into()),
                    done => Poll::<_, PartError>::Ready(done),
                }
            }
        })
        .await
        .map_err(PartError::from)
}
