//! SDK errors as diagnostics that name the operation, the AWS error code and message.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use mosia_tfplugin::Diagnostic;

use crate::engine::PartError;

/// The AWS error code of an SDK error, if the service answered with one.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(e) => e.err().code(),
        _ => None,
    }
}

/// Whether running the call again may succeed: timeouts, transport failures, unparsable
/// responses, and service errors whose code is in `codes` (each service lists its own
/// throttling, internal-error and capacity codes).
pub fn is_transient<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, codes: &[&str]) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => code(err).is_some_and(|c| codes.contains(&c)),
        _ => false,
    }
}

/// HTTP statuses the SDK's standard retry mode retries (its `HttpStatusCodeClassifier`).
const TRANSIENT_STATUSES: [u16; 4] = [500, 502, 503, 504];

/// Whether the SDK's own retry classifiers call this error transient: a timeout, a failed or
/// dropped connection, an unparsable response, an HTTP 500/502/503/504, or a throttling or
/// timeout code of the SDK's lists (`Throttling`, `ThrottlingException`,
/// `RequestLimitExceeded`, `TooManyRequestsException`, `RequestTimeout`, ...). When such an
/// error reaches a part, the SDK's retries (`max_retries` attempts, see `aws/config.rs`) ran
/// out, yet the same call may pass a little later: the error is the part's
/// [`PartError::transient`], and waits poll on through it.
pub fn is_sdk_transient<E: ProvideErrorMetadata, R: HttpStatus>(err: &SdkError<E, R>) -> bool {
    use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => {
            status(err).is_some_and(|s| TRANSIENT_STATUSES.contains(&s))
                || code(err).is_some_and(|c| {
                    THROTTLING_ERRORS.contains(&c) || TRANSIENT_ERRORS.contains(&c)
                })
        }
        _ => false,
    }
}

/// HTTP status of a service error (S3 HEAD requests have no error code, only 404/403).
pub fn status<E, R: HttpStatus>(err: &SdkError<E, R>) -> Option<u16> {
    match err {
        SdkError::ServiceError(e) => Some(e.raw().status_code()),
        _ => None,
    }
}

pub trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// "S3 PutBucketVersioning failed: AccessDenied: ..." with the full chain as detail.
pub fn diagnostic<E, R>(operation: &str, err: &SdkError<E, R>) -> Diagnostic
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = match err {
        SdkError::ServiceError(e) if e.err().code().is_some() => format!(
            "{}: {}",
            e.err().code().unwrap_or_default(),
            e.err().message().unwrap_or("no message")
        ),
        // No AWS error code: the response could not be understood (or never came);
        // the source chain says why.
        other => {
            let mut s = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(e) = src {
                s.push_str(": ");
                s.push_str(&e.to_string());
                src = e.source();
            }
            s
        }
    };
    Diagnostic::error(format!("{operation} failed"), detail)
}

/// One AWS service as the parts see its errors: the label that prefixes operations in
/// messages ("EKS DescribeCluster") and the error codes that may pass by themselves.
/// Each service module declares one `SERVICE` constant; every SDK error of that service
/// becomes a [`PartError`] through [`Service::error`].
#[derive(Debug, Clone, Copy)]
pub struct Service {
    pub label: &'static str,
    /// Throttling, internal-error and capacity codes of this service.
    pub transient_codes: &'static [&'static str],
}

/// Secrets Manager, for the parts that keep or read secrets there.
pub(crate) const SECRETS_MANAGER: Service = Service {
    label: "Secrets Manager",
    transient_codes: &["ThrottlingException", "InternalServiceError"],
};

impl Service {
    /// Whether running the call again may succeed: [`is_transient`] with this service's
    /// codes, or [`is_sdk_transient`].
    pub fn is_transient<E: ProvideErrorMetadata, R: HttpStatus>(
        &self,
        err: &SdkError<E, R>,
    ) -> bool {
        is_transient(err, self.transient_codes) || is_sdk_transient(err)
    }

