//! MSK guardrails: a Kafka version MSK offers, a known broker type, certificate
//! authorities exactly when clients authenticate with TLS, TLS in transit for IAM and TLS
//! authentication; production runs at least 3 brokers.

use mosia_tfplugin::{Diagnostics, Known, Reader};

use super::{
    boolean, check_instance_type, int, lenient, production_error, string, Ctx,
    PRODUCTION_MIN_BROKERS,
};
use crate::resources::environment::cost::Service;
use crate::resources::environment::spec::msk_az_count;

pub(super) fn check_msk(ctx: &Ctx, msk: &Reader, d: &mut Diagnostics) {
    if let Known::Value(v) = string(msk, "kafka_version") {
        if !plausible_kafka_version(v) {
            d.error_at(
                msk.path_of("kafka_version"),
                "Unsupported Kafka version",
                format!(
                    "{v:?} is not an Apache Kafka version MSK offers: expected 2.8.x, 3.x or \
                     4.x as MSK names them, such as \"3.6.0\" or \"3.7.x.kraft\""
                ),
            );
        }
    }
    if let Known::Value(t) = string(msk, "broker_instance_type") {
        check_instance_type(d, msk.path_of("broker_instance_type"), Service::Msk, t);
    }
    if ctx.production() {
        check_msk_production(ctx, msk, d);
    }
    check_msk_authentication(msk, d);
    check_scram(ctx, msk, d);
    check_storage_autoscaling(ctx, msk, d);
    super::msk_configuration::check_msk_configuration(ctx, msk, d);
}

/// SCRAM needs TLS between clients and brokers (MSK Developer Guide, SASL/SCRAM: "TLS
/// encryption in transit") and a customer-managed key for its secrets (MSK cannot read a
/// secret on the AWS-managed key).
fn check_scram(ctx: &Ctx, msk: &Reader, d: &mut Diagnostics) {
    if boolean(msk, "scram").value() != Some(true) {
        return;
    }
    // IAM and TLS authentication already ask for TLS (`check_msk_authentication`).
    let others_need_tls = matches!(
        string(msk, "client_authentication").value(),
        Some("iam" | "tls") | None
    );
    if let Known::Value(t) = string(msk, "encryption_in_transit") {
        if t != "TLS" && !others_need_tls {
            d.error_at(
                msk.path_of("encryption_in_transit"),
                "SCRAM needs TLS",
                format!("msk.scram sends passwords over SASL/SCRAM, which MSK serves over TLS only; encryption_in_transit is {t:?}: set it to \"TLS\""),
            );
        }
    }
    let cmk = match boolean(&ctx.config, "customer_managed_key") {
        Known::Value(on) => on,
        Known::Null => ctx.defaults.is_some_and(|t| t.customer_managed_key),
        Known::Unknown => return,
    };
    if !cmk && ctx.config.is_null("kms_key_arn") {
        d.error_at(
            msk.path_of("scram"),
            "SCRAM needs a customer-managed key",
            "MSK reads SCRAM secrets only when a customer-managed KMS key encrypts them (not the AWS-managed aws/secretsmanager key): set customer_managed_key = true, or kms_key_arn",
        );
    }
}

/// The autoscaling maximum must leave room above the storage (Application Auto Scaling
/// would otherwise never grow it; MSK refuses a volume update that does not grow).
fn check_storage_autoscaling(ctx: &Ctx, msk: &Reader, d: &mut Diagnostics) {
    let Known::Value(max) = int(msk, "storage_autoscaling_max_gb") else {
        return;
    };
    let storage = match int(msk, "storage_gb") {
        Known::Value(s) => s,
        Known::Null => match ctx.defaults {
            Some(t) => t.msk_storage_gb as i64,
            None => return,
        },
        Known::Unknown => return,
    };
    if max <= storage {
        d.error_at(
            msk.path_of("storage_autoscaling_max_gb"),
            "Storage autoscaling maximum at or below the storage",
            format!(
                "storage_autoscaling_max_gb = {max}: the brokers already have {storage} GB \
                 (storage_gb); the maximum must be above it, up to 16384, or unset to turn \
                 autoscaling off"
            ),
        );
    }
}

