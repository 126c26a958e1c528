"""RDS monitoring settings of DB instances (standalone instances and read replicas):
Performance Insights (`EnablePerformanceInsights`, `PerformanceInsightsKMSKeyId`,
`PerformanceInsightsRetentionPeriod`), Enhanced Monitoring (`MonitoringInterval`,
`MonitoringRoleArn`) and log exports to CloudWatch Logs (`EnableCloudwatchLogsExports` on
CreateDBInstance / CreateDBInstanceReadReplica, `CloudwatchLogsExportConfiguration` on
ModifyDBInstance), with what DescribeDBInstances reports about them.

Applied for the "rds" service: `apply` applies `rds_kms` (and through it the other RDS
patches) first, so these wrappers see each request before them.

moto 5.2.5 dropped the three Performance Insights parameters (DescribeDBInstances had no
PerformanceInsights* member), accepted any MonitoringInterval and any role ARN, reported no
EnhancedMonitoringResourceArn, accepted any log type, answered a DisableLogTypes of a type
not exported with an internal error, exported a type twice when enabled twice, and gave a
read replica the very list object of its source (a change to one changed both). It created
no log group.

Sources (wording not found is marked "assumed"):

Performance Insights
- Retention: CreateDBInstance / ModifyDBInstance reference, PerformanceInsightsRetentionPeriod
  (7, month * 31 for 1-23 months, or 731; default 7); RDS User Guide, "Turning Performance
  Insights on and off" (USER_PerfInsights.Enabling): InvalidParameterValue "Invalid
  Performance Insights retention period. Valid values are: [7, 31, 62, ..., 713, 731]".
- Key: reference, PerformanceInsightsKMSKeyId ("If you don't specify a value ..., then Amazon
  RDS uses your default KMS key": the AWS managed key aws/rds, `kms_managed`); reported as the
  key ARN like the storage key (`rds_kms`; assumed for an alias). A key that is missing,
  disabled, pending deletion, in another Region or not a symmetric encryption key:
  KMSKeyNotAccessibleFault as for the storage key (assumed for this parameter).
- The key cannot change once Performance Insights has been on (with any key, aws/rds
  included), even after turning it off: InvalidParameterCombination "You can't change your
  Performance Insights KMS key." (terraform-provider-aws #42981, 2025; #9746 quotes the older
  "You cannot change your Performance Insights KMS key" for a default-to-custom change).
  Turned off, the instance still reports its key, and turned on again without a key it uses
  that key (terraform-provider-aws #6453). The retention period is kept the same way (assumed).
- A key or a retention period without EnablePerformanceInsights=true: ModifyDBInstance
  InvalidParameterCombination "Can not set PerformanceInsightsKMSKeyId without
  EnablePerformanceInsights" (terraform-provider-aws #3015) and "Cannot set
  PerformanceInsightsRetention without EnablePerformanceInsights" (terraform-aws-modules/
  terraform-aws-rds #147); CreateDBInstance InvalidParameterCombination "To enable Performance
  Insights, EnablePerformanceInsights must be set to 'true'" (cloudposse/
  terraform-aws-rds-cluster #158; which of the two parameters triggered it is not said:
  assumed for both); CreateDBInstanceReadReplica answers as ModifyDBInstance (assumed).
- Instance classes: RDS User Guide, "Amazon RDS DB engine, Region, and instance class support
  for Performance Insights" / "... for Database Insights": no restriction for RDS for
  PostgreSQL (N/A); MariaDB and MySQL not on db.t2.micro, db.t2.small, db.t3.micro,
  db.t3.small, db.t4g.micro, db.t4g.small. Refused with InvalidParameterCombination
  "Performance Insights not supported for this configuration." (as AWS answers it for
  db.t3.micro in many deployment reports; CloudFormation "Performance Insights not supported
  for this configuration. (Service: Rds, Status Code: 400 ...)").
- Changes apply at once whatever ApplyImmediately says (User Guide, USER_PerfInsights.Enabling:
  "If you choose Apply during the next scheduled maintenance window, your instance ignores this
  setting and turns on Performance Insights immediately").

Enhanced Monitoring
- MonitoringInterval: reference, "Valid Values: 0 | 1 | 5 | 10 | 15 | 30 | 60", default 0;
  another value: InvalidParameterValue (wording assumed).
- A non-zero interval needs a role: InvalidParameterCombination "A MonitoringRoleARN value is
  required if you specify a MonitoringInterval value other than 0." (CreateDBInstance:
  terraform-aws-modules/terraform-aws-rds #140, cloudposse/terraform-aws-rds #75;
  ModifyDBInstance: the same answer in a terraform-provider-aws user report). A role with
  interval 0: InvalidParameterCombination "You must specify a MonitoringInterval value other
  than 0 when you specify a MonitoringRoleARN value." (azavea/terraform-aws-postgresql-rds #31,
  terraform-provider-aws #315; on ModifyDBInstance assumed). An empty MonitoringRoleArn counts
  as none (terraform-provider-aws sends "" to clear it).
- The role must exist and trust monitoring.rds.amazonaws.com (RDS User Guide, "Setting up and
  enabling Enhanced Monitoring": the role's trust relationship names the
  monitoring.rds.amazonaws.com service): InvalidParameterValue "IAM role ARN value is invalid
  or does not include the required permissions for: ENHANCED_MONITORING" (reports of
  CreateDBInstance and CreateDBInstanceReadReplica). RDS sees a new role only after IAM's
  propagation delay (`iam_role.propagate`, `patches.iam`): the same answer (cdkd #794, a role
  created in the same deployment). Its permissions (AmazonRDSEnhancedMonitoringRole) are not
  checked.
- DescribeDBInstances: MonitoringInterval, MonitoringRoleArn and EnhancedMonitoringResourceArn,
  the log stream `arn:aws:logs:REGION:ACCOUNT:log-group:RDSOSMetrics:log-stream:DBI_RESOURCE_ID`
  (API reference, DBInstance; RDS User Guide, "Viewing OS metrics using CloudWatch Logs"). The
  resource ARN stays after monitoring is turned off, the interval becomes 0 (pganalyze/collector
  #701). A request with interval 0 and no MonitoringRoleArn keeps the role (assumed).

Log exports
- Values per engine: CreateDBInstance / ModifyDBInstance reference, EnableCloudwatchLogsExports
  and CloudwatchLogsExportConfiguration: RDS for PostgreSQL `postgresql | upgrade |
  iam-db-auth-error` (iam-db-auth-error since 2025: terraform-provider-aws #41407), MySQL and
  MariaDB `audit | error | general | slowquery | iam-db-auth-error`; other engines are not
  checked. Another value: InvalidParameterCombination "You cannot use the log types 'general',
  'audit' with engine version postgres 16.3. For supported log types, see the documentation."
  (the form AWS answers for aurora-postgresql: hashicorp/terraform #22538, awsdocs/
  amazon-rds-user-guide #80).
- "A change to the CloudwatchLogsExportConfiguration parameter is always applied to the DB
  instance immediately" (ModifyDBInstance reference). Disabling a type that is not exported
  changes nothing; enabling an exported one again changes nothing; the same type in both lists
  is refused with InvalidParameterCombination (all three assumed).
- RDS publishes to the log group `/aws/rds/instance/<DB instance identifier>/<log type>` (RDS
  User Guide, "Publishing database logs to Amazon CloudWatch Logs"), which it creates when it
  does not exist, with no retention ("never expire"; aws-cdk `cloudwatchLogsRetention`:
  "default is to never expire logs"); an existing group (e.g. created beforehand with a
  retention) is kept as it is. The group appears when the instance publishes: once the create
  (or the modification) is over, i.e. after the rds_instance create (update) duration.
- Read replicas export, monitor and run Performance Insights as their own request says: none
  of the source's settings is inherited (assumed: the API defaults apply). A blue/green
  deployment's green instance copies the blue one's (as `rds_blue_green` copies its other
  settings).

Not modelled: the RDSOSMetrics log group Enhanced Monitoring writes to, DatabaseInsightsMode,
PendingModifiedValues.PendingCloudwatchLogsExports while the instance is modifying; restores
(RestoreDBInstanceFromDBSnapshot) are not checked here and start with Performance Insights,
Enhanced Monitoring and log exports as moto restores them (exports) or off (the other two)."""

