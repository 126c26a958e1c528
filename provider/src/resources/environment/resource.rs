//! The `mosia_environment` resource: plan (tier defaults, cost, desired part status), apply
//! (the engine runs every part's idempotent `ensure` on the dependency graph), read (each
//! part described once, drift mapped back into the configuration attributes), delete (the
//! same graph in reverse).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use mosia_tfplugin::{
    ApplyError, ApplyResult, AttrPath, Context, Deletion, Diagnostic, Diagnostics, PlanRequest,
    Resource, Schema, Value,
};
use tokio::time::Instant;

use super::discover::{self, find};
use super::flatten::{fill_applied, is_incomplete, null_unknowns, status_word};
use super::graph::{self, converge_plan, delete_plan, Out};
use super::observe::observed_state;
use super::spec::{self, EnvironmentSpec};
use super::{guardrails, plan, schema};
use crate::aws::eks;
use crate::aws::part::{PartEnv, PartId};
use crate::aws::rds;
use crate::aws::tags;
use crate::engine::{self, PartError, RunReport};
use crate::resources::configured::Configured;

pub use super::flatten::{INCOMPLETE, INCOMPLETE_KEY};

pub struct EnvironmentResource {
    schema: &'static Schema,
    configured: Arc<Configured>,
}

impl EnvironmentResource {
    pub fn new(configured: Arc<Configured>) -> Self {
        EnvironmentResource {
            schema: schema::shared(),
            configured,
        }
    }
}

/// The environment as the AWS parts see it: clients, name, tags, cancellation, deadline.
pub(super) fn part_env(
    configured: &Configured,
    name: &str,
    own_tags: &BTreeMap<String, String>,
    ctx: &Context,
    deadline: Instant,
) -> Result<PartEnv, Diagnostics> {
    let aws = configured.aws()?.clone();
    let tags_all = tags::merge(&aws.settings.default_tags, own_tags);
    Ok(PartEnv {
        aws,
        name: name.to_string(),
        tags: tags_all,
        previous_tag_keys: BTreeSet::new(),
        ctx: ctx.clone(),
        deadline: Some(deadline),
    })
}

