//! ElastiCache guardrails: an engine version of the chosen engine, a known `cache.` type,
//! a replica for automatic failover and failover for Multi-AZ; IAM authentication and tokens with TLS
//! and Redis OSS 7 or Valkey; production keeps failover on, a replica and authentication.

use mosia_tfplugin::{Diagnostics, Known, Reader};

use super::{boolean, check_instance_type, int, production_error, string, Ctx};
use crate::resources::environment::cost::Service;
use crate::resources::environment::spec::cache_automatic_failover_for;

pub(super) fn check_elasticache(ctx: &Ctx, cache: &Reader, d: &mut Diagnostics) {
    let engine = string(cache, "engine").or(Some("redis"));
    if let (Known::Value(v), Some(engine)) = (string(cache, "engine_version"), engine) {
        if let Err(allowed) = plausible_cache_version(engine, v) {
            d.error_at(
                cache.path_of("engine_version"),
                "Unsupported engine version",
                format!("{v:?} is not a {engine} version ElastiCache offers: expected {allowed}"),
            );
        }
    }
    if let Known::Value(t) = string(cache, "node_type") {
        check_instance_type(d, cache.path_of("node_type"), Service::ElastiCache, t);
    }
    let replicas_field = int(cache, "replicas");
    let replicas = replicas_field.or(ctx.defaults.map(|t| t.cache_replicas as i64));
    let failover_field = boolean(cache, "automatic_failover");
    if failover_field == Known::Value(true) && replicas == Some(0) {
        d.error_at(
            cache.path_of("automatic_failover"),
            "Failover needs a replica",
            "automatic failover promotes a replica when the primary fails: set replicas to 1 or more",
        );
    }
    let failover =
        failover_field.or(replicas.map(|r| cache_automatic_failover_for(r.max(0) as u32)));
    if boolean(cache, "multi_az") == Known::Value(true) && failover == Some(false) {
        d.error_at(
            cache.path_of("multi_az"),
            "Multi-AZ needs failover",
            "ElastiCache Multi-AZ needs automatic_failover = true (and so at least 1 replica)",
        );
    }
    check_authentication(ctx, cache, d);
    check_parameters(cache, d);
    super::windows::check_cache_window(cache, d);
    if ctx.production() {
        if failover_field == Known::Value(false) {
            production_error(
                d,
                cache.path_of("automatic_failover"),
                "production caches fail over to a replica automatically: set automatic_failover \
                 = true or leave it out"
                    .to_string(),
            );
        }
        if replicas_field == Known::Value(0) {
            production_error(
                d,
                cache.path_of("replicas"),
                "production caches keep at least 1 replica to fail over to; got 0".to_string(),
            );
        }
    }
}

/// IAM authentication needs TLS and Redis OSS 7 or later (any Valkey), an AUTH token needs
/// TLS; production refuses a cache without authentication.
/// Parameters live in a group of the engine version's family: the version must be set.
fn check_parameters(cache: &Reader, d: &mut Diagnostics) {
    let configured = super::lenient(cache.string_map("parameters"));
    let has_parameters = configured.value().is_some_and(|m| !m.is_empty());
    if has_parameters && matches!(string(cache, "engine_version"), Known::Null) {
        d.error_at(
            cache.path_of("engine_version"),
            "Engine version needed for parameters",
            "elasticache.parameters live in a parameter group of the engine version's family \
             (redis7, valkey8, ...): set engine_version, e.g. \"7.1\" or \"8.0\"",
        );
    }
}

fn check_authentication(ctx: &Ctx, cache: &Reader, d: &mut Diagnostics) {
    let Some(auth) = string(cache, "authentication").or(Some("iam")) else {
        return;
    };
    let at = cache.path_of("authentication");
    if auth == "none" && ctx.production() {
        production_error(
            d,
            at.clone(),
            "production caches authenticate their clients: use authentication = \"iam\" or \"token\"".into(),
        );
    }
    if auth == "token" && boolean(cache, "transit_encryption") == Known::Value(false) {
        d.error_at(at.clone(), "An AUTH token needs TLS", "ElastiCache accepts an AUTH token only with in-transit encryption: set transit_encryption = true, or authentication = \"none\"");
    }
    if auth != "iam" {
        return;
    }
    if boolean(cache, "transit_encryption") == Known::Value(false) {
        d.error_at(at, "IAM authentication needs TLS", "ElastiCache accepts IAM authentication only with in-transit encryption: set transit_encryption = true, or authentication = \"none\"");
    }
    let engine = string(cache, "engine").value().unwrap_or("redis");
    if let Known::Value(v) = string(cache, "engine_version") {
        if engine == "redis" && v.starts_with("6.") {
            d.error_at(cache.path_of("engine_version"), "IAM authentication needs Redis OSS 7", format!("ElastiCache accepts IAM authentication from Redis OSS 7.0 on, and engine_version is {v:?}: use 7.0 or later, or authentication = \"none\""));
        }
    }
}

/// Ok when `version` is MAJOR.MINOR of a major the engine has; Err lists what is allowed.
fn plausible_cache_version(engine: &str, version: &str) -> Result<(), &'static str> {
    let (majors, allowed): (&[u32], &str) = match engine {
        "redis" => (&[6, 7], "6.x or 7.x as MAJOR.MINOR, such as \"7.1\""),
        "valkey" => (&[7, 8], "7.x or 8.x as MAJOR.MINOR, such as \"8.0\""),
        _ => return Ok(()), // an invalid engine is the schema validator's to report
    };
    let parsed = version
        .split_once('.')
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)));
    match parsed {
        Some((major, _)) if majors.contains(&major) => Ok(()),
        _ => Err(allowed),
    }
}
