//! The `monitoring` block: alert addresses go to Mosia's topic only (your own topic's
//! subscriptions are yours), and each looks like an email address, as SNS requires.

use mosia_tfplugin::{Diagnostics, Reader};

use super::{block, string};

/// Checks the `monitoring` block of `config`.
pub(super) fn check_monitoring(config: &Reader, d: &mut Diagnostics) {
    let Some(m) = block(config, "monitoring") else {
        return;
    };
    let emails = m.value().get("alert_emails").elements().to_vec();
    let at = m.path_of("alert_emails");
    if string(&m, "sns_topic_arn").value().is_some() && !emails.is_empty() {
        d.error_at(
            at.clone(),
            "Alert emails need Mosia's topic",
            "`alert_emails` subscribes addresses to the topic Mosia creates; with \
             `sns_topic_arn` alerts go to your topic: subscribe the addresses there, and \
             leave `alert_emails` out.",
        );
    }
    for e in emails.iter().filter_map(|e| e.as_str()) {
        if !is_email(e) {
            d.error_at(
                at.clone(),
                "Invalid alert email",
                format!(
                    "{e:?} is not an email address: expected NAME@DOMAIN, e.g. oncall@example.com"
                ),
            );
        }
    }
}

/// `local@domain.tld`, without spaces: what SNS accepts as an email endpoint.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_look_like_addresses() {
        assert!(is_email("oncall@example.com"));
        for bad in [
            "oncall",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@.com",
            "a@b@c.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