impl EnvironmentResource {
    fn part_env(
        &self,
        spec: &EnvironmentSpec,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<PartEnv, Diagnostics> {
        part_env(&self.configured, &spec.name, &spec.tags, ctx, deadline)
    }

    /// Runs `ensure` for every part and turns the report into the new state.
    /// `previous_tag_keys`: the prior state's `tags_all` keys (the tags Mosia may remove).
    async fn converge(
        &self,
        ctx: &Context,
        planned: &Value,
        spec: &EnvironmentSpec,
        timeout: std::time::Duration,
        creating: bool,
        previous_tag_keys: BTreeSet<String>,
    ) -> ApplyResult {
        let deadline = Instant::now() + timeout;
        let mut env = self.part_env(spec, ctx, deadline)?;
        env.previous_tag_keys = previous_tag_keys;
        let warnings = Arc::new(std::sync::Mutex::new(Vec::new()));
        let parts = converge_plan(&env, spec, warnings.clone());
        let report = engine::run(parts, ctx, Some(deadline)).await.map_err(|e| {
            ApplyError::new(Diagnostic::error(
                "Invalid environment graph",
                e.to_string(),
            ))
        })?;
        let outs: BTreeMap<String, Out> = report
            .existing()
            .map(|(n, o)| (n.to_string(), o.clone()))
            .collect();
        let mut state = planned.clone();
        fill_applied(&mut state, &outs);
        let mut status: BTreeMap<String, Value> = report
            .parts
            .iter()
            .map(|p| (p.name.clone(), Value::from(status_word(&p.outcome))))
            .collect();
        if creating && !report.is_success() {
            status.insert(INCOMPLETE_KEY.into(), Value::from(INCOMPLETE));
        }
        state.set_attr("part_status", Value::Map(status));
        null_unknowns(&mut state);
        let mut diags = Diagnostics::new();
        for w in warnings.lock().expect("warnings").iter() {
            diags.warning("Part replaced", w.clone());
        }
        for r in outs.values() {
            let (title, list) = match r {
                Out::Rds(r) => ("Change not applied in place", &r.warnings),
                // ElastiCache reports the replacement of a cache that could not change in place.
                Out::Cache(c) => ("Part replaced", &c.warnings),
                Out::Addon(a) => ("Add-on waiting for nodes", &a.warnings),
                _ => continue,
            };
            for w in list {
                diags.warning(title, w.clone());
            }
        }
        log_report(&report);
        match report.failure_message() {
            None => Ok((state, diags)),
            Some(msg) => {
                let msg = if creating {
                    format!(
                        "{msg}\nTerraform marks the environment tainted; the next `terraform apply` replaces it without \
                         rebuilding: the parts that exist are kept and adopted, only the missing ones are created."
                    )
                } else {
                    msg
                };
                let title = format!("Environment {:?} is not complete", spec.name);
                match failed_block(&report) {
                    Some(at) => diags.error_at(at, title, msg),
                    None => diags.error(title, msg),
                }
                Err(ApplyError::with_state(diags, state))
            }
        }
    }

    /// Schedules the deletion of the environment's own key, which nothing uses any more.
    async fn retire_own_key(
        &self,
        ctx: &Context,
        spec: &EnvironmentSpec,
    ) -> Result<(), Diagnostics> {
        let env = self.part_env(spec, ctx, Instant::now() + spec.timeouts.update)?;
        crate::aws::kms::delete_key(&env).await.map_err(part_diag)
    }

    /// Deletes the parts the prior state has and the planned one does not.
    async fn remove_dropped_parts(
        &self,
        ctx: &Context,
        prior: &EnvironmentSpec,
        planned: &EnvironmentSpec,
    ) -> Result<(), Diagnostics> {
        let mut dropped = prior.clone();
        if planned.eks.is_some() {
            dropped.eks = None;
        }
        if planned.rds.is_some() {
            dropped.rds = None;
        }
        if planned.elasticache.is_some() {
            dropped.elasticache = None;
        }
        if planned.msk.is_some() {
            dropped.msk = None;
        }
        let deadline = Instant::now() + planned.timeouts.update;
        let env = self.part_env(planned, ctx, deadline)?;
        // Node groups removed from a cluster that stays.
        if let (Some(old), Some(new)) = (&prior.eks, &planned.eks) {
            for name in old
                .node_groups
                .keys()
                .filter(|n| !new.node_groups.contains_key(*n))
            {
                eks::delete_node_group(&env, name)
                    .await
                    .map_err(part_diag)?;
            }
        }
        remove_dropped_monitoring(&env, prior, planned).await?;
        if dropped.eks.is_none()
            && dropped.rds.is_none()
            && dropped.elasticache.is_none()
            && dropped.msk.is_none()
        {
            return Ok(());
        }
        let report = engine::run(delete_plan(&env, &dropped, false), ctx, Some(deadline))
            .await
            .map_err(|e| {
                Diagnostics::from(Diagnostic::error(
                    "Invalid environment graph",
                    e.to_string(),
                ))
            })?;
        match report.failure_message() {
            None => Ok(()),
            Some(msg) => Err(Diagnostic::error("Removing parts failed", msg).into()),
        }
    }
}

/// The alarms and the own alert topic when the planned environment no longer has them
/// (alarms first: they publish to the topic).
async fn remove_dropped_monitoring(
    env: &PartEnv,
    prior: &EnvironmentSpec,
    planned: &EnvironmentSpec,
) -> Result<(), Diagnostics> {
    use crate::aws::monitoring;
    if prior.monitoring.alarms && !planned.monitoring.alarms {
        monitoring::delete_alarms(env).await.map_err(part_diag)?;
    }
    if prior.monitoring.budget.is_some() && planned.monitoring.budget.is_none() {
        monitoring::delete_budget(env).await.map_err(part_diag)?;
    }
    if super::graph::has_flow_logs(prior) && !super::graph::has_flow_logs(planned) {
        crate::aws::network::flow_logs::delete_flow_logs(env)
            .await
            .map_err(part_diag)?;
    }
    let copies = prior.backup.copy_to_region.as_deref();
    if super::graph::has_backup(prior) && !super::graph::has_backup(planned) {
        crate::aws::backup::delete(env, copies)
            .await
            .map_err(part_diag)?;
    } else if let Some(region) =
        copies.filter(|r| planned.backup.copy_to_region.as_deref() != Some(*r))
    {
        // Copies no longer go there: the old vault and its copies go.
        crate::aws::backup::delete_copy_vault(env, region)
            .await
            .map_err(part_diag)?;
    }
    if prior.monitoring.own_topic() && !planned.monitoring.own_topic() {
        monitoring::delete_topic(env).await.map_err(part_diag)?;
    }
    Ok(())
}

/// A part's failure, pointing at the part's configuration block.
fn part_diag(e: PartError) -> Diagnostics {
    let at = PartId::parse(&e.part).map(|p| graph::config_path(&p));
    let d = Diagnostic::error(e.headline(), e.to_string());
    match at {
        Some(at) => d.at(at),
        None => d,
    }
    .into()
}

/// A part's failure where there is no configuration to point at (import).
fn unplaced_diag(e: PartError) -> Diagnostics {
    Diagnostic::error(e.headline(), e.to_string()).into()
}

/// The configuration block every failed part belongs to, when they share one.
fn failed_block(report: &RunReport<Out>) -> Option<AttrPath> {
    let mut paths = report
        .failures()
        .filter_map(|e| PartId::parse(&e.part))
        .map(|p| graph::config_path(&p));
    let first = paths.next()?;
    paths.all(|p| p == first).then_some(first)
}

/// Tells each data service the plan replaces for a new key which key to replace it from
/// (the same decision as the plan's, from the prior state).
fn replace_for_key(prior: &Value, new: &mut EnvironmentSpec) {
    for (block, old_key) in plan::key_replacements(prior, new) {
        let key = match block {
            "rds" => new.rds.as_mut().map(|s| &mut s.kms_key),
            "elasticache" => new.elasticache.as_mut().map(|s| &mut s.kms_key),
            "msk" => new.msk.as_mut().map(|s| &mut s.kms_key),
            _ => None,
        };
        if let Some(k) = key {
            k.replace_key = Some(old_key);
        }
    }
}

fn spec_of(v: &Value) -> Result<EnvironmentSpec, Diagnostics> {
    spec::from_value(v)
}

fn log_report(report: &RunReport<Out>) {
    for p in &report.parts {
        tracing::info!(part = %p.name, status = %status_word(&p.outcome), seconds = p.duration().map(|d| d.as_secs_f64()).unwrap_or(0.0), "part finished");
    }
}

#[async_trait]
impl Resource for EnvironmentResource {
    fn type_name(&self) -> &'static str {
        super::TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        // A generated configuration echoes computed network values: not a conflict.
        guardrails::validate(&plan::without_echoes(config), diags);
    }