from __future__ import annotations

from typing import Any

from moto.logs.models import logs_backends
from moto.rds.exceptions import InvalidParameterCombination, InvalidParameterValue
from moto.rds.models import BlueGreenDeployment, DBInstance, RDSBackend

from .. import lifecycle
from . import rds_kms, wrap
from . import rds_rules as rules
from .iam import trusts_service, visible_role
from .kms_managed import aws_managed_key_arn, customer_key
from .kms_policy import usable_key

KIND = "rds_instance"

# Performance Insights
DEFAULT_RETENTION = 7
RETENTION_PERIODS = (7, *(31 * months for months in range(1, 24)), 731)
# Instance classes without Performance Insights, per engine (PostgreSQL: none).
NO_INSIGHTS_CLASSES = {
    engine: frozenset(
        ("db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small")
    )
    for engine in ("mysql", "mariadb")
}

# Enhanced Monitoring
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
MONITORING_SERVICE = "monitoring.rds.amazonaws.com"

# Log exports
_MYSQL_LOGS = ("audit", "error", "general", "slowquery", "iam-db-auth-error")
LOG_TYPES: dict[str, tuple[str, ...]] = {
    "postgres": ("postgresql", "upgrade", "iam-db-auth-error"),
    "mysql": _MYSQL_LOGS,
    "mariadb": _MYSQL_LOGS,
}


