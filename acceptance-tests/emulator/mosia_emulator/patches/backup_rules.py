"""AWS Backup (rest-json): vaults, plans, selections, backup and restore jobs and recovery
points, for Amazon RDS DB instances, with the rules AWS documents.

moto 5.2.5 has vaults (no KMS check, no recovery points: DeleteBackupVault deletes anything,
an unknown name silently), plans (GetBackupPlan answers a deleted plan, CreateBackupPlan checks
nothing) and tags, and none of the selection, job or recovery point calls. This module serves
(state kept on moto's backup backend of the Region, so `/_mosia/reset` clears it):

CreateBackupVault, DescribeBackupVault, ListBackupVaults, DeleteBackupVault; CreateBackupPlan,
GetBackupPlan (`versionId`), UpdateBackupPlan, DeleteBackupPlan, ListBackupPlans
(`includeDeleted`); CreateBackupSelection, GetBackupSelection, ListBackupSelections,
DeleteBackupSelection; StartBackupJob, DescribeBackupJob, ListBackupJobs;
ListRecoveryPointsByBackupVault, ListRecoveryPointsByResource, DescribeRecoveryPoint,
DeleteRecoveryPoint, GetRecoveryPointRestoreMetadata; StartRestoreJob, DescribeRestoreJob;
TagResource, UntagResource, ListTags (vaults, plans, recovery points).

Backups are of RDS DB instances (`arn:aws:rds:REGION:ACCOUNT:db:NAME`): a backup job takes a
real RDS DB snapshot in moto, `awsbackup:job-<uuid>` (snapshot type `awsbackup`), whose ARN
is the recovery point's ARN (the form AWS Backup gives RDS recovery points); StartRestoreJob
restores it with RDS's RestoreDBInstanceFromDBSnapshot (the project's RDS lifecycle and rules
apply: the new instance is `creating`, then `available`).

Sources (AWS Backup Developer Guide and API reference, as shipped in botocore's
backup-2018-11-15 model, unless noted):
- CreateBackupVault: names "are unique to the account ... and the AWS Region"
  (AlreadyExistsException "Backup vault with the same name already exists", moto's wording);
  EncryptionKeyArn, "the server-side encryption key that is used to protect your backups", must
  be an existing, enabled, symmetric KMS key of the vault's Region (InvalidParameterValueException,
  wording assumed); without one the vault uses the AWS managed key `aws/backup` (Developer Guide
  "Encryption for backups in AWS Backup"; mondoohq/cnspec#3704: "AWS Backup always encrypts
  vaults and fills in the AWS managed aws/backup key when none is chosen").
  DescribeBackupVault: VaultType BACKUP_VAULT, VaultState AVAILABLE, NumberOfRecoveryPoints,
  EncryptionKeyType CUSTOMER_MANAGED_KMS_KEY for a customer key. An unknown vault:
  ResourceNotFoundException (wording assumed).
- DeleteBackupVault: "A vault can be deleted only if it is empty": InvalidRequestException, Code
  ERROR_9101, "Backup vault cannot be deleted because it contains recovery points." (as AWS
  answers it: gruntwork-io/cloud-nuke#730, aws/aws-cdk#33711).
- CreateBackupPlan: "If you call CreateBackupPlan with a plan that already exists, you receive an
  AlreadyExistsException" (a plan name already used; moto's wording "Backup plan with the same
  plan document already exists"); "If the request includes a CreatorRequestId that matches an
  existing backup plan, that plan is returned." BackupPlanName: "if this is set through CLI or
  API, it can contain 1 to 200 characters" of "alphanumeric or '-_.'" (InvalidParameterValueException,
  wording assumed). Rule defaults: "When no CRON expression is provided, Backup will use the
  default expression cron(0 5 ? * * *)", StartWindowMinutes 480 ("the default is 8 hours"),
  CompletionWindowMinutes 10080 (7 days, aws/aws-cdk#27061), ScheduleExpressionTimezone Etc/UTC.
  Rule errors are InvalidParameterValueException "Error in rule NAME : ..." (the form AWS
  answers, aws/aws-cdk#8685, terraform-provider-aws#7350, lgallard/terraform-aws-backup#40):
  - "Invalid lifecycle. DeleteAfterDays cannot be less than 90 days apart from
    MoveToColdStorageAfterDays" (terraform-provider-aws#7350; Lifecycle: "This value must be at
    least 90 days after the number of days specified in MoveToColdStorageAfterDays");
  - "Invalid lifecycle. DeleteAfterDays cannot be less than 1 or more than 36500 days"
    (terraform-provider-aws#24960; "maximum value of 100 years (36,500 days)"); -1 keeps
    recovery points indefinitely (Lifecycle: "specify -1 for MoveToColdStorageAfterDays and
    DeleteAfterDays");
  - continuous backup (PITR): "Invalid lifecycle. MoveToColdStorageAfterDays is unavailable"
    (Code ERROR_3015, lgallard/terraform-aws-backup#40) and a retention of 1 to 35 days
    (Developer Guide "Continuous backups and point-in-time recovery": "The maximum retention
    period is 35 days"; the 1-36500 wording above);
  - StartWindowMinutes: "If this value is included, it must be at least 60 minutes to avoid
    errors. This parameter has a maximum value of 100 years (52,560,000 minutes)"
    (terraform-provider-aws#8794: refused at apply; wording assumed);
  - ScheduleExpression: an AWS cron expression, `cron(` six fields `)`, day-of-month or
    day-of-week `?` (CloudWatch Events "Schedule Expressions for Rules", which the model
    cites), at most hourly (Developer Guide: the most frequent backup schedule is hourly; a
    single minute is required; wording assumed); ScheduleExpressionTimezone an IANA time zone
    (wording assumed);
  - TargetBackupVaultName an existing vault of the plan's Region (wording assumed);
    CopyActions' DestinationBackupVaultArn a backup vault ARN
    (`arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME`, any Region: cross-Region copies;
    wording assumed; the destination is not required to exist, as it may be in another account);
  - rule names unique within a plan (wording assumed).
  UpdateBackupPlan makes a new version (VersionId), keeping each rule's RuleId by name.
  DeleteBackupPlan: "A backup plan can only be deleted after all associated selections of
  resources have been deleted": InvalidRequestException "Related backup plan selections must be
  deleted prior to backup plan deletion" (terraform-provider-aws#10414; the provider retries on
  this message). A deleted plan answers GetBackupPlan with ResourceNotFoundException "Failed
  reading Backup plan with provided version" (moto's wording; terraform-provider-aws
  testAccCheckPlanDestroy expects not found), a given earlier `versionId` still answers, and
  ListBackupPlans lists it only with `includeDeleted`.
- CreateBackupSelection: IamRoleArn "the ARN of the IAM role that Backup uses to authenticate
  when backing up the target resource" (an IAM role ARN; InvalidParameterValueException, wording
  assumed); Conditions keys "Include the prefix aws:ResourceTag in your tags" (wording
  assumed); "ListOfTags supports only StringEquals" (the model's enum); Resources at most 500
  ARNs (InvalidParameterValueException, wording assumed); a plan that does not exist or was
  deleted: ResourceNotFoundException (wording assumed); a selection name already used in the
  plan: AlreadyExistsException (wording assumed). Resources matching: "If you specify multiple
  ARNs, the resources much match any of the ARNs (OR logic)", ListOfTags "any of the
  conditions (OR logic)", Conditions "all conditions (AND logic)", NotResources excluded.
- StartBackupJob: "the default is 8 hours" start window, "at least 60 minutes"; "During the
  start window, the backup job status remains in CREATED status until it has successfully
  begun or until the start window time has run out" (EXPIRED). RDS takes a snapshot only of an
  `available` instance (RDS CreateDBSnapshot), so the job stays CREATED while the instance is
  not available and completes (COMPLETED, with its recovery point) once it is; an instance that
  no longer exists fails the job (FAILED; StatusMessage wording assumed). Only RDS DB
  instance ARNs of the caller's account and Region are accepted here (others:
  InvalidParameterValueException, an emulator limit). The answer carries BackupJobId and
  CreationDate; "RecoveryPointArn ... is only returned for Amazon EFS and Advanced DynamoDB
  resources". An unknown vault: ResourceNotFoundException (wording assumed).
- Recovery points: DescribeRecoveryPoint / DeleteRecoveryPoint / GetRecoveryPointRestoreMetadata
  under the vault that holds them (ResourceNotFoundException otherwise, wording assumed);
  CalculatedLifecycle from the lifecycle; deleting one deletes the RDS snapshot.
  ListRecoveryPointsByResource: "Amazon RDS requires a value of at least 20" for MaxResults
  (InvalidParameterValueException, wording assumed). Restore metadata of an RDS recovery point:
  the instance's settings under RestoreDBInstanceFromDBSnapshot's parameter names
  (DBInstanceIdentifier, DBInstanceClass, Engine, Port, MultiAZ, AvailabilityZone,
  DBSubnetGroupName, VpcSecurityGroupIds as a JSON list, StorageType, ...; Developer Guide
  "Restore an Amazon RDS database"; exact key set assumed).
- StartRestoreJob: Metadata "values in addition to those provided by
  GetRecoveryPointRestoreMetadata might be required to restore a resource. For example, you
  might need to provide a new resource name if the original already exists": the restore is
  RDS's RestoreDBInstanceFromDBSnapshot with those parameters; a refusal by RDS (for example an
  identifier in use: DBInstanceAlreadyExists) fails the job (FAILED, RDS's message as
  StatusMessage), as restore jobs run asynchronously. A missing DBInstanceIdentifier, a
  ResourceType other than RDS, an unknown recovery point: InvalidParameterValueException /
  ResourceNotFoundException (wording assumed). DescribeRestoreJob: RUNNING while the new
  instance is `creating`, COMPLETED once `available` (CreatedResourceArn), FAILED if it fails
  or disappears.
- Tags: "Valid targets for ListTags are recovery points, backup plans, and backup vaults"; an
  ARN of none of them: ResourceNotFoundException (wording assumed). UntagResource "is not
  supported for recovery points for resource types including ... Amazon RDS"
  (InvalidParameterValueException, wording assumed); the tags of an RDS recovery point are its
  snapshot's.
- All Backup errors are HTTP 400 (API reference "Errors") and carry `Code`/`Message`.

Control for tests (`POST /_mosia/events`): `backup_run_rule` `{"backup_plan_id": ID,
"rule_name": optional, "region": optional}` runs the plan's rule(s) now, as the schedule would:
each selection's matching RDS DB instances get a backup job (CreatedBy the plan, version and
rule; the rule's vault, lifecycle and recovery point tags), and when a job completes its
CopyActions copy the recovery point (and its RDS snapshot) into each destination vault that
exists in the emulator (another Region included), with the copy action's lifecycle. Answers
the job IDs and the matched resources; sets the plan's LastExecutionDate.

Not modelled: resource types other than RDS DB instances, Vault Lock's effect on deletes,
legal holds, vault access policies and notifications, copy jobs' own API (ListCopyJobs),
restore testing, the scheduler running by itself (use `backup_run_rule`), the 1000-tag limit.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import time
import uuid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moto.backup import urls as backup_urls
from moto.backup.models import Vault, backup_backends
from moto.backup.responses import BackupResponse
from moto.core.exceptions import JsonRESTError

from .. import events, rejections
from . import add, kms_managed

SERVICE = "backup"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
MAX_WINDOW_MINUTES = 52_560_000
MAX_RETENTION_DAYS = 36_500
MAX_CONTINUOUS_RETENTION_DAYS = 35
COLD_STORAGE_MINIMUM_GAP = 90
MAX_SELECTION_RESOURCES = 500
PLAN_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
VAULT_ARN = re.compile(r"^arn:aws[a-z-]*:backup:([a-z0-9-]+):(\d{12}):backup-vault:([A-Za-z0-9_-]{2,50})$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
RDS_DB_ARN = re.compile(r"^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):db:([A-Za-z0-9-]+)$")
SNAPSHOT_PREFIX = "awsbackup:job-"
DEFAULT_SCHEDULE = "cron(0 5 ? * * *)"
RDS_RESTORE_KEYS = (
    "DBInstanceIdentifier", "DBInstanceClass", "Port", "AvailabilityZone", "DBSubnetGroupName",
    "MultiAZ", "PubliclyAccessible", "AutoMinorVersionUpgrade", "LicenseModel", "DBName", "Engine",
    "Iops", "StorageThroughput", "OptionGroupName", "StorageType", "VpcSecurityGroupIds",
    "CopyTagsToSnapshot", "DBParameterGroupName", "DeletionProtection",
    "EnableIAMDatabaseAuthentication", "AllocatedStorage", "CACertificateIdentifier",
    "NetworkType", "DedicatedLogVolume",
)
BOOLEAN_KEYS = {
    "MultiAZ", "PubliclyAccessible", "AutoMinorVersionUpgrade", "CopyTagsToSnapshot",
    "DeletionProtection", "EnableIAMDatabaseAuthentication", "DedicatedLogVolume",
}
INTEGER_KEYS = {"Port", "Iops", "StorageThroughput", "AllocatedStorage"}


class BackupError(JsonRESTError):
    code = 400

    def __init__(self, error_type: str, message: str, detail_code: str | None = None,
                 context: str | None = None) -> None:
        super().__init__(error_type, message)
        body: dict[str, Any] = {"__type": error_type, "message": message, "Message": message}
        if detail_code:
            body["Code"] = detail_code
        if context:
            body["Context"] = context
        self.description = json.dumps(body)


def refuse(code: str, message: str, operation: str, detail_code: str | None = None,
           context: str | None = None) -> BackupError:
    rejections.record("rule", SERVICE, operation, code, message)
    return BackupError(code, message, detail_code, context)


def invalid(message: str, operation: str, detail_code: str | None = None, context: str | None = None) -> BackupError:
    return refuse("InvalidParameterValueException", message, operation, detail_code, context)


def not_found(message: str, operation: str) -> BackupError:
    return refuse("ResourceNotFoundException", message, operation)


def now() -> float:
    return time.time()


def job_id() -> str:
    return str(uuid.uuid4()).upper()


# -- state ---------------------------------------------------------------------------------------
def backend_of(account: str, region: str) -> Any:
    return backup_backends[account][region]


def state_of(backend: Any) -> dict[str, Any]:
    """This Region's plans, selections, jobs and recovery points, on moto's backend (moto's
    reset re-creates the backend and so clears them)."""
    found = backend.__dict__.get("_mosia_backup")
    if found is None:
        found = backend.__dict__["_mosia_backup"] = {
            "plans": {}, "selections": {}, "jobs": {}, "restore_jobs": {}, "recovery_points": {},
            "tokens": {},
        }
    return found


def response_backend(response: BackupResponse) -> Any:
    return backend_of(response.current_account, response.region)


def params_of(response: BackupResponse) -> dict[str, Any]:
    try:
        data = json.loads(response.body or "{}") if response.body else {}
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def uri(response: BackupResponse, name: str) -> str:
    return str((getattr(response, "uri_match", None) or {}).get(name) or "")


def query(response: BackupResponse, name: str) -> str | None:
    values = response.querystring.get(name)
    if isinstance(values, list):
        return values[0] if values else None
    return values


def ok(payload: dict[str, Any] | None = None) -> tuple[int, dict[str, Any], str]:
    return 200, {"status": 200, "Content-Type": "application/json"}, json.dumps(payload or {})


def paged(response: BackupResponse, items: list[Any], operation: str, minimum: int = 1) -> tuple[list[Any], str | None]:
    token = query(response, "nextToken")
    start = 0
    if token:
        if not str(token).isdigit() or int(token) > len(items):
            raise invalid(f"Invalid next token: {token}", operation)
        start = int(token)
    size_text = query(response, "maxResults")
    size = 1000
    if size_text:
        try:
            size = int(size_text)
        except ValueError:
            size = 1000
        if size < minimum:
            raise invalid(
                f"MaxResults must be at least {minimum} for Amazon RDS recovery points.", operation
            )
    following = str(start + size) if start + size < len(items) else None
    return items[start:start + size], following


# -- vaults --------------------------------------------------------------------------------------
def find_vault(backend: Any, name: str, operation: str) -> Vault:
    vault = backend.vaults.get(name)
    if vault is None:
        raise not_found(f"Backup vault {name} does not exist.", operation)
    return vault


def vault_recovery_points(backend: Any, name: str) -> list[dict[str, Any]]:
    return [rp for rp in state_of(backend)["recovery_points"].values() if rp["BackupVaultName"] == name]


def vault_view(backend: Any, vault: Vault) -> dict[str, Any]:
    view: dict[str, Any] = {
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "VaultType": "BACKUP_VAULT",
        "VaultState": "AVAILABLE",
        "CreationDate": vault.creation_date,
        "EncryptionKeyArn": vault.encryption_key_arn,
        "NumberOfRecoveryPoints": len(vault_recovery_points(backend, vault.backup_vault_name)),
        "Locked": bool(vault.locked),
    }
    if vault.creator_request_id:
        view["CreatorRequestId"] = vault.creator_request_id
    if vault.__dict__.get("_mosia_customer_key"):
        view["EncryptionKeyType"] = "CUSTOMER_MANAGED_KMS_KEY"
    for key, attr in (("MinRetentionDays", "min_retention_days"), ("MaxRetentionDays", "max_retention_days"),
                      ("LockDate", "lock_date")):
        if getattr(vault, attr, None) is not None:
            view[key] = getattr(vault, attr)
    return view


def vault_key(backend: Any, key_id: str | None, operation: str) -> tuple[str, bool]:
    """(the key's ARN, customer managed?) for a vault's EncryptionKeyArn."""
    if not key_id:
        return kms_managed.aws_managed_key_arn(backend.account_id, backend.region_name, "backup"), False
    key = kms_managed.customer_key(backend.account_id, backend.region_name, key_id)
    if key is None or getattr(key, "region", backend.region_name) != backend.region_name:
        raise invalid(f"The KMS key {key_id} does not exist in {backend.region_name}.", operation)
    if getattr(key, "key_state", "Enabled") != "Enabled":
        state = "pending deletion" if key.key_state == "PendingDeletion" else str(key.key_state).lower()
        raise invalid(f"The KMS key {key.arn} is {state}. Specify an enabled KMS key.", operation)
    usage = getattr(key, "key_usage", None) or "ENCRYPT_DECRYPT"
    if key.key_spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        raise invalid(
            f"The KMS key {key.arn} is not a symmetric encryption key. AWS Backup supports only "
            "symmetric KMS keys.",
            operation,
        )
    return key.arn, getattr(key, "key_manager", "CUSTOMER") != "AWS"


# -- plans ---------------------------------------------------------------------------------------
def cron_problem(expression: str) -> str | None:
    match = re.fullmatch(r"cron\((.*)\)", expression.strip())
    if match is None:
        return f"Invalid schedule expression {expression}: a cron expression, cron(...), is required."
    fields = match.group(1).split()
    if len(fields) != 6:
        return f"Invalid schedule expression {expression}: a cron expression has six fields."
    allowed = re.compile(r"^[A-Za-z0-9,\-*/?#]+$")
    if not all(allowed.match(f) for f in fields):
        return f"Invalid schedule expression {expression}."
    minute, _hour, day_of_month, _month, day_of_week, _year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        return (
            f"Invalid schedule expression {expression}: one of day-of-month and day-of-week must "
            "be '?'."
        )
    if not minute.isdigit() or int(minute) > 59:
        return (
            f"Invalid schedule expression {expression}: backups can be scheduled at most once an "
            "hour."
        )
    return None


def lifecycle_problem(lifecycle: Any, continuous: bool) -> tuple[str, str | None] | None:
    """(message, code) when a Lifecycle is refused."""
    if not isinstance(lifecycle, dict):
        return None
    cold = lifecycle.get("MoveToColdStorageAfterDays")
    delete = lifecycle.get("DeleteAfterDays")
    if continuous and cold not in (None, 0):
        return "Invalid lifecycle. MoveToColdStorageAfterDays is unavailable", "ERROR_3015"
    if delete is not None and delete != -1:
        top = MAX_CONTINUOUS_RETENTION_DAYS if continuous else MAX_RETENTION_DAYS
        if not isinstance(delete, int) or delete < 1 or delete > top:
            return f"Invalid lifecycle. DeleteAfterDays cannot be less than 1 or more than {top} days", None
    if (isinstance(cold, int) and cold > 0 and isinstance(delete, int) and delete != -1
            and delete - cold < COLD_STORAGE_MINIMUM_GAP):
        return (
            "Invalid lifecycle. DeleteAfterDays cannot be less than 90 days apart from "
            "MoveToColdStorageAfterDays",
            None,
        )
    return None


def window_problem(minutes: Any, name: str) -> str | None:
    if minutes is None:
        return None
    if not isinstance(minutes, int) or minutes < 60 or minutes > MAX_WINDOW_MINUTES:
        return (
            f"Invalid {name}. {name} must be at least 60 minutes and at most {MAX_WINDOW_MINUTES} "
            "minutes."
        )
    return None


def check_rule(backend: Any, rule: dict[str, Any], operation: str) -> None:
    name = str(rule.get("RuleName") or "")

    def fail(message: str, code: str | None = None) -> BackupError:
        return invalid(f"Error in rule {name} : {message}", operation, code,
                       json.dumps([name, message], separators=(",", ":")))

    vault = str(rule.get("TargetBackupVaultName") or "")
    if vault not in backend.vaults:
        raise fail(f"Backup vault {vault} does not exist in {backend.region_name}")
    problem = cron_problem(str(rule.get("ScheduleExpression") or DEFAULT_SCHEDULE))
    if problem:
        raise fail(problem)
    zone = rule.get("ScheduleExpressionTimezone")
    if zone:
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise fail(f"Invalid schedule expression timezone {zone}") from None
    problem = window_problem(rule.get("StartWindowMinutes"), "StartWindowMinutes")
    if problem:
        raise fail(problem)
    if (rule.get("CompletionWindowMinutes") is not None
            and (not isinstance(rule.get("CompletionWindowMinutes"), int)
                 or rule["CompletionWindowMinutes"] > MAX_WINDOW_MINUTES)):
        raise fail(f"Invalid CompletionWindowMinutes. It must be at most {MAX_WINDOW_MINUTES} minutes.")
    continuous = bool(rule.get("EnableContinuousBackup"))
    found = lifecycle_problem(rule.get("Lifecycle"), continuous)
    if found:
        raise fail(*found)
    for action in rule.get("CopyActions") or []:
        action = action if isinstance(action, dict) else {}
        arn = str(action.get("DestinationBackupVaultArn") or "")
        if VAULT_ARN.match(arn) is None:
            raise fail(f"Invalid destination backup vault ARN {arn}")
        found = lifecycle_problem(action.get("Lifecycle"), False)
        if found:
            raise fail(*found)


def normalize_plan_input(backend: Any, raw: Any, operation: str, previous: dict[str, Any] | None) -> dict[str, Any]:
    plan = copy.deepcopy(raw) if isinstance(raw, dict) else {}
    name = str(plan.get("BackupPlanName") or "")
    if PLAN_NAME.match(name) is None:
        raise invalid(
            f"Invalid backup plan name {name}: it must contain 1 to 200 alphanumeric or '-_.' "
            "characters.",
            operation,
        )
    rules = plan.get("Rules") if isinstance(plan.get("Rules"), list) else []
    seen: set[str] = set()
    old_ids = {r["RuleName"]: r["RuleId"] for r in (previous or {}).get("Rules", [])}
    out_rules = []
    for rule in rules:
        rule = dict(rule) if isinstance(rule, dict) else {}
        rule_name = str(rule.get("RuleName") or "")
        if rule_name in seen:
            raise invalid(f"Error in rule {rule_name} : Rule names must be unique in a backup plan", operation)
        seen.add(rule_name)
        check_rule(backend, rule, operation)
        rule.setdefault("ScheduleExpression", DEFAULT_SCHEDULE)
        rule.setdefault("StartWindowMinutes", 480)
        rule.setdefault("CompletionWindowMinutes", 10080)
        rule.setdefault("ScheduleExpressionTimezone", "Etc/UTC")
        rule["RuleId"] = old_ids.get(rule_name) or str(uuid.uuid4())
        out_rules.append(rule)
    plan["Rules"] = out_rules
    return plan


def plan_version_view(plan: dict[str, Any], document: dict[str, Any], version: str, created: float) -> dict[str, Any]:
    view: dict[str, Any] = {
        "BackupPlan": copy.deepcopy({k: v for k, v in document.items() if k != "AdvancedBackupSettings"}),
        "BackupPlanId": plan["BackupPlanId"],
        "BackupPlanArn": plan["BackupPlanArn"],
        "VersionId": version,
        "CreationDate": created,
    }
    if plan.get("CreatorRequestId"):
        view["CreatorRequestId"] = plan["CreatorRequestId"]
    if document.get("AdvancedBackupSettings"):
        view["AdvancedBackupSettings"] = document["AdvancedBackupSettings"]
        view["BackupPlan"]["AdvancedBackupSettings"] = document["AdvancedBackupSettings"]
    if plan.get("DeletionDate") is not None:
        view["DeletionDate"] = plan["DeletionDate"]
    if plan.get("LastExecutionDate") is not None:
        view["LastExecutionDate"] = plan["LastExecutionDate"]
    return view


def find_plan(backend: Any, plan_id: str, operation: str, include_deleted: bool = False) -> dict[str, Any]:
    plan = state_of(backend)["plans"].get(plan_id)
    if plan is None or (plan.get("DeletionDate") is not None and not include_deleted):
        raise not_found("Failed reading Backup plan with provided version", operation)
    return plan


# -- selections ----------------------------------------------------------------------------------
def check_selection(raw: Any, operation: str) -> dict[str, Any]:
    selection = copy.deepcopy(raw) if isinstance(raw, dict) else {}
    role = str(selection.get("IamRoleArn") or "")
    if ROLE_ARN.match(role) is None:
        raise invalid(f"Invalid IAM role ARN {role}: it must be the ARN of an IAM role.", operation)
    for member in ("Resources", "NotResources"):
        arns = selection.get(member) or []
        if len(arns) > MAX_SELECTION_RESOURCES:
            raise invalid(
                f"{member} can have at most {MAX_SELECTION_RESOURCES} ARNs ({len(arns)} given).",
                operation,
            )
    conditions = selection.get("Conditions") if isinstance(selection.get("Conditions"), dict) else {}
    for operator, entries in conditions.items():
        for entry in entries or []:
            key = str((entry or {}).get("ConditionKey") or "")
            if not key.startswith("aws:ResourceTag/"):
                raise invalid(
                    f"Invalid condition key {key} in {operator}: condition keys must start with "
                    "aws:ResourceTag/.",
                    operation,
                )
    return selection


def selection_matches(selection: dict[str, Any], arn: str, tags: dict[str, str]) -> bool:
    resources = list(selection.get("Resources") or [])
    not_resources = list(selection.get("NotResources") or [])
    list_of_tags = list(selection.get("ListOfTags") or [])
    conditions = selection.get("Conditions") if isinstance(selection.get("Conditions"), dict) else {}
    if any(fnmatch.fnmatchcase(arn, p) for p in not_resources):
        return False
    for entry in list_of_tags:
        key = str((entry or {}).get("ConditionKey") or "")
        if key.startswith("aws:ResourceTag/"):
            key = key[len("aws:ResourceTag/"):]
        if tags.get(key) == str((entry or {}).get("ConditionValue")):
            return True
    has_conditions = any(conditions.get(op) for op in conditions)
    if resources:
        in_resources = any(fnmatch.fnmatchcase(arn, p) for p in resources)
    else:
        in_resources = has_conditions  # conditions alone select among all resources (assumed)
    if not in_resources:
        return False

    def value_of(entry: dict[str, Any]) -> tuple[str | None, str]:
        key = str(entry.get("ConditionKey") or "")[len("aws:ResourceTag/"):]
        return tags.get(key), str(entry.get("ConditionValue") or "")

    for entry in conditions.get("StringEquals") or []:
        actual, wanted = value_of(entry)
        if actual != wanted:
            return False
    for entry in conditions.get("StringNotEquals") or []:
        actual, wanted = value_of(entry)
        if actual == wanted:
            return False
    for entry in conditions.get("StringLike") or []:
        actual, wanted = value_of(entry)
        if actual is None or not fnmatch.fnmatchcase(actual, wanted):
            return False
    for entry in conditions.get("StringNotLike") or []:
        actual, wanted = value_of(entry)
        if actual is not None and fnmatch.fnmatchcase(actual, wanted):
            return False
    return True


# -- RDS -----------------------------------------------------------------------------------------
def rds_backend(account: str, region: str) -> Any:
    from moto.rds.models import rds_backends

    return rds_backends[account][region]


def ensure_rds() -> None:
    """The project's RDS patches (lifecycle, rules) before Backup touches RDS."""
    from . import ensure

    ensure("rds")


def rds_tags(db: Any) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value")) for t in (getattr(db, "tags", None) or [])}


def restore_metadata(snapshot: Any) -> dict[str, str]:
    db = snapshot.database

    def flag(value: Any) -> str:
        return "true" if value else "false"

    meta: dict[str, str] = {
        "DBInstanceIdentifier": str(db.db_instance_identifier),
        "DBInstanceClass": str(db.db_instance_class),
        "Engine": str(db.engine),
        "Port": str(db.port),
        "MultiAZ": flag(getattr(db, "multi_az", False)),
        "StorageType": str(getattr(db, "storage_type", "") or "gp2"),
        "PubliclyAccessible": flag(getattr(db, "publicly_accessible", False)),
        "AutoMinorVersionUpgrade": flag(getattr(db, "auto_minor_version_upgrade", True)),
        "CopyTagsToSnapshot": flag(getattr(db, "copy_tags_to_snapshot", False)),
        "DeletionProtection": flag(getattr(db, "deletion_protection", False)),
        "EnableIAMDatabaseAuthentication": flag(getattr(db, "enable_iam_database_authentication", False)),
        "VpcSecurityGroupIds": json.dumps(list(getattr(db, "vpc_security_group_ids", None) or [])),
    }
    if not getattr(db, "multi_az", False) and getattr(db, "availability_zone", None):
        meta["AvailabilityZone"] = str(db.availability_zone)
    subnet_group = getattr(db, "db_subnet_group", None)
    if subnet_group is not None and getattr(subnet_group, "subnet_name", None):
        meta["DBSubnetGroupName"] = str(subnet_group.subnet_name)
    for key, attr in (("LicenseModel", "license_model"), ("OptionGroupName", "option_group_name"),
                      ("DBParameterGroupName", "db_parameter_group_name"), ("DBName", "db_name"),
                      ("Iops", "iops")):
        value = getattr(db, attr, None)
        if value not in (None, ""):
            meta[key] = str(value)
    if meta.get("OptionGroupName", "").startswith("default:"):
        del meta["OptionGroupName"]  # the engine's default option group: implied (assumed)
    return meta


def restore_overrides(metadata: dict[str, str]) -> Any:
    from moto.core.parse import XFormedDict

    overrides: dict[str, Any] = {}
    for key in RDS_RESTORE_KEYS:
        if key not in metadata or metadata[key] in (None, ""):
            continue
        value: Any = metadata[key]
        if key in BOOLEAN_KEYS:
            value = str(value).lower() == "true"
        elif key in INTEGER_KEYS:
            try:
                value = int(value)
            except (TypeError, ValueError):
                continue
        elif key == "VpcSecurityGroupIds":
            try:
                value = json.loads(value)
            except ValueError:
                value = [v.strip() for v in str(value).split(",") if v.strip()]
        overrides[key] = value
    return XFormedDict(overrides)


# -- jobs and recovery points --------------------------------------------------------------------
def calculated_lifecycle(lifecycle: dict[str, Any] | None, created: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lifecycle = lifecycle or {}
    day = 86400.0
    if isinstance(lifecycle.get("MoveToColdStorageAfterDays"), int) and lifecycle["MoveToColdStorageAfterDays"] > 0:
        out["MoveToColdStorageAt"] = created + lifecycle["MoveToColdStorageAfterDays"] * day
    if isinstance(lifecycle.get("DeleteAfterDays"), int) and lifecycle["DeleteAfterDays"] > 0:
        out["DeleteAt"] = created + lifecycle["DeleteAfterDays"] * day
    return out


def new_recovery_point(backend: Any, vault: Vault, db: Any, snapshot: Any, job: dict[str, Any],
                       lifecycle: dict[str, Any] | None, source_vault_arn: str | None = None) -> dict[str, Any]:
    created = now()
    rp: dict[str, Any] = {
        "RecoveryPointArn": snapshot.db_snapshot_arn,
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "ResourceArn": job["ResourceArn"],
        "ResourceType": "RDS",
        "ResourceName": db.db_instance_identifier,
        "IamRoleArn": job["IamRoleArn"],
        "Status": "COMPLETED",
        "CreationDate": created,
        "CompletionDate": created,
        "BackupSizeInBytes": int(getattr(db, "allocated_storage", 0) or 0) * 1024 ** 3,
        "StorageClass": "WARM",
        "IsEncrypted": bool(getattr(snapshot, "encrypted", False)),
        "VaultType": "BACKUP_VAULT",
        "IsParent": False,
        "_snapshot": snapshot.db_snapshot_identifier,
        "_region": backend.region_name,
        "_account": backend.account_id,
    }
    if rp["IsEncrypted"] and getattr(snapshot, "kms_key_id", None):
        rp["EncryptionKeyArn"] = str(snapshot.kms_key_id)
    if job.get("CreatedBy"):
        rp["CreatedBy"] = dict(job["CreatedBy"])
    if lifecycle:
        rp["Lifecycle"] = dict(lifecycle)
        calculated = calculated_lifecycle(lifecycle, created)
        if calculated:
            rp["CalculatedLifecycle"] = calculated
    if source_vault_arn:
        rp["SourceBackupVaultArn"] = source_vault_arn
    state_of(backend)["recovery_points"][rp["RecoveryPointArn"]] = rp
    return rp


def take_snapshot(job: dict[str, Any], db: Any, rds: Any) -> Any:
    snapshot_id = f"{SNAPSHOT_PREFIX}{job['BackupJobId'].lower()}"
    tags = [{"Key": k, "Value": v} for k, v in (job.get("_recovery_point_tags") or {}).items()]
    return rds.create_db_snapshot(db.db_instance_identifier, snapshot_id, snapshot_type="awsbackup",
                                  tags=tags or None)


def copy_recovery_point(job: dict[str, Any], source_rp: dict[str, Any], db: Any, action: dict[str, Any]) -> str | None:
    """A CopyAction: the recovery point (and its RDS snapshot) in the destination vault, when
    that vault exists in the emulator. Answers the copy's ARN."""
    from moto.rds.models import DBSnapshot

    match = VAULT_ARN.match(str(action.get("DestinationBackupVaultArn") or ""))
    if match is None:
        return None
    region, account, name = match.groups()
    try:
        dest = backend_of(account, region)
    except Exception:
        return None
    vault = dest.vaults.get(name)
    if vault is None:
        return None
    rds = rds_backend(account, region)
    snapshot_id = f"{SNAPSHOT_PREFIX}{job_id().lower()}"
    snapshot = DBSnapshot(rds, db, snapshot_id, "awsbackup")
    rds.database_snapshots[snapshot.db_snapshot_identifier] = snapshot
    copy_job = dict(job)
    rp = new_recovery_point(dest, vault, db, snapshot, copy_job, action.get("Lifecycle") or None,
                            source_vault_arn=source_rp["BackupVaultArn"])
    return rp["RecoveryPointArn"]


def settle_jobs(backend: Any) -> None:
    """Backup and restore jobs move on as their RDS instances do (AWS runs them asynchronously)."""
    st = state_of(backend)
    current = now()
    for job in st["jobs"].values():
        if job["State"] != "CREATED":
            continue
        match = RDS_DB_ARN.match(job["ResourceArn"])
        rds = rds_backend(backend.account_id, backend.region_name)
        db = rds.databases.get(match.group(3).lower()) if match else None
        if db is None or db.status in ("deleting", "failed"):
            job.update(State="FAILED", CompletionDate=current,
                       StatusMessage=f"Unable to back up {job['ResourceArn']}: the resource was not found.")
            continue
        if db.status != "available":
            if current > job["StartBy"]:
                job.update(State="EXPIRED", CompletionDate=current,
                           StatusMessage="The backup job did not start within the start window.")
            continue
        vault = backend.vaults.get(job["BackupVaultName"])
        if vault is None:
            job.update(State="FAILED", CompletionDate=current,
                       StatusMessage=f"Backup vault {job['BackupVaultName']} does not exist.")
            continue
        snapshot = take_snapshot(job, db, rds)
        rp = new_recovery_point(backend, vault, db, snapshot, job, job.get("RecoveryPointLifecycle"))
        job.update(State="COMPLETED", CompletionDate=current, PercentDone="100.0",
                   RecoveryPointArn=rp["RecoveryPointArn"], BackupSizeInBytes=rp["BackupSizeInBytes"])
        copies = [copy_recovery_point(job, rp, db, a) for a in job.get("_copy_actions") or []]
        job["_copies"] = [c for c in copies if c]
    for job in st["restore_jobs"].values():
        if job["Status"] not in ("PENDING", "RUNNING"):
            continue
        rds = rds_backend(backend.account_id, backend.region_name)
        db = rds.databases.get(job["_db_identifier"])
        if db is None or db.status in ("failed", "incompatible-parameters", "deleting"):
            job.update(Status="FAILED", CompletionDate=current,
                       StatusMessage=f"The restored DB instance {job['_db_identifier']} failed.")
        elif db.status == "available":
            job.update(Status="COMPLETED", CompletionDate=current, PercentDone="100.00%")
        else:
            job["Status"] = "RUNNING"


def start_backup_job(backend: Any, params: dict[str, Any], operation: str,
                     created_by: dict[str, Any] | None = None,
                     copy_actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    st = state_of(backend)
    token = params.get("IdempotencyToken")
    if token and ("backup", token) in st["tokens"]:
        return st["jobs"][st["tokens"][("backup", token)]]
    vault = find_vault(backend, str(params.get("BackupVaultName") or ""), operation)
    resource = str(params.get("ResourceArn") or "")
    match = RDS_DB_ARN.match(resource)
    if match is None or match.group(1) != backend.region_name or match.group(2) != backend.account_id:
        raise invalid(
            f"Invalid resource ARN {resource}: the emulator backs up Amazon RDS DB instances of "
            f"account {backend.account_id} in {backend.region_name}.",
            operation,
        )
    role = str(params.get("IamRoleArn") or "")
    if ROLE_ARN.match(role) is None:
        raise invalid(f"Invalid IAM role ARN {role}: it must be the ARN of an IAM role.", operation)
    problem = window_problem(params.get("StartWindowMinutes"), "StartWindowMinutes")
    if problem:
        raise invalid(problem, operation)
    found = lifecycle_problem(params.get("Lifecycle"), False)
    if found:
        raise invalid(found[0], operation, found[1])
    created = now()
    job: dict[str, Any] = {
        "AccountId": backend.account_id,
        "BackupJobId": job_id(),
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "VaultType": "BACKUP_VAULT",
        "ResourceArn": resource,
        "ResourceType": "RDS",
        "ResourceName": match.group(3),
        "IamRoleArn": role,
        "CreationDate": created,
        "InitiationDate": created,
        "State": "CREATED",
        "PercentDone": "0.0",
        "StartBy": created + 60 * int(params.get("StartWindowMinutes") or 480),
        "IsParent": False,
        "_recovery_point_tags": dict(params.get("RecoveryPointTags") or {}),
        "_copy_actions": list(copy_actions or []),
    }
    if params.get("CompleteWindowMinutes"):
        job["ExpectedCompletionDate"] = created + 60 * int(params["CompleteWindowMinutes"])
    if params.get("Lifecycle"):
        job["RecoveryPointLifecycle"] = dict(params["Lifecycle"])
    if created_by:
        job["CreatedBy"] = dict(created_by)
    st["jobs"][job["BackupJobId"]] = job
    if token:
        st["tokens"][("backup", token)] = job["BackupJobId"]
    return job


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}


def find_recovery_point(backend: Any, vault_name: str, arn: str, operation: str) -> dict[str, Any]:
    find_vault(backend, vault_name, operation)
    rp = state_of(backend)["recovery_points"].get(arn)
    if rp is None or rp["BackupVaultName"] != vault_name:
        raise not_found(f"Recovery point {arn} was not found in backup vault {vault_name}.", operation)
    return rp


def delete_recovery_point_record(backend: Any, rp: dict[str, Any]) -> None:
    state_of(backend)["recovery_points"].pop(rp["RecoveryPointArn"], None)
    try:
        rds_backend(rp["_account"], rp["_region"]).database_snapshots.pop(rp["_snapshot"], None)
    except Exception:
        pass


# -- tags ----------------------------------------------------------------------------------------
def tag_target(backend: Any, arn: str, operation: str) -> str:
    """'vault', 'plan' or 'rds' for a taggable ARN of this Region; else the refusal."""
    st = state_of(backend)
    if any(v.backup_vault_arn == arn for v in backend.vaults.values()):
        return "vault"
    if any(p["BackupPlanArn"] == arn and p.get("DeletionDate") is None for p in st["plans"].values()):
        return "plan"
    if arn in st["recovery_points"]:
        return "rds"
    raise not_found(f"The resource {arn} was not found.", operation)


def snapshot_of(rp: dict[str, Any]) -> Any:
    return rds_backend(rp["_account"], rp["_region"]).database_snapshots.get(rp["_snapshot"])


# -- events --------------------------------------------------------------------------------------
def run_rule(payload: dict[str, Any]) -> dict[str, Any]:
    """The plan's rule(s) run now, as their schedule would run them."""
    ensure_rds()
    plan_id = str(payload.get("backup_plan_id") or "")
    if not plan_id:
        raise ValueError('backup_run_rule needs "backup_plan_id"')
    backend = backend_of(str(payload.get("account_id") or DEFAULT_ACCOUNT),
                         str(payload.get("region") or DEFAULT_REGION))
    st = state_of(backend)
    plan = st["plans"].get(plan_id)
    if plan is None or plan.get("DeletionDate") is not None:
        raise ValueError(f"backup plan {plan_id} does not exist in {backend.region_name}")
    rules = plan["BackupPlan"]["Rules"]
    wanted = payload.get("rule_name")
    if wanted:
        rules = [r for r in rules if r["RuleName"] == wanted]
        if not rules:
            raise ValueError(f"backup plan {plan_id} has no rule {wanted}")
    rds = rds_backend(backend.account_id, backend.region_name)
    jobs: list[str] = []
    matched: set[str] = set()
    selections = list(st["selections"].get(plan_id, {}).values())
    for rule in rules:
        for selection in selections:
            body = selection["BackupSelection"]
            for db in list(rds.databases.values()):
                arn = db.db_instance_arn
                if not selection_matches(body, arn, rds_tags(db)):
                    continue
                matched.add(arn)
                job = start_backup_job(
                    backend,
                    {
                        "BackupVaultName": rule["TargetBackupVaultName"],
                        "ResourceArn": arn,
                        "IamRoleArn": body["IamRoleArn"],
                        "StartWindowMinutes": rule.get("StartWindowMinutes"),
                        "CompleteWindowMinutes": rule.get("CompletionWindowMinutes"),
                        "Lifecycle": rule.get("Lifecycle"),
                        "RecoveryPointTags": rule.get("RecoveryPointTags"),
                    },
                    "backup_run_rule",
                    created_by={
                        "BackupPlanId": plan["BackupPlanId"],
                        "BackupPlanArn": plan["BackupPlanArn"],
                        "BackupPlanVersion": plan["VersionId"],
                        "BackupRuleId": rule["RuleId"],
                    },
                    copy_actions=rule.get("CopyActions"),
                )
                jobs.append(job["BackupJobId"])
    plan["LastExecutionDate"] = now()
    settle_jobs(backend)
    return {
        "backup_plan_id": plan_id,
        "backup_job_ids": jobs,
        "resources": sorted(matched),
        "states": {j: st["jobs"][j]["State"] for j in jobs},
    }


# -- wiring --------------------------------------------------------------------------------------
OPERATIONS: list[Any] = []


def operation(fn: Any) -> Any:
    OPERATIONS.append(fn)
    return fn


@operation
def create_backup_vault(self: BackupResponse) -> Any:
    op = "CreateBackupVault"
    backend = response_backend(self)
    params = params_of(self)
    name = uri(self, "backupVaultName")
    if name in backend.vaults:
        raise refuse("AlreadyExistsException", "Backup vault with the same name already exists", op)
    key_arn, customer = vault_key(backend, params.get("EncryptionKeyArn"), op)
    vault = backend.create_backup_vault(
        backup_vault_name=name,
        backup_vault_tags=params.get("BackupVaultTags") or {},
        encryption_key_arn=key_arn,
        creator_request_id=params.get("CreatorRequestId"),
    )
    vault.__dict__["_mosia_customer_key"] = customer
    return ok({"BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn,
               "CreationDate": vault.creation_date})


@operation
def describe_backup_vault(self: BackupResponse) -> Any:
    backend = response_backend(self)
    settle_jobs(backend)
    vault = find_vault(backend, uri(self, "backupVaultName"), "DescribeBackupVault")
    return ok(vault_view(backend, vault))


@operation
def list_backup_vaults(self: BackupResponse) -> Any:
    backend = response_backend(self)
    settle_jobs(backend)
    items = [vault_view(backend, v) for _, v in sorted(backend.vaults.items())]
    chunk, following = paged(self, items, "ListBackupVaults")
    out: dict[str, Any] = {"BackupVaultList": chunk}
    if following:
        out["NextToken"] = following
    return ok(out)


@operation
def delete_backup_vault(self: BackupResponse) -> Any:
    op = "DeleteBackupVault"
    backend = response_backend(self)
    settle_jobs(backend)
    name = uri(self, "backupVaultName")
    find_vault(backend, name, op)
    if vault_recovery_points(backend, name):
        raise refuse(
            "InvalidRequestException",
            "Backup vault cannot be deleted because it contains recovery points.",
            op,
            "ERROR_9101",
        )
    vault = backend.vaults.pop(name)
    backend.tagger.delete_all_tags_for_resource(vault.backup_vault_arn)
    return ok()


@operation
def create_backup_plan(self: BackupResponse) -> Any:
    op = "CreateBackupPlan"
    backend = response_backend(self)
    params = params_of(self)
    st = state_of(backend)
    request_id = params.get("CreatorRequestId")
    if request_id:
        for plan in st["plans"].values():
            if plan.get("CreatorRequestId") == request_id and plan.get("DeletionDate") is None:
                return ok({k: plan[k] for k in ("BackupPlanId", "BackupPlanArn", "CreationDate", "VersionId")})
    document = normalize_plan_input(backend, params.get("BackupPlan"), op, None)
    name = document["BackupPlanName"]
    if any(p["BackupPlan"]["BackupPlanName"] == name and p.get("DeletionDate") is None
           for p in st["plans"].values()):
        raise refuse("AlreadyExistsException", "Backup plan with the same plan document already exists", op)
    plan_id = str(uuid.uuid4())
    created = now()
    plan: dict[str, Any] = {
        "BackupPlanId": plan_id,
        "BackupPlanArn": f"arn:{self.partition}:backup:{backend.region_name}:{backend.account_id}:backup-plan:{plan_id}",
        "VersionId": uuid.uuid4().hex + uuid.uuid4().hex[:16],
        "CreationDate": created,
        "CreatorRequestId": request_id,
        "BackupPlan": document,
        "DeletionDate": None,
        "LastExecutionDate": None,
        "versions": [],
    }
    st["plans"][plan_id] = plan
    if params.get("BackupPlanTags"):
        backend.tag_resource(plan["BackupPlanArn"], params["BackupPlanTags"])
    out = {k: plan[k] for k in ("BackupPlanId", "BackupPlanArn", "CreationDate", "VersionId")}
    if document.get("AdvancedBackupSettings"):
        out["AdvancedBackupSettings"] = document["AdvancedBackupSettings"]
    return ok(out)


@operation
def get_backup_plan(self: BackupResponse) -> Any:
    op = "GetBackupPlan"
    backend = response_backend(self)
    plan_id = uri(self, "backupPlanId")
    version = query(self, "versionId")
    plan = find_plan(backend, plan_id, op, include_deleted=bool(version))
    if version and version != plan["VersionId"]:
        for old in plan["versions"]:
            if old["VersionId"] == version:
                return ok(plan_version_view(plan, old["BackupPlan"], old["VersionId"], old["CreationDate"]))
        raise not_found("Failed reading Backup plan with provided version", op)
    return ok(plan_version_view(plan, plan["BackupPlan"], plan["VersionId"], plan["CreationDate"]))


@operation
def update_backup_plan(self: BackupResponse) -> Any:
    op = "UpdateBackupPlan"
    backend = response_backend(self)
    params = params_of(self)
    plan = find_plan(backend, uri(self, "backupPlanId"), op)
    document = normalize_plan_input(backend, params.get("BackupPlan"), op, plan["BackupPlan"])
    plan["versions"].append({"VersionId": plan["VersionId"], "BackupPlan": plan["BackupPlan"],
                             "CreationDate": plan["CreationDate"]})
    plan["BackupPlan"] = document
    plan["VersionId"] = uuid.uuid4().hex + uuid.uuid4().hex[:16]
    plan["CreationDate"] = now()
    out = {k: plan[k] for k in ("BackupPlanId", "BackupPlanArn", "CreationDate", "VersionId")}
    if document.get("AdvancedBackupSettings"):
        out["AdvancedBackupSettings"] = document["AdvancedBackupSettings"]
    return ok(out)


@operation
def delete_backup_plan(self: BackupResponse) -> Any:
    op = "DeleteBackupPlan"
    backend = response_backend(self)
    plan = find_plan(backend, uri(self, "backupPlanId"), op)
    if state_of(backend)["selections"].get(plan["BackupPlanId"]):
        raise refuse(
            "InvalidRequestException",
            "Related backup plan selections must be deleted prior to backup plan deletion",
            op,
        )
    plan["DeletionDate"] = now()
    return ok({"BackupPlanId": plan["BackupPlanId"], "BackupPlanArn": plan["BackupPlanArn"],
               "DeletionDate": plan["DeletionDate"], "VersionId": plan["VersionId"]})


@operation
def list_backup_plans(self: BackupResponse) -> Any:
    backend = response_backend(self)
    include_deleted = str(query(self, "includeDeleted") or "").lower() == "true"
    items = []
    for plan in sorted(state_of(backend)["plans"].values(), key=lambda p: p["CreationDate"]):
        if plan.get("DeletionDate") is not None and not include_deleted:
            continue
        item = {
            "BackupPlanArn": plan["BackupPlanArn"],
            "BackupPlanId": plan["BackupPlanId"],
            "CreationDate": plan["CreationDate"],
            "VersionId": plan["VersionId"],
            "BackupPlanName": plan["BackupPlan"]["BackupPlanName"],
        }
        for key in ("DeletionDate", "LastExecutionDate", "CreatorRequestId"):
            if plan.get(key) is not None:
                item[key] = plan[key]
        if plan["BackupPlan"].get("AdvancedBackupSettings"):
            item["AdvancedBackupSettings"] = plan["BackupPlan"]["AdvancedBackupSettings"]
        items.append(item)
    chunk, following = paged(self, items, "ListBackupPlans")
    out: dict[str, Any] = {"BackupPlansList": chunk}
    if following:
        out["NextToken"] = following
    return ok(out)


@operation
def create_backup_selection(self: BackupResponse) -> Any:
    op = "CreateBackupSelection"
    backend = response_backend(self)
    params = params_of(self)
    plan_id = uri(self, "backupPlanId")
    plan = state_of(backend)["plans"].get(plan_id)
    if plan is None or plan.get("DeletionDate") is not None:
        raise not_found(f"Backup plan {plan_id} does not exist.", op)
    selection = check_selection(params.get("BackupSelection"), op)
    existing = state_of(backend)["selections"].setdefault(plan_id, {})
    request_id = params.get("CreatorRequestId")
    if request_id:
        for record in existing.values():
            if record.get("CreatorRequestId") == request_id:
                return ok({k: record[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})
    name = str(selection.get("SelectionName") or "")
    if any(r["BackupSelection"].get("SelectionName") == name for r in existing.values()):
        raise refuse(
            "AlreadyExistsException",
            f"Backup selection with the name {name} already exists in backup plan {plan_id}.",
            op,
        )
    record = {
        "SelectionId": str(uuid.uuid4()),
        "BackupPlanId": plan_id,
        "CreationDate": now(),
        "CreatorRequestId": request_id,
        "BackupSelection": selection,
    }
    existing[record["SelectionId"]] = record
    return ok({k: record[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})


def find_selection(backend: Any, plan_id: str, selection_id: str, operation: str) -> dict[str, Any]:
    record = state_of(backend)["selections"].get(plan_id, {}).get(selection_id)
    if record is None:
        raise not_found(f"Backup selection {selection_id} does not exist in backup plan {plan_id}.", operation)
    return record


@operation
def get_backup_selection(self: BackupResponse) -> Any:
    backend = response_backend(self)
    record = find_selection(backend, uri(self, "backupPlanId"), uri(self, "selectionId"), "GetBackupSelection")
    out = {k: copy.deepcopy(record[k]) for k in ("BackupSelection", "SelectionId", "BackupPlanId", "CreationDate")}
    if record.get("CreatorRequestId"):
        out["CreatorRequestId"] = record["CreatorRequestId"]
    return ok(out)


@operation
def list_backup_selections(self: BackupResponse) -> Any:
    op = "ListBackupSelections"
    backend = response_backend(self)
    plan_id = uri(self, "backupPlanId")
    find_plan(backend, plan_id, op)
    items = []
    for record in sorted(state_of(backend)["selections"].get(plan_id, {}).values(), key=lambda r: r["CreationDate"]):
        item = {
            "SelectionId": record["SelectionId"],
            "SelectionName": record["BackupSelection"].get("SelectionName"),
            "BackupPlanId": plan_id,
            "CreationDate": record["CreationDate"],
            "IamRoleArn": record["BackupSelection"].get("IamRoleArn"),
        }
        if record.get("CreatorRequestId"):
            item["CreatorRequestId"] = record["CreatorRequestId"]
        items.append(item)
    chunk, following = paged(self, items, op)
    out: dict[str, Any] = {"BackupSelectionsList": chunk}
    if following:
        out["NextToken"] = following
    return ok(out)


@operation
def delete_backup_selection(self: BackupResponse) -> Any:
    op = "DeleteBackupSelection"
    backend = response_backend(self)
    plan_id = uri(self, "backupPlanId")
    record = find_selection(backend, plan_id, uri(self, "selectionId"), op)
    del state_of(backend)["selections"][plan_id][record["SelectionId"]]
    if not state_of(backend)["selections"][plan_id]:
        del state_of(backend)["selections"][plan_id]
    return ok()


@operation
def start_backup_job_op(self: BackupResponse) -> Any:
    ensure_rds()
    backend = response_backend(self)
    settle_jobs(backend)
    job = start_backup_job(backend, params_of(self), "StartBackupJob")
    settle_jobs(backend)
    return ok({"BackupJobId": job["BackupJobId"], "CreationDate": job["CreationDate"], "IsParent": False})


@operation
def describe_backup_job(self: BackupResponse) -> Any:
    op = "DescribeBackupJob"
    ensure_rds()
    backend = response_backend(self)
    settle_jobs(backend)
    job = state_of(backend)["jobs"].get(uri(self, "backupJobId"))
    if job is None:
        raise not_found(f"Backup job {uri(self, 'backupJobId')} was not found.", op)
    return ok(public(job))


@operation
def list_backup_jobs(self: BackupResponse) -> Any:
    ensure_rds()
    backend = response_backend(self)
    settle_jobs(backend)
    filters = {
        "ResourceArn": query(self, "resourceArn"),
        "State": query(self, "state"),
        "BackupVaultName": query(self, "backupVaultName"),
        "ResourceType": query(self, "resourceType"),
    }
    items = []
    for job in sorted(state_of(backend)["jobs"].values(), key=lambda j: j["CreationDate"]):
        if any(v and job.get(k) != v for k, v in filters.items()):
            continue
        items.append(public(job))
    chunk, following = paged(self, items, "ListBackupJobs")
    out: dict[str, Any] = {"BackupJobs": chunk}
    if following:
        out["NextToken"] = following
    return ok(out)


@operation
def list_recovery_points_by_backup_vault(self: BackupResponse) -> Any:
    op = "ListRecoveryPointsByBackupVault"
    ensure_rds()
    backend = response_backend(self)
    settle_jobs(backend)
    name = uri(self, "backupVaultName")
    find_vault(backend, name, op)
    by_resource = query(self, "resourceArn")
    by_type = query(self, "resourceType")
    by_plan = query(self, "backupPlanId")
    items = []
    for rp in sorted(vault_recovery_points(backend, name), key=lambda r: r["CreationDate"]):
        if by_resource and rp["ResourceArn"] != by_resource:
            continue
        if by_type and rp["ResourceType"] != by_type:
            continue
        if by_plan and (rp.get("CreatedBy") or {}).get("BackupPlanId") != by_plan:
            continue
        items.append(public(rp))
    chunk, following = paged(self, items, op)
    out: dict[str, Any] = {"RecoveryPoints": chunk}
    if following:
        out["NextToken"] = following
    return ok(out)


@operation
def list_recovery_points_by_resource(self: BackupResponse) -> Any:
    op = "ListRecoveryPointsByResource"
    ensure_rds()
    backend = response_backend(self)
    settle_jobs(backend)
    arn = uri(self, "resourceArn")
    minimum = 20 if RDS_DB_ARN.match(arn) else 1
    items = []
    for rp in sorted(state_of(backend)["recovery_points"].values(), key=lambda r: r["CreationDate"]):
        if rp["ResourceArn"] != arn:
            continue
        item = {k: rp[k] for k in ("RecoveryPointArn", "CreationDate", "Status", "BackupVaultName",
                                   "ResourceName", "IsParent", "VaultType") if k in rp}
        item["BackupSizeBytes"] = rp["BackupSizeInBytes"]
        if rp.get("EncryptionKeyArn"):
            item["EncryptionKeyArn"] = rp["EncryptionKeyArn"]
        items.append(item)
    chunk, following = paged(self, items, op, minimum=minimum)
    out: dict[str, Any] = {"RecoveryPoints": chunk}
    if following:
        out["NextToken"] = following
    return ok(out)


@operation
def describe_recovery_point(self: BackupResponse) -> Any:
    backend = response_backend(self)
    settle_jobs(backend)
    rp = find_recovery_point(backend, uri(self, "backupVaultName"), uri(self, "recoveryPointArn"),
                             "DescribeRecoveryPoint")
    return ok(public(rp))


@operation
def delete_recovery_point(self: BackupResponse) -> Any:
    backend = response_backend(self)
    settle_jobs(backend)
    rp = find_recovery_point(backend, uri(self, "backupVaultName"), uri(self, "recoveryPointArn"),
                             "DeleteRecoveryPoint")
    delete_recovery_point_record(backend, rp)
    return ok()


@operation
def get_recovery_point_restore_metadata(self: BackupResponse) -> Any:
    op = "GetRecoveryPointRestoreMetadata"
    ensure_rds()
    backend = response_backend(self)
    settle_jobs(backend)
    rp = find_recovery_point(backend, uri(self, "backupVaultName"), uri(self, "recoveryPointArn"), op)
    snapshot = snapshot_of(rp)
    if snapshot is None:
        raise not_found(f"The snapshot of recovery point {rp['RecoveryPointArn']} was not found.", op)
    return ok({"BackupVaultArn": rp["BackupVaultArn"], "RecoveryPointArn": rp["RecoveryPointArn"],
               "RestoreMetadata": restore_metadata(snapshot), "ResourceType": "RDS"})


@operation
def start_restore_job(self: BackupResponse) -> Any:
    op = "StartRestoreJob"
    ensure_rds()
    backend = response_backend(self)
    settle_jobs(backend)
    params = params_of(self)
    st = state_of(backend)
    token = params.get("IdempotencyToken")
    if token and ("restore", token) in st["tokens"]:
        return ok({"RestoreJobId": st["tokens"][("restore", token)]})
    arn = str(params.get("RecoveryPointArn") or "")
    rp = st["recovery_points"].get(arn)
    if rp is None:
        raise not_found(f"Recovery point {arn} was not found.", op)
    if params.get("ResourceType") and params["ResourceType"] != rp["ResourceType"]:
        raise invalid(
            f"Invalid resource type {params['ResourceType']} for recovery point {arn} of type "
            f"{rp['ResourceType']}.",
            op,
        )
    role = params.get("IamRoleArn")
    if role and ROLE_ARN.match(str(role)) is None:
        raise invalid(f"Invalid IAM role ARN {role}: it must be the ARN of an IAM role.", op)
    metadata = params.get("Metadata") if isinstance(params.get("Metadata"), dict) else {}
    identifier = str(metadata.get("DBInstanceIdentifier") or "")
    if not identifier:
        raise invalid("Metadata DBInstanceIdentifier is required to restore an Amazon RDS DB instance.", op)
    created = now()
    job: dict[str, Any] = {
        "AccountId": backend.account_id,
        "RestoreJobId": job_id(),
        "RecoveryPointArn": arn,
        "SourceResourceArn": rp["ResourceArn"],
        "BackupVaultArn": rp["BackupVaultArn"],
        "CreationDate": created,
        "Status": "PENDING",
        "PercentDone": "0.00%",
        "ResourceType": "RDS",
        "RecoveryPointCreationDate": rp["CreationDate"],
        "IsParent": False,
        "_db_identifier": identifier.lower(),
    }
    if role:
        job["IamRoleArn"] = role
    rds = rds_backend(rp["_account"], rp["_region"])
    snapshot = snapshot_of(rp)
    # moto's restore looks the snapshot up among the automated and manual ones only (as
    # DescribeDBSnapshots without SnapshotType answers); Backup restores its own.
    saved_type = getattr(snapshot, "snapshot_type", None)
    try:
        if snapshot is not None:
            snapshot.snapshot_type = "manual"
        db = rds.restore_db_instance_from_db_snapshot(rp["_snapshot"], restore_overrides(metadata))
    except Exception as err:  # noqa: BLE001 - RDS's refusal fails the job, as AWS reports it
        message = str(getattr(err, "message", None) or getattr(err, "description", None) or err)
        job.update(Status="FAILED", CompletionDate=now(), StatusMessage=message)
    else:
        job.update(Status="RUNNING", CreatedResourceArn=db.db_instance_arn, _db_identifier=db.db_instance_identifier)
        if params.get("CopySourceTagsToRestoredResource") and snapshot is not None and snapshot.tags:
            db.tags = list(snapshot.tags)
    finally:
        if snapshot is not None:
            snapshot.snapshot_type = saved_type
    st["restore_jobs"][job["RestoreJobId"]] = job
    if token:
        st["tokens"][("restore", token)] = job["RestoreJobId"]
    return ok({"RestoreJobId": job["RestoreJobId"]})


@operation
def describe_restore_job(self: BackupResponse) -> Any:
    op = "DescribeRestoreJob"
    ensure_rds()
    backend = response_backend(self)
    settle_jobs(backend)
    job = state_of(backend)["restore_jobs"].get(uri(self, "restoreJobId"))
    if job is None:
        raise not_found(f"Restore job {uri(self, 'restoreJobId')} was not found.", op)
    return ok(public(job))


@operation
def tag_resource(self: BackupResponse) -> Any:
    op = "TagResource"
    backend = response_backend(self)
    arn = uri(self, "resourceArn")
    kind = tag_target(backend, arn, op)
    tags = params_of(self).get("Tags") or {}
    if kind == "rds":
        snapshot = snapshot_of(state_of(backend)["recovery_points"][arn])
        if snapshot is not None:
            current = {t["Key"]: t["Value"] for t in snapshot.tags or []}
            current.update({str(k): str(v) for k, v in tags.items()})
            snapshot.tags = [{"Key": k, "Value": v} for k, v in current.items()]
        return ok()
    backend.tag_resource(arn, tags)
    return ok()


@operation
def untag_resource(self: BackupResponse) -> Any:
    op = "UntagResource"
    backend = response_backend(self)
    arn = uri(self, "resourceArn")
    kind = tag_target(backend, arn, op)
    if kind == "rds":
        raise invalid(
            f"UntagResource is not supported for recovery points of Amazon RDS: {arn}", op
        )
    backend.untag_resource(arn, params_of(self).get("TagKeyList") or [])
    return ok()


@operation
def list_tags(self: BackupResponse) -> Any:
    op = "ListTags"
    backend = response_backend(self)
    arn = uri(self, "resourceArn")
    kind = tag_target(backend, arn, op)
    if kind == "rds":
        snapshot = snapshot_of(state_of(backend)["recovery_points"][arn])
        tags = {t["Key"]: t["Value"] for t in (snapshot.tags if snapshot is not None else []) or []}
    else:
        tags = backend.list_tags(arn)
    return ok({"Tags": tags})


def apply(state: Any) -> None:
    _ = state
    for path in (
        # A rule ending in "/" matches with and without the slash (Flask, strict_slashes off).
        "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$",
        "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<arn>.+)$",
        "{0}/backup-jobs/$",
        "{0}/backup-jobs/(?P<id>[^/]+)$",
        "{0}/restore-jobs/$",
        "{0}/restore-jobs/(?P<id>[^/]+)$",
        "{0}/resources/(?P<arn>.+)/recovery-points/$",
    ):
        backup_urls.url_paths.setdefault(path, backup_urls.response.dispatch)
    for fn in OPERATIONS:
        name = "start_backup_job" if fn.__name__ == "start_backup_job_op" else fn.__name__
        add(BackupResponse, name)(fn)
    events.register("backup_run_rule")(run_rule)