fn check_msk_production(ctx: &Ctx, msk: &Reader, d: &mut Diagnostics) {
    let (Known::Value(per_az), Some(azs)) = (int(msk, "brokers_per_az"), ctx.network_azs) else {
        return;
    };
    let msk_azs = msk_az_count(azs) as i64;
    let total = per_az * msk_azs;
    // Fewer than 2 AZs is already diagnosed on the network.
    if msk_azs >= 2 && total < PRODUCTION_MIN_BROKERS {
        let needed = (PRODUCTION_MIN_BROKERS as u64).div_ceil(msk_azs as u64);
        production_error(
            d,
            msk.path_of("brokers_per_az"),
            format!(
                "production runs at least {PRODUCTION_MIN_BROKERS} brokers; {per_az} per AZ × \
                 {msk_azs} AZs is {total}: set brokers_per_az = {needed} or more, or leave it out"
            ),
        );
    }
}

fn check_msk_authentication(msk: &Reader, d: &mut Diagnostics) {
    let auth = string(msk, "client_authentication").or(Some("iam"));
    let arns = lenient(msk.list("tls_certificate_authority_arns"));
    let elements = arns.as_ref().value().map_or(&[][..], Vec::as_slice);
    let has_arns = !elements.is_empty() || arns.is_unknown();
    let at_arns = msk.path_of("tls_certificate_authority_arns");
    if auth == Some("tls") && !has_arns {
        d.error_at(
            at_arns.clone(),
            "Missing certificate authorities",
            "client_authentication = \"tls\" needs the ARNs of the ACM Private CAs that issue \
             the client certificates",
        );
    }
    if auth.is_some_and(|a| a != "tls") && !elements.is_empty() {
        d.error_at(
            at_arns.clone(),
            "Certificate authorities not used",
            "tls_certificate_authority_arns is only used with client_authentication = \"tls\"",
        );
    }
    for arn in elements {
        if let Some(a) = lenient(arn.read::<&str>())
            .value()
            .filter(|a| !(a.starts_with("arn:") && a.contains(":acm-pca:")))
        {
            d.error_at(
                arn.path().clone(),
                "Invalid certificate authority",
                format!("{a:?} is not an ACM Private CA ARN (arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID)"),
            );
        }
    }
    // MSK refuses IAM or TLS authentication unless clients reach the brokers over TLS only:
    // a plaintext listener cannot authenticate, so with TLS_PLAINTEXT MSK demands that
    // unauthenticated access be on as well (ClientAuthentication, MSK API reference).
    let transit = string(msk, "encryption_in_transit").or(Some("TLS"));
    if let (Some(auth @ ("iam" | "tls")), Some(t @ ("PLAINTEXT" | "TLS_PLAINTEXT"))) =
        (auth, transit)
    {
        d.error_at(
            msk.path_of("encryption_in_transit"),
            "Authentication needs TLS",
            format!(
                "{auth} client authentication runs over TLS only: with {t:?}, MSK would also have \
                 to accept unauthenticated plaintext clients. Set encryption_in_transit to \"TLS\", \
                 or client_authentication to \"unauthenticated\""
            ),
        );
    }
}

/// MSK version names: MAJOR.MINOR.PATCH with optional suffixes (`3.7.x.kraft`, `2.8.2.tiered`).
fn plausible_kafka_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    let (Some(major), Some(minor)) = (
        parts.first().and_then(|p| p.parse::<u32>().ok()),
        parts.get(1).and_then(|p| p.parse::<u32>().ok()),
    ) else {
        return false;
    };
    let patch_ok = parts
        .get(2)
        .is_some_and(|p| *p == "x" || p.parse::<u32>().is_ok());
    let series_ok = match major {
        2 => minor >= 8,
        3 | 4 => true,
        _ => false,
    };
    patch_ok && series_ok
}