def given(kwargs: dict[str, Any], key: str) -> bool:
    return kwargs.get(key) is not None


# ---------------------------------------------------------------------------------------------
# Performance Insights


def check_retention(days: Any, op: str) -> int:
    value = int(days)
    if value not in RETENTION_PERIODS:
        raise rules.refuse(
            InvalidParameterValue(
                "Invalid Performance Insights retention period. Valid values are: "
                f"[{', '.join(str(d) for d in RETENTION_PERIODS)}]"
            ),
            op,
        )
    return value


def check_class(engine: str, instance_class: Any, op: str) -> None:
    if str(instance_class or "") in NO_INSIGHTS_CLASSES.get(engine, ()):
        raise rules.refuse(
            InvalidParameterCombination("Performance Insights not supported for this configuration."), op
        )


def plan_insights_create(backend: RDSBackend, engine: str, kwargs: dict[str, Any], op: str) -> dict[str, Any]:
    """CreateDBInstance / CreateDBInstanceReadReplica: the Performance Insights settings the new
    instance gets (checked)."""
    enabled = rules.truthy(kwargs.get("enable_performance_insights"))
    key = kwargs.get("performance_insights_kms_key_id")
    retention = kwargs.get("performance_insights_retention_period")
    if not enabled:
        if key or retention is not None:
            message = (
                "To enable Performance Insights, EnablePerformanceInsights must be set to 'true'"
                if op == "CreateDBInstance"
                else "Can not set PerformanceInsightsKMSKeyId without EnablePerformanceInsights"
                if key
                else "Cannot set PerformanceInsightsRetention without EnablePerformanceInsights"
            )
            raise rules.refuse(InvalidParameterCombination(message), op)
        return {"enabled": False, "key": None, "retention": None}
    days = check_retention(retention, op) if retention is not None else DEFAULT_RETENTION
    check_class(engine, kwargs.get("db_instance_class"), op)
    if key:
        arn = rds_kms.key_arn(backend, str(key), op)
    else:
        arn = aws_managed_key_arn(backend.account_id, backend.region_name, "rds")
    return {"enabled": True, "key": arn, "retention": days}