    /// The part's error for a failed call: "{label} {op}: Code: message", retryable when
    /// the error is transient ([`Service::is_transient`]), and [`PartError::transient`] when
    /// the SDK calls it so ([`is_sdk_transient`]).
    pub fn error<E, R>(
        &self,
        part: impl Into<String>,
        summary: impl Into<String>,
        op: &str,
        err: &SdkError<E, R>,
    ) -> PartError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HttpStatus,
    {
        let operation = format!("{} {op}", self.label);
        let d = diagnostic(&operation, err);
        PartError::new(part, summary, format!("{operation}: {}", d.detail))
            .retryable(self.is_transient(err))
            .transient(is_sdk_transient(err))
    }
}

/// A find: the call's output, `None` when `not_found` recognises the typed error, the
/// error otherwise. Other typed errors are matched with the SDK's own predicates:
/// `e.as_service_error().is_some_and(DeleteClusterError::is_resource_in_use_exception)`.
/// (EC2 models no error shapes: its NotFound codes are matched with [`code`].)
pub fn found<T, E, R>(
    result: Result<T, SdkError<E, R>>,
    not_found: impl FnOnce(&E) -> bool,
) -> Result<Option<T>, SdkError<E, R>> {
    match result {
        Ok(out) => Ok(Some(out)),
        Err(e) if e.as_service_error().is_some_and(not_found) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_eks::operation::describe_cluster::DescribeClusterError;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    const EKS: Service = Service {
        label: "EKS",
        transient_codes: &["ServerException", "InsufficientCapacityException"],
    };

    /// A service error answered with HTTP `status` and `code`.
    fn answered(status: u16, code: Option<&str>) -> SdkError<DescribeClusterError, Response> {
        let mut meta = ErrorMetadata::builder().message("m");
        if let Some(c) = code {
            meta = meta.code(c);
        }
        SdkError::service_error(
            DescribeClusterError::generic(meta.build()),
            Response::new(StatusCode::try_from(status).unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn the_sdk_retries_throttling_5xx_and_transport_errors_and_nothing_else() {
        for (status, code) in [
            (400, Some("ThrottlingException")),
            (400, Some("Throttling")),
            (503, Some("RequestLimitExceeded")),
            (429, Some("TooManyRequestsException")),
            (500, Some("InternalFailure")),
            (503, None),
            (502, None),
        ] {
            assert!(
                is_sdk_transient(&answered(status, code)),
                "{status} {code:?}"
            );
        }
        for (status, code) in [
            (403, Some("AccessDeniedException")),
            (400, Some("ValidationException")),
            (404, Some("ResourceNotFoundException")),
            // A service's own "try later" codes are retryable by the next apply, but not
            // a transient failure of the call.
            (400, Some("InsufficientCapacityException")),
            (409, Some("ResourceInUseException")),
        ] {
            assert!(
                !is_sdk_transient(&answered(status, code)),
                "{status} {code:?}"
            );
        }
        let timeout: SdkError<DescribeClusterError, Response> =
            SdkError::timeout_error("operation timed out");
        assert!(is_sdk_transient(&timeout));
    }

    #[test]
    fn part_errors_say_transient_retryable_or_neither() {
        let e = EKS.error("eks", "reading", "DescribeCluster", &answered(503, None));
        assert!(e.transient && e.retryable);
        let e = EKS.error(
            "eks",
            "creating",
            "CreateCluster",
            &answered(400, Some("InsufficientCapacityException")),
        );
        assert!(!e.transient && e.retryable);
        let e = EKS.error(
            "eks",
            "reading",
            "DescribeCluster",
            &answered(403, Some("AccessDeniedException")),
        );
        assert!(!e.transient && !e.retryable);
        assert_eq!(e.detail, "EKS DescribeCluster: AccessDeniedException: m");
    }
}
