//! Workload and data-access guardrails: a workload needs the cluster its pods run in, and
//! the services it asks access to; its role name fits IAM's limit; the data services need
//! someone to admit (the cluster, or `allowed_cidrs` / `allowed_security_group_ids`);
//! production refuses a database workload without IAM database authentication and
//! `0.0.0.0/0` as a data-service source.

use mosia_tfplugin::{AttrPath, Diagnostics, Known, Reader};

use super::{block, boolean, lenient, production_error, string, Ctx};
use crate::aws::workload::MAX_ROLE_NAME;

pub(super) fn check_workloads(ctx: &Ctx, d: &mut Diagnostics) {
    let Known::Value(entries) = lenient(ctx.config.entries("workload")) else {
        return;
    };
    let env_name = string(&ctx.config, "name").value();
    for (name, w) in entries {
        let at = AttrPath::attr("workload").key(name);
        if !valid_workload_name(name) {
            d.error_at(at.clone(), "Invalid workload name", format!("{name:?} names the workload's IAM role and cache user: use lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen"));
        }
        if matches!(lenient(ctx.config.block("eks")), Known::Null) {
            d.error_at(at.clone(), "Workload without a cluster", "a workload's pods run in the environment's EKS cluster: add the eks block, or remove the workload");
        }
        if let Some(env_name) = env_name {
            let role = format!("{env_name}-wl-{name}");
            if role.len() > MAX_ROLE_NAME {
                d.error_at(at.clone(), "Workload name too long", format!("the workload's IAM role `{role}` would have {} characters; IAM allows {MAX_ROLE_NAME}: shorten the workload's name", role.len()));
            }
        }
        check_access(ctx, &w, &at, d);
    }
}

/// Lowercase letters, digits and single hyphens, starting with a letter, not ending with a
/// hyphen: valid in IAM role names and ElastiCache user IDs alike.
fn valid_workload_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Each access asked of a service needs that service; the database's `read_write` needs
/// IAM database authentication.
fn check_access(ctx: &Ctx, w: &Reader, at: &AttrPath, d: &mut Diagnostics) {
    for (attr, service) in [("rds", "rds"), ("elasticache", "elasticache")] {
        let asked = string(w, attr).value().is_some_and(|v| v != "none");
        if asked && block(&ctx.config, service).is_none() {
            d.error_at(at.then(attr), "No such service", format!("the environment has no {service} block to give access to: add it, or set {attr} = \"none\""));
        }
    }
    let msk = block(w, "msk");
    if msk.is_some() {
        match block(&ctx.config, "msk") {
            None => d.error_at(at.then("msk"), "No such service", "the environment has no msk block to give access to: add it, or remove msk from the workload"),
            Some(cluster) => {
                let auth = string(&cluster, "client_authentication").value().unwrap_or("iam");
                let scram = boolean(&cluster, "scram").value() == Some(true);
                if auth != "iam" && !scram {
                    d.error_at(at.then("msk"), "Kafka access needs IAM authentication", format!("workload Kafka access is granted through MSK IAM authentication or SCRAM users, and msk.client_authentication is {auth:?} without msk.scram: set it to \"iam\", or turn msk.scram on"));
                }
            }
        }
    }
    let read_write = string(w, "rds").value() == Some("read_write");
    let iam_auth = block(&ctx.config, "rds").map(|r| boolean(&r, "iam_database_authentication"));
    if read_write && iam_auth == Some(Known::Value(false)) && ctx.production() {
        production_error(d, at.then("rds"), "rds = \"read_write\" connects as its own database user with IAM authentication, which rds.iam_database_authentication = false turns off: turn it on, or use read_secret".into());
    }
}

/// The data services admit the cluster and the network's allowed sources only: with data
/// services and no cluster, a source is required.
pub(super) fn check_data_sources(ctx: &Ctx, d: &mut Diagnostics) {
    let Some(network) = block(&ctx.config, "network") else {
        return;
    };
    let data: Vec<&str> = ["rds", "elasticache", "msk"]
        .into_iter()
        .filter(|s| block(&ctx.config, s).is_some())
        .collect();
    let cidrs = lenient(network.string_list("allowed_cidrs"));
    let groups = lenient(network.string_list("allowed_security_group_ids"));
    if ctx.production() {
        if let Known::Value(cidrs) = &cidrs {
            for (i, c) in cidrs.iter().enumerate().filter(|(_, c)| c.ends_with("/0")) {
                production_error(d, network.path_of("allowed_cidrs").index(i as i64), format!("{c} admits the whole internet to the data services: name the networks that need them"));
            }
        }
    }
    let empty = |k: &Known<Vec<String>>| {
        matches!(k, Known::Null) || matches!(k, Known::Value(v) if v.is_empty())
    };
    // An unknown eks block may be a cluster: checked again once it is known.
    let no_cluster = matches!(lenient(ctx.config.block("eks")), Known::Null);
    if data.is_empty() || !no_cluster || !empty(&cidrs) || !empty(&groups) {
        return;
    }
    d.error_at(
        network.path().clone(),
        "Nobody can reach the data services",
        format!("{} admit only the EKS cluster's security group and network.allowed_cidrs / network.allowed_security_group_ids, never the whole VPC; this environment has no eks block and no allowed source: add the networks or security groups of the clients", data.join(", ")),
    );
}