    fn modify_plan(&self, req: &mut PlanRequest<'_>) {
        plan::modify_plan(self.schema, &self.configured.default_tags(), req);
    }

    async fn create(&self, ctx: &Context, planned: &Value) -> ApplyResult {
        let spec = spec_of(planned)?;
        tracing::info!(environment = %spec.name, tier = ?spec.tier, "creating environment");
        self.converge(
            ctx,
            planned,
            &spec,
            spec.timeouts.create,
            true,
            BTreeSet::new(),
        )
        .await
    }

    async fn read(&self, ctx: &Context, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let spec = spec_of(state)?;
        let env = self.part_env(&spec, ctx, Instant::now() + spec.timeouts.update)?;
        let found = find(&env, &spec).await.map_err(part_diag)?;
        if found.is_empty() {
            tracing::info!(environment = %spec.name, "environment is gone");
            return Ok(None);
        }
        let mut observed = observed_state(state, &spec, &found);
        if is_incomplete(state) {
            if let Some(Value::Map(m)) = observed.get_mut("part_status") {
                m.insert(INCOMPLETE_KEY.into(), Value::from(INCOMPLETE));
            }
        }
        Ok(Some(observed))
    }

    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value) -> ApplyResult {
        let (old, mut new) = (spec_of(prior)?, spec_of(planned)?);
        replace_for_key(prior, &mut new);
        self.remove_dropped_parts(ctx, &old, &new)
            .await
            .map_err(|d| ApplyError::with_state(d, prior.clone()))?;
        // Tags the prior state had are Mosia's: one removed from the configuration is
        // removed from AWS; tags other tools put on the objects are left alone.
        let previous_tag_keys = prior.get("tags_all").string_map().into_keys().collect();
        let applied = self
            .converge(
                ctx,
                planned,
                &new,
                new.timeouts.update,
                false,
                previous_tag_keys,
            )
            .await?;
        // After the converge: what the key encrypted is gone or replaced by then.
        if old.has_own_key() && !new.has_own_key() {
            self.retire_own_key(ctx, &new)
                .await
                .map_err(|d| ApplyError::with_state(d, applied.0.clone()))?;
        }
        Ok(applied)
    }

    async fn delete(&self, ctx: &Context, prior: &Value, why: Deletion) -> Result<(), Diagnostics> {
        let spec = spec_of(prior)?;
        if is_incomplete(prior) && why == Deletion::Unplanned {
            // The delete half of Terraform's replacement of a failed create: keep the parts
            // for the create that follows. (`terraform destroy` is planned with us and
            // deletes them; only cores before 1.3, which plan no destroys, end up here for
            // it too: finish such an environment with `terraform apply` first.)
            tracing::warn!(environment = %spec.name, "environment from a failed create: parts kept for the resuming create");
            return Ok(());
        }
        let deadline = Instant::now() + spec.timeouts.delete;
        let env = self.part_env(&spec, ctx, deadline)?;
        // Refuse before any part is deleted, not only the database.
        if spec.rds.is_some() {
            let protected = rds::protected_instances(&env).await.map_err(part_diag)?;
            if !protected.is_empty() {
                let production = if spec.tier == spec::Tier::Production {
                    " Production requires deletion protection: change `tier` to `staging` in the same apply."
                } else {
                    ""
                };
                return Err(Diagnostic::error(
                    format!("Environment {:?} is protected from deletion", spec.name),
                    format!(
                        "deletion protection is on for {}, so nothing was deleted. To retire the environment, set `rds.deletion_protection = false` and apply, then destroy.{production}",
                        protected.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .at(AttrPath::attr("rds").then("deletion_protection"))
                .into());
            }
        }
        let report = engine::run(
            delete_plan(&env, &spec, spec.network.is_some()),
            ctx,
            Some(deadline),
        )
        .await
        .map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Invalid environment graph",
                e.to_string(),
            ))
        })?;
        log_report(&report);
        match report.failure_message() {
            None => Ok(()),
            Some(msg) => Err(Diagnostic::error(
                format!("Environment {:?} not fully deleted", spec.name),
                msg,
            )
            .into()),
        }
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        if !schema::valid_environment_name(id) {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("expected an environment name (the `name` it was created with, e.g. \"mosia-dev\"), got {id:?}"),
            )
            .into());
        }
        let env = part_env(
            &self.configured,
            id,
            &BTreeMap::new(),
            ctx,
            Instant::now() + spec::DEFAULT_UPDATE_TIMEOUT,
        )?;
        let found = discover::discover(&env, self.schema, &self.configured.default_tags())
            .await
            .map_err(unplaced_diag)?;
        match found {
            Some(state) => {
                tracing::info!(environment = %id, tier = ?state.get("tier").as_str(), "environment imported");
                Ok(state)
            }
            None => Err(Diagnostic::error(
                "Cannot import: environment not found",
                format!(
                    "no AWS object in region {} carries the tag mosia:environment={id}: the environment does not exist there, or was not created by Mosia",
                    env.aws.region()
                ),
            )
            .into()),
        }
    }
}
