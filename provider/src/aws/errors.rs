//! SDK errors as diagnostics that name the operation, the AWS error code and message.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use mosia_tfplugin::Diagnostic;

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
