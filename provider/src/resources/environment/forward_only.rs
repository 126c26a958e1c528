//! Values AWS only moves forward: storage sizes and engine minor versions. AWS grows storage
//! by itself (RDS storage autoscaling, rounding up) and upgrades minor versions by itself
//! (RDS and ElastiCache automatic minor version upgrades), and refuses to move either back.
//! A plan that asked for the smaller value would fail at apply and keep failing; instead the
//! value AWS reached is kept, with a warning when the configuration names a smaller one
//! (terraform-provider-aws suppresses the same diffs: `allocated_storage` with
//! `max_allocated_storage`, `engine_version` with `auto_minor_version_upgrade`).
//!
//! It also keeps a production environment retirable as the README says: a tier change
//! (production → staging) must not plan storage down to the smaller tier's default. And it
//! refuses an RDS storage step under 10%, which RDS refuses.

use mosia_tfplugin::{AttrPath, Diagnostics, PlanRequest};

use crate::aws::version;

/// Sizes that only grow: (block, attribute, what AWS calls it).
const GROW_ONLY: &[(&str, &str, &str)] = &[
    ("rds", "allocated_storage_gb", "RDS storage"),
    ("msk", "storage_gb", "MSK broker storage"),
];

/// Engine versions AWS upgrades within a major by itself: (block, attribute, service).
const AUTO_MINOR: &[(&str, &str, &str)] = &[
    ("rds", "engine_version", "RDS"),
    ("elasticache", "engine_version", "ElastiCache"),
];

/// Keeps in `req.planned` the sizes and versions AWS moved past the configuration.
pub(super) fn keep_what_aws_moved(req: &mut PlanRequest<'_>) {
    if req.prior.is_null() {
        return;
    }
    for (block, attr, what) in GROW_ONLY {
        keep_grown_size(req, block, attr, what);
    }
    for (block, attr, service) in AUTO_MINOR {
        keep_upgraded_minor(req, block, attr, service);
    }
}

fn keep_grown_size(req: &mut PlanRequest<'_>, block: &str, attr: &str, what: &str) {
    let (Some(have), Some(want)) = (
        req.prior.get(block).get(attr).as_i64(),
        req.planned.get(block).get(attr).as_i64(),
    ) else {
        return;
    };
    if have == want {
        return;
    }
    if have < want {
        refuse_small_growth(req, block, attr, what, have, want);
        return;
    }
    keep_prior(req, block, attr);
    if !req.config.get(block).get(attr).is_null() && !grows_by_autoscaling(req, block) {
        warn(
            req.diags,
            block,
            attr,
            &format!("{what} only grows"),
            format!(
                "{what} is {have} GB (grown by AWS, or set larger before); the configured \
                 {want} GB is below it and AWS never shrinks storage, so {have} GB is kept. Set \
                 {attr} = {have} (or more) to match."
            ),
        );
    }
}

/// True when MSK storage autoscaling is on: it grows the brokers' storage past the
/// configured size by design, which is not worth a warning on every plan.
fn grows_by_autoscaling(req: &PlanRequest<'_>, block: &str) -> bool {
    block == "msk"
        && !req
            .config
            .get(block)
            .get("storage_autoscaling_max_gb")
            .is_null()
}

/// RDS grows storage by at least 10% at a time ("Invalid storage size", RDS User Guide,
/// "Increasing DB instance storage capacity"); a smaller step would fail at apply.
fn refuse_small_growth(
    req: &mut PlanRequest<'_>,
    block: &str,
    attr: &str,
    what: &str,
    have: i64,
    want: i64,
) {
    let least = (have * 11 + 9) / 10;
    if block != "rds" || want >= least {
        return;
    }
    req.diags.error_at(
        AttrPath::attr(block).then(attr),
        format!("{what} grows by at least 10%"),
        format!(
            "{attr} = {want}: the storage is {have} GB and RDS grows it by at least 10% at a \
             time, so {least} GB or more"
        ),
    );
}

fn keep_upgraded_minor(req: &mut PlanRequest<'_>, block: &str, attr: &str, service: &str) {
    let (Some(have), Some(want)) = (
        req.prior.get(block).get(attr).as_str(),
        req.planned.get(block).get(attr).as_str(),
    ) else {
        return;
    };
    if !is_newer_minor_of(have, want) {
        return;
    }
    let have = have.to_string();
    let want = want.to_string();
    keep_prior(req, block, attr);
    warn(
        req.diags,
        block,
        attr,
        &format!("{service} upgraded the engine by itself"),
        format!(
            "{service} runs {have} (an automatic minor version upgrade); the configured {want} \
             is older and {service} cannot go back, so {have} is kept. Set {attr} = \"{have}\", \
             or the major version alone, to match."
        ),
    );
}

/// True when `have` is a later version than `want` within the same major (the first
/// component: PostgreSQL, Redis and Valkey majors). A pinned major (`"16"`) matches every
/// `16.x` already and never gets here.
fn is_newer_minor_of(have: &str, want: &str) -> bool {
    let major = |v: &str| v.split('.').next().map(str::to_string);
    !version::matches(want, have)
        && major(have) == major(want)
        && version::key(have) > version::key(want)
}

fn keep_prior(req: &mut PlanRequest<'_>, block: &str, attr: &str) {
    let prior = req.prior.get(block).get(attr).clone();
    if let Some(planned) = req.planned.get_mut(block) {
        planned.set_attr(attr, prior);
    }
}

fn warn(diags: &mut Diagnostics, block: &str, attr: &str, summary: &str, detail: String) {
    diags.warning_at(AttrPath::attr(block).then(attr), summary, detail);
}