def plan_insights_modify(backend: RDSBackend, db: DBInstance, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """ModifyDBInstance: the instance's Performance Insights settings after the request (None:
    the request does not touch them)."""
    op = "ModifyDBInstance"
    asked = kwargs.get("enable_performance_insights")
    key = kwargs.get("performance_insights_kms_key_id")
    retention = kwargs.get("performance_insights_retention_period")
    if asked is None and not key and retention is None:
        return None
    enabled = rules.truthy(asked)
    if not enabled:
        if key:
            raise rules.refuse(
                InvalidParameterCombination(
                    "Can not set PerformanceInsightsKMSKeyId without EnablePerformanceInsights"
                ),
                op,
            )
        if retention is not None:
            raise rules.refuse(
                InvalidParameterCombination(
                    "Cannot set PerformanceInsightsRetention without EnablePerformanceInsights"
                ),
                op,
            )
        # Turned off: the key and the retention period stay with the instance.
        return {
            "enabled": False,
            "key": getattr(db, "performance_insights_kms_key_id", None),
            "retention": getattr(db, "performance_insights_retention_period", None),
        }
    current = getattr(db, "performance_insights_kms_key_id", None)
    if retention is not None:
        days = check_retention(retention, op)
    else:
        days = getattr(db, "performance_insights_retention_period", None) or DEFAULT_RETENTION
    check_class(str(db.engine), kwargs.get("db_instance_class") or db.db_instance_class, op)
    if current:
        if key:
            wanted = customer_key(backend.account_id, backend.region_name, str(key))
            if wanted is None or wanted.arn != current:
                raise rules.refuse(
                    InvalidParameterCombination("You can't change your Performance Insights KMS key."), op
                )
        arn = current
    elif key:
        arn = rds_kms.key_arn(backend, str(key), op)
    else:
        arn = aws_managed_key_arn(backend.account_id, backend.region_name, "rds")
    return {"enabled": True, "key": arn, "retention": days}


def set_insights(db: DBInstance, plan: dict[str, Any]) -> None:
    db.performance_insights_enabled = plan["enabled"]
    db.performance_insights_kms_key_id = plan["key"]
    db.performance_insights_retention_period = plan["retention"]


# ---------------------------------------------------------------------------------------------
# Enhanced Monitoring


def role_of(kwargs: dict[str, Any]) -> str | None:
    """MonitoringRoleArn as asked: None when absent, "" when asked to clear it."""
    role = kwargs.get("monitoring_role_arn")
    return None if role is None else str(role)


def check_interval(value: Any, op: str) -> int:
    interval = int(value)
    if interval not in MONITORING_INTERVALS:
        raise rules.refuse(
            InvalidParameterValue(
                f"Invalid value {interval} for MonitoringInterval. Valid values are: "
                f"{', '.join(str(i) for i in MONITORING_INTERVALS)}."
            ),
            op,
        )
    return interval


def check_role(role_arn: str, op: str) -> None:
    role = visible_role(role_arn)
    if role is None or not trusts_service(role, MONITORING_SERVICE):
        raise rules.refuse(
            InvalidParameterValue(
                "IAM role ARN value is invalid or does not include the required permissions for: "
                "ENHANCED_MONITORING"
            ),
            op,
        )


def plan_monitoring(kwargs: dict[str, Any], db: DBInstance | None, op: str) -> dict[str, Any] | None:
    """The interval and role after the request (None: the request does not touch them). On a
    create `db` is None (defaults: interval 0, no role)."""
    asked_interval = kwargs.get("monitoring_interval")
    asked_role = role_of(kwargs)
    if asked_interval is None and asked_role is None:
        return None if db is not None else {"interval": 0, "role": None}
    interval = (
        check_interval(asked_interval, op)
        if asked_interval is not None
        else int(getattr(db, "monitoring_interval", 0) or 0)
    )
    if asked_role:
        if interval == 0:
            raise rules.refuse(
                InvalidParameterCombination(
                    "You must specify a MonitoringInterval value other than 0 when you specify a "
                    "MonitoringRoleARN value."
                ),
                op,
            )
        role: str | None = asked_role
    elif asked_role == "":
        role = None
    else:
        role = getattr(db, "monitoring_role_arn", None) if db is not None else None
    if interval != 0:
        if not role:
            raise rules.refuse(
                InvalidParameterCombination(
                    "A MonitoringRoleARN value is required if you specify a MonitoringInterval "
                    "value other than 0."
                ),
                op,
            )
        check_role(role, op)
    return {"interval": interval, "role": role}


def set_monitoring(db: DBInstance, plan: dict[str, Any]) -> None:
    db.monitoring_interval = plan["interval"]
    db.monitoring_role_arn = plan["role"]
    if plan["interval"]:
        db.enhanced_monitoring_resource_arn = (
            f"arn:aws:logs:{db.region}:{db.account_id}:log-group:RDSOSMetrics:log-stream:"
            f"{db.dbi_resource_id}"
        )


# ---------------------------------------------------------------------------------------------
# Log exports


def check_log_types(engine: str, version: str, types: list[str], op: str) -> None:
    allowed = LOG_TYPES.get(engine)
    if allowed is None:
        return
    wrong = [t for t in types if t not in allowed]
    if wrong:
        raise rules.refuse(
            InvalidParameterCombination(
                f"You cannot use the log types {', '.join(repr(t) for t in wrong)} with engine "
                f"version {engine} {version}. For supported log types, see the documentation."
            ),
            op,
        )


def unique(types: Any) -> list[str]:
    out: list[str] = []
    for t in types or []:
        if str(t) not in out:
            out.append(str(t))
    return out


def export_config(kwargs: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    config = kwargs.get("cloudwatch_logs_export_configuration")
    if config is None:
        return None
    enable = config.get("EnableLogTypes") or config.get("enable_log_types") or []
    disable = config.get("DisableLogTypes") or config.get("disable_log_types") or []
    return unique(enable), unique(disable)


def plan_exports_modify(db: DBInstance, kwargs: dict[str, Any]) -> list[str] | None:
    op = "ModifyDBInstance"
    lists = export_config(kwargs)
    if lists is None:
        return None
    enable, disable = lists
    check_log_types(str(db.engine), str(db.engine_version), enable + [t for t in disable if t not in enable], op)
    both = [t for t in enable if t in disable]
    if both:
        raise rules.refuse(
            InvalidParameterCombination(
                f"You cannot enable and disable the log types {', '.join(repr(t) for t in both)} "
                "in the same request."
            ),
            op,
        )
    current = [t for t in unique(db.enabled_cloudwatch_logs_exports) if t not in disable]
    return current + [t for t in enable if t not in current]


def log_group_name(db: DBInstance, log_type: str) -> str:
    return f"/aws/rds/instance/{db.db_instance_identifier}/{log_type}"


def publish_logs(backend: RDSBackend, db: DBInstance, seconds: float, tries: int = 200) -> None:
    """Once the instance runs (after `seconds`), RDS creates the log group of each exported type
    that does not exist yet (no retention) and keeps the existing ones."""

    def publish(left: int) -> None:
        if backend.databases.get(db.db_instance_identifier) is not db:
            return  # deleted or renamed
        if db.status in ("creating", "modifying", "rebooting"):
            if left > 0:  # durations changed since: look again a little later
                lifecycle.SCHEDULER.after(0.05, lambda: publish(left - 1))
            return
        if db.status not in ("available", "storage-optimization", "backing-up", "upgrading"):
            return
        logs = logs_backends[db.account_id][db.region]
        for log_type in unique(db.enabled_cloudwatch_logs_exports):
            logs.ensure_log_group(log_group_name(db, log_type))

    if db.enabled_cloudwatch_logs_exports:
        lifecycle.SCHEDULER.after(seconds, lambda: publish(tries))


# ---------------------------------------------------------------------------------------------
# The calls


def plan_create(backend: RDSBackend, engine: str, version: str, kwargs: dict[str, Any], op: str, checking: bool) -> dict[str, Any]:
    """Everything checked before moto creates the instance; applied by `settle_new`."""
    if not checking:
        # A restore or a green instance: RDS accepted these settings before.
        plan: dict[str, Any] = {"insights": None, "monitoring": None}
    else:
        plan = {
            "insights": plan_insights_create(backend, engine, kwargs, op),
            "monitoring": plan_monitoring(kwargs, None, op),
        }
        check_log_types(engine, version, unique(kwargs.get("enable_cloudwatch_logs_exports")), op)
    plan["exports"] = unique(kwargs.get("enable_cloudwatch_logs_exports"))
    # moto checks the interval/role pair itself (unrecorded) and stores the raw key: the checked
    # values are applied once the instance exists.
    for key in ("monitoring_interval", "monitoring_role_arn", "performance_insights_kms_key_id"):
        kwargs.pop(key, None)
    return plan


def settle_new(backend: RDSBackend, db: DBInstance, plan: dict[str, Any]) -> None:
    set_insights(db, plan["insights"] or {"enabled": False, "key": None, "retention": None})
    set_monitoring(db, plan["monitoring"] or {"interval": 0, "role": None})
    if plan["monitoring"] is None:
        db.__dict__.pop("enhanced_monitoring_resource_arn", None)
    db.enabled_cloudwatch_logs_exports = list(plan["exports"])
    publish_logs(backend, db, lifecycle.DURATIONS.get(KIND, "create"))


def default_version(engine: str, kwargs: dict[str, Any]) -> str:
    return str(kwargs.get("engine_version") or DBInstance.default_engine_versions.get(engine, ""))


def copy_from_blue(backend: RDSBackend, source: DBInstance, green: DBInstance) -> None:
    """The green instance of a blue/green deployment runs with the blue one's monitoring."""
    set_insights(green, {
        "enabled": bool(getattr(source, "performance_insights_enabled", False)),
        "key": getattr(source, "performance_insights_kms_key_id", None),
        "retention": getattr(source, "performance_insights_retention_period", None),
    })
    set_monitoring(green, {
        "interval": int(getattr(source, "monitoring_interval", 0) or 0),
        "role": getattr(source, "monitoring_role_arn", None),
    })
    green.enabled_cloudwatch_logs_exports = unique(source.enabled_cloudwatch_logs_exports)


def apply(state: Any) -> None:
    rds_kms.apply(state)
    _restore_from_backup_snapshots()

    @wrap(RDSBackend, "create_db_instance")
    def create_db_instance(orig: Any, self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        if db_kwargs.get("db_cluster_identifier") is not None:
            return orig(self, db_kwargs)  # an Aurora cluster member: the cluster's settings
        engine = str(db_kwargs.get("engine") or "")
        checking = not getattr(self, "_mosia_restoring", False)
        plan = plan_create(
            self, engine, default_version(engine, db_kwargs), db_kwargs, "CreateDBInstance", checking
        )
        db = orig(self, db_kwargs)
        settle_new(self, db, plan)
        return db

    @wrap(RDSBackend, "create_db_instance_read_replica")
    def create_read_replica(orig: Any, self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        op = "CreateDBInstanceReadReplica"
        try:
            source = self.find_db_from_id(str(db_kwargs.get("source_db_instance_identifier") or ""))
        except Exception:
            return orig(self, db_kwargs)  # moto answers DBInstanceNotFound
        engine = str(source.engine)
        instance_class = db_kwargs.get("db_instance_class") or source.db_instance_class
        plan = plan_create(
            self, engine, str(source.engine_version),
            {**db_kwargs, "db_instance_class": instance_class}, op, True,
        )
        for key in ("monitoring_interval", "monitoring_role_arn", "performance_insights_kms_key_id"):
            db_kwargs.pop(key, None)
        replica = orig(self, db_kwargs)
        # moto's replica is a shallow copy of its source: give it lists of its own.
        replica.enabled_cloudwatch_logs_exports = []
        settle_new(self, replica, plan)
        return replica

    @wrap(RDSBackend, "modify_db_instance")
    def modify_db_instance(orig: Any, self: RDSBackend, db_instance_identifier: str, db_kwargs: dict[str, Any]) -> Any:
        db = self.databases.get(db_instance_identifier)
        if db is None or getattr(db, "db_cluster_identifier", None) is not None:
            return orig(self, db_instance_identifier, db_kwargs)
        op = "ModifyDBInstance"
        insights = plan_insights_modify(self, db, db_kwargs)
        monitoring = plan_monitoring(db_kwargs, db, op)
        exports = plan_exports_modify(db, db_kwargs)
        if exports is not None:
            # Still a change for the lifecycle (modifying), applied here rather than by moto.
            db_kwargs["cloudwatch_logs_export_configuration"] = {}
        # moto stores the monitoring and Performance Insights members as given: the checked
        # values replace them below.
        result = orig(self, db_instance_identifier, db_kwargs)
        if insights is not None:
            set_insights(result, insights)
        if monitoring is not None:
            set_monitoring(result, monitoring)
        if exports is not None:
            added = [t for t in exports if t not in result.enabled_cloudwatch_logs_exports]
            result.enabled_cloudwatch_logs_exports = exports
            if added:
                publish_logs(self, result, lifecycle.DURATIONS.get(KIND, "update"))
        return result

    original_green = BlueGreenDeployment._create_green_instance

    def create_green_instance(self: BlueGreenDeployment, **targets: Any) -> str:
        arn = original_green(self, **targets)
        backend = self.backend
        try:
            source = backend.find_db_from_id(self.source)
            green = backend.find_db_from_id(arn)
        except Exception:
            return arn
        if getattr(source, "db_cluster_identifier", None) is None:
            copy_from_blue(backend, source, green)
        return arn

    BlueGreenDeployment._create_green_instance = create_green_instance


def _restore_from_backup_snapshots() -> None:
    """RestoreDBInstanceFromDBSnapshot takes an AWS Backup recovery point of a DB instance
    (the snapshot `awsbackup:job-ID`, by name or ARN) as it takes a manual snapshot (RDS
    console: Snapshots, "Backup service" tab, Restore); moto's restore looks among the
    automated and manual snapshots only."""
    from moto.rds.models import RDSBackend

    from . import wrap

    @wrap(RDSBackend, "restore_db_instance_from_db_snapshot")
    def restore(orig: Any, self: Any, from_snapshot_id: str, overrides: dict[str, Any]) -> Any:
        name = from_snapshot_id.rsplit("snapshot:", 1)[-1]
        snapshot = self.database_snapshots.get(name)
        if snapshot is None or getattr(snapshot, "snapshot_type", None) != "awsbackup":
            return orig(self, from_snapshot_id, overrides)
        snapshot.snapshot_type = "manual"
        try:
            return orig(self, from_snapshot_id, overrides)
        finally:
            snapshot.snapshot_type = "awsbackup"

    @wrap(RDSBackend, "describe_db_snapshots")
    def describe(orig: Any, self: Any, db_instance_identifier: Any, db_snapshot_identifier: Any = None,
                 snapshot_type: Any = None, filters: Any = None) -> Any:
        # DBSnapshotIdentifier may be the ARN of a snapshot of this account and Region.
        if db_snapshot_identifier and db_snapshot_identifier.startswith("arn:"):
            name = db_snapshot_identifier.rsplit("snapshot:", 1)[-1]
            own = self.database_snapshots.get(name)
            if own is not None and own.db_snapshot_arn == db_snapshot_identifier:
                db_snapshot_identifier = name
        return orig(self, db_instance_identifier, db_snapshot_identifier, snapshot_type, filters)