#[cfg(test)]
mod tests {
    use mosia_tfplugin::Value;
    use serde_json::json;

    use super::*;
    use crate::resources::environment::testing::{config, created, everything, plan};

    fn with(tier: &str, block: &str, attrs: serde_json::Value) -> Value {
        let mut cfg = everything(tier);
        cfg[block] = attrs;
        config(cfg)
    }

    #[test]
    fn storage_aws_grew_is_kept_with_a_warning_not_planned_as_a_shrink() {
        let cfg = with(
            "dev",
            "rds",
            json!({ "allocated_storage_gb": 100, "max_allocated_storage_gb": 200 }),
        );
        let mut prior = created(&cfg, &[("rds", "allocated_storage_gb", Value::int(120))]);
        // A refresh prices what runs.
        let cost = crate::resources::environment::cost::planned_cost_value(&prior);
        prior.set_attr("estimated_monthly_cost_usd", cost);
        let p = plan(&prior, &cfg);
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        assert_eq!(
            p.value.get("rds").get("allocated_storage_gb"),
            &Value::int(120)
        );
        let warned = p.diags_titled("RDS storage only grows");
        assert_eq!(warned.len(), 1, "{:?}", p.diags);
        assert!(warned[0].detail.contains("120 GB"), "{}", warned[0].detail);
        assert_eq!(p.value, prior, "nothing else changes: an empty plan");
    }

    #[test]
    fn msk_storage_grown_by_autoscaling_is_kept_silently() {
        let cfg = with(
            "dev",
            "msk",
            json!({ "kafka_version": "3.6.0", "storage_gb": 100, "storage_autoscaling_max_gb": 500 }),
        );
        let prior = created(&cfg, &[("msk", "storage_gb", Value::int(150))]);
        let p = plan(&prior, &cfg);
        assert_eq!(p.value.get("msk").get("storage_gb"), &Value::int(150));
        assert!(
            p.diags_titled("MSK broker storage only grows").is_empty(),
            "{:?}",
            p.diags
        );

        // Without autoscaling the configured size below it is worth a word.
        let fixed = with(
            "dev",
            "msk",
            json!({ "kafka_version": "3.6.0", "storage_gb": 100 }),
        );
        let p = plan(&prior, &fixed);
        assert_eq!(p.value.get("msk").get("storage_gb"), &Value::int(150));
        assert_eq!(p.diags_titled("MSK broker storage only grows").len(), 1);
    }

    #[test]
    fn rds_storage_grows_by_at_least_ten_percent() {
        let small = with("dev", "rds", json!({ "allocated_storage_gb": 105 }));
        let prior = created(
            &with("dev", "rds", json!({ "allocated_storage_gb": 100 })),
            &[],
        );
        let p = plan(&prior, &small);
        let refused = p.diags_titled("RDS storage grows by at least 10%");
        assert_eq!(refused.len(), 1, "{:?}", p.diags);
        assert!(
            refused[0].detail.contains("110 GB or more"),
            "{}",
            refused[0].detail
        );
        let enough = with("dev", "rds", json!({ "allocated_storage_gb": 110 }));
        assert!(!plan(&prior, &enough).diags.has_errors());
    }

    #[test]
    fn retiring_production_keeps_storage_above_the_smaller_tiers_defaults() {
        let production = config(everything("production"));
        let prior = created(&production, &[]);
        let rds_before = prior.get("rds").get("allocated_storage_gb").clone();
        let msk_before = prior.get("msk").get("storage_gb").clone();
        let p = plan(&prior, &config(everything("staging")));
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        assert_eq!(p.value.get("rds").get("allocated_storage_gb"), &rds_before);
        assert_eq!(p.value.get("msk").get("storage_gb"), &msk_before);
        // The smaller class of the new tier is announced; the storage kept is not.
        assert!(
            p.diags
                .iter()
                .all(|d| d.summary == "RDS changes apply now" && !d.detail.contains("storage")),
            "tier defaults kept silently: {:?}",
            p.diags
        );
    }

    #[test]
    fn an_automatic_minor_upgrade_is_accepted_with_a_warning() {
        let cfg = with("dev", "rds", json!({ "engine_version": "16.4" }));
        let prior = created(&cfg, &[("rds", "engine_version", Value::from("16.8"))]);
        let p = plan(&prior, &cfg);
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        assert_eq!(
            p.value.get("rds").get("engine_version"),
            &Value::from("16.8")
        );
        assert_eq!(p.diags_titled("RDS upgraded the engine by itself").len(), 1);
        let pinned = with("dev", "rds", json!({ "engine_version": "16" }));
        let p = plan(
            &created(&pinned, &[("rds", "engine_version", Value::from("16.8"))]),
            &pinned,
        );
        assert!(
            p.diags.is_empty(),
            "a pinned major stays valid: {:?}",
            p.diags
        );
    }

    #[test]
    fn only_a_later_minor_of_the_same_major_counts_as_moved_by_aws() {
        assert!(is_newer_minor_of("16.8", "16.4"));
        assert!(is_newer_minor_of("7.1", "7.0"));
        assert!(
            !is_newer_minor_of("16.4", "16.8"),
            "an upgrade the user asks for"
        );
        assert!(
            !is_newer_minor_of("17.2", "16.4"),
            "another major is no minor upgrade"
        );
        assert!(
            !is_newer_minor_of("16.8", "16"),
            "a pinned major already matches"
        );
        assert!(!is_newer_minor_of("16.4", "16.4"));
    }
}
