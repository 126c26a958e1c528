//! The `mosia_environment` schema: one resource for a whole application environment.
//!
//! Validators here check one attribute at a time (formats, ranges, closed sets); rules that
//! relate attributes or depend on the tier live in [`super::guardrails`]. Defaults that are
//! the same for every tier are schema defaults; tier-dependent ones are planned by
//! [`super::spec::apply_tier_defaults`] and described here from the same table.

use std::time::Duration;

use mosia_tfplugin::{validators, Attribute, Block, Nesting, Schema, Type, Validator, Value};

use super::cost::Service;
use super::spec::{
    self, parse_duration, tier_default_note, AccessPolicy, AmiType, AuthenticationMode,
    CacheAuthentication, CacheEngine, CapacityType, MajorUpgrade, MskAuth, MskTransit, NatGateway,
    Scaling, SupportType, TaintEffect, Tier, TierDefaults, DEFAULT_ADDONS,
};

mod eks;
mod encryption;
mod monitoring;
mod services;
mod workloads;

use eks::eks;
use services::{elasticache, msk, rds};
pub use workloads::{valid_dns_label, valid_dns_subdomain, valid_kafka_pattern};

pub const SCHEMA_VERSION: i64 = 0;

/// EKS control plane log types.
pub const EKS_LOG_TYPES: &[&str] = &[
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];
/// The retention periods CloudWatch Logs accepts (`PutRetentionPolicy`), in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// RDS gp3 storage sizes in GB.
pub const RDS_STORAGE_GB: std::ops::RangeInclusive<i64> = 20..=65536;
/// Longest timeout accepted: past a day, something is stuck and waiting longer will not help.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Environment names prefix every AWS name Mosia derives (`NAME-cache`, `NAME-general`, …),
/// so they follow the strictest rules among them: RDS identifiers (lowercase letters, digits
/// and single hyphens, starting with a letter, not ending with a hyphen) and a length that
/// leaves room for suffixes within ElastiCache's 40-character replication group IDs.
/// A DB snapshot name, or the ARN of one (`arn:PARTITION:rds:REGION:ACCOUNT:snapshot:NAME`),
/// an AWS Backup recovery point of a DB instance included.
fn valid_snapshot_reference(s: &str) -> bool {
    let name = match s.strip_prefix("arn:") {
        Some(rest) => {
            // PARTITION:rds:REGION:ACCOUNT:snapshot:NAME
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            if parts.len() != 5 || parts[1] != "rds" || !parts[0].starts_with("aws") {
                return false;
            }
            match parts[4].strip_prefix("snapshot:") {
                Some(n) => n,
                None => return false,
            }
        }
        None => s,
    };
    // Automated snapshots are named `rds:INSTANCE-DATE`; AWS Backup's recovery points of a
    // DB instance are snapshots named `awsbackup:job-ID`.
    let name = name
        .strip_prefix("rds:")
        .or_else(|| name.strip_prefix("awsbackup:"))
        .unwrap_or(name);
    name.len() <= 255 && valid_rds_identifier(&name.to_ascii_lowercase())
}

pub fn valid_environment_name(s: &str) -> bool {
    (3..=28).contains(&s.len()) && valid_rds_identifier(s)
}

/// RDS identifier rules (instances, snapshots): letters, digits, single hyphens; a letter
/// first; no hyphen last.
pub fn valid_rds_identifier(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// `vpc-` and 8 or 17 hex digits.
pub fn valid_vpc_id(s: &str) -> bool {
    valid_aws_id(s, "vpc-")
}

/// `subnet-` and 8 or 17 hex digits.
pub fn valid_subnet_id(s: &str) -> bool {
    valid_aws_id(s, "subnet-")
}

fn valid_aws_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|hex| {
        matches!(hex.len(), 8 | 17)
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// PostgreSQL identifiers RDS accepts for the master user and the database name.
fn valid_pg_identifier(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An IAM role or user ARN (`arn:aws:iam::123456789012:role/path/Name`), the principals
/// EKS access entries take.
fn valid_principal_arn(s: &str) -> bool {
    let mut parts = s.splitn(6, ':');
    let (arn, partition, service, region, account, resource) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    );
    arn == Some("arn")
        && partition.is_some_and(|p| p.starts_with("aws"))
        && service == Some("iam")
        && region == Some("")
        && account.is_some_and(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        && resource.is_some_and(|r| {
            ["role/", "user/"]
                .iter()
                .any(|k| r.strip_prefix(k).is_some_and(|n| !n.is_empty()))
        })
}

/// One of [`LOG_RETENTION_DAYS`].
fn retention_days() -> Validator {
    let list = LOG_RETENTION_DAYS
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Validator::new(format!("one of {list}"), move |v| match v.as_i64() {
        Some(d) if LOG_RETENTION_DAYS.iter().any(|&a| i64::from(a) == d) => Ok(()),
        Some(d) => Err(format!("{d} is not allowed; expected one of {list}")),
        None => Ok(()),
    })
}

fn valid_timeout(s: &str) -> bool {
    parse_duration(s).is_ok_and(|d| d <= MAX_TIMEOUT)
}

/// Every element of a list or set is one of `allowed` (unknown elements pass: checked later).
fn each_one_of(allowed: &'static [&'static str]) -> Validator {
    let list = allowed.join(", ");
    Validator::new(format!("each one of {list}"), move |v| {
        for e in v.elements() {
            if let Some(s) = e.as_str() {
                if !allowed.contains(&s) {
                    return Err(format!("{s:?} is not allowed; expected each one of {list}"));
                }
            }
        }
        Ok(())
    })
}

/// Instance families of the price catalog, as inline code: the ones the guardrails accept.
fn known_families(service: Service) -> String {
    let names: Vec<String> = service
        .families()
        .iter()
        .map(|f| format!("{}{}", service.prefix(), f.name))
        .collect();
    choices(&names.iter().map(String::as_str).collect::<Vec<_>>())
}

fn string_map() -> Type {
    Type::map(Type::String)
}

fn string_list() -> Type {
    Type::list(Type::String)
}

fn code(v: impl std::fmt::Display) -> String {
    format!("`{v}`")
}

/// "A, B or C" as inline code, for descriptions.
fn choices(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Description text plus the tier defaults of the attribute.
fn with_tier_default(text: &str, cell: impl Fn(&TierDefaults) -> String) -> String {
    format!("{text} {}", tier_default_note(cell))
}

pub fn schema() -> Schema {
    Schema::new(SCHEMA_VERSION, root())
}

/// The schema, built once per process: the resource and the data source (which fills
/// states of this shape) share it, and every Terraform command starts the provider anew.
pub fn shared() -> &'static Schema {
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(schema)
}

fn root() -> Block {
    Block::new(&format!(
        "A whole application environment on AWS, as one resource: networking, IAM, an EKS \
         cluster with node groups, RDS PostgreSQL, ElastiCache and MSK. Parts are created \
         concurrently along their dependencies, every AWS object carries ownership tags so an \
         interrupted apply is resumed without duplicates, and refresh reports drift on every \
         part. Every service block is optional.\n\n`tier` picks defaults for the values left \
         out, and guardrails checked at plan time (production requires Multi-AZ RDS with \
         backups and deletion protection, ElastiCache failover, at least 3 MSK brokers and a \
         private EKS endpoint unless acknowledged). Tier defaults:\n\n{}",
        spec::TIER_DEFAULTS_TABLE
    ))
    .attr(
        Attribute::string("id")
            .computed()
            .description("The environment name."),
    )
    .attr(
        Attribute::string("name")
            .required()
            .requires_replace()
            .description(
                "Name of the environment, the prefix of every AWS name it creates. 3-28 \
                 lowercase letters, digits and single hyphens, starting with a letter. \
                ",
            )
            .validate(validators::string_matches(
                "3-28 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen",
                valid_environment_name,
            )),
    )
    .attr(
        Attribute::string("tier")
            .required()
            .description(&format!(
                "{}: picks the defaults of values left out and the guardrails checked at plan \
                 time. `dev` is cheap with no extra guardrails; `production` is highly \
                 available and protected. Changing it re-plans every defaulted value.",
                choices(Tier::NAMES)
            ))
            .validate(validators::one_of(Tier::NAMES)),
    )
    .attr(
        Attribute::of_type("tags", string_map())
            .optional()
            .description(
                "Tags for every AWS object of the environment, merged over the provider's \
                 `default_tags`. Keys starting with `mosia:` are reserved for ownership tags.",
            ),
    )
    .attr(
        Attribute::of_type("tags_all", string_map())
            .computed()
            .description("`tags` merged with the provider's `default_tags`: what every part is tagged with."),
    )
    .attr(estimated_cost())
    .attr(
        Attribute::of_type("part_status", string_map())
            .computed()
            .description(
                "Status of each part of the environment (`network`, `iam`, `eks`, each node \
                 group, `rds`, `elasticache`, `msk`) as last seen, e.g. `ready`, `failed`, \
                 `missing`, `pending-maintenance` (changes wait for the part's maintenance window \
                 or a reboot: see `pending_changes`). A part that failed or went missing is \
                 created again by the next apply.",
            ),
    )
    .attr(pending_changes())
    .attrs(encryption::root_attributes())
    .block("network", Nesting::Single, network())
    .block("eks", Nesting::Single, eks())
    .block("rds", Nesting::Single, rds())
    .block("elasticache", Nesting::Single, elasticache())
    .attr(workloads::workload())
    .attr(workloads::workloads_output())
    .block("msk", Nesting::Single, msk())
    .block("monitoring", Nesting::Single, monitoring::block())
    .attrs(monitoring::root_attributes())
    .block("budget", Nesting::Single, monitoring::budget_block())
    .block("backup", Nesting::Single, monitoring::backup_block())
    .block("timeouts", Nesting::Single, timeouts())
}

/// `pending_changes`: part → setting → `{ value, applies }`.
fn pending_changes() -> Attribute {
    let change = Type::object([("value", Type::String), ("applies", Type::String)]);
    Attribute::of_type("pending_changes", Type::map(Type::map(change)))
        .computed()
        .description(
            "Changes AWS accepted but holds for later, by part (`rds`) and setting: `value` \
             (what it will be) and `applies` (when: `in the maintenance window \
             sun:03:00-sun:04:00 (UTC)`, or `at the next reboot` for static parameters). \
             Empty when nothing waits. A pending value counts as converged: the next plan \
             is empty and warns that it is still pending.",
        )
}

fn network() -> Block {
    let b = Block::new(
        "The VPC every part runs in: one Mosia creates (`cidr_block`, `az_count`, \
         `nat_gateway`; `network {}` takes the defaults) or your own (`vpc_id` and \
         `subnet_ids`). Required when any service block is present.",
    )
    .attr(
        Attribute::string("cidr_block")
            .optional_computed()
            .requires_replace()
            .description(&format!(
                "IPv4 CIDR of the VPC Mosia creates, /16 to /24, split evenly into a public and a \
                 private subnet per AZ (each at least /{}). Default {}. With your own VPC, \
                 its CIDR as read from AWS when imported (leave it out, or repeat it).",
                spec::MAX_SUBNET_PREFIX,
                code(spec::DEFAULT_CIDR)
            )),
    )
    .attr(
        Attribute::number("az_count")
            .optional_computed()
            // The subnet layout follows the AZ count: it cannot change in place.
            .requires_replace()
            .description(&with_tier_default(
                "Availability Zones the VPC Mosia creates spans, 1 to 6 (EKS, RDS and MSK need 2 \
                 or more; MSK uses at most 3).",
                |t| t.az_count.to_string(),
            ))
            .validate(validators::int_between(1, 6)),
    )
    .attr(
        Attribute::string("nat_gateway")
            .optional_computed()
            .description(&with_tier_default(
                &format!(
                    "NAT gateways giving the private subnets egress: {}. `none` needs no EKS \
                     (nodes must reach container registries).",
                    choices(NatGateway::NAMES)
                ),
                |t| code(t.nat_gateway),
            ))
            .validate(validators::one_of(NatGateway::NAMES)),
    )
    .attr(
        Attribute::of_type("availability_zones", string_list())
            .optional()
            .description(
                "Availability Zones of the VPC Mosia creates, by name (e.g. `[\"us-east-1a\", \
                 \"us-east-1b\"]`): a public and a private subnet in each, in this order; \
                 `az_count` follows its length. Default: the region's first `az_count` zones \
                 that the environment's services support (some zones host no EKS control plane \
                 or MSK brokers, e.g. zone ID `use1-az3`: a listed one is refused). Changing \
                 the zones of an existing network replaces the environment.",
            ),
    )
    .attr(
        Attribute::string("vpc_id")
            .optional_computed()
            .requires_replace()
            .description(
                "Bring your own network: the ID of an existing VPC (with `subnet_ids`). For a VPC \
                 Mosia creates, its ID (computed: leave it out, or repeat the ID, as a \
                 configuration generated by `terraform plan -generate-config-out` does).",
            )
            .validate(validators::string_matches(
                "a VPC ID: vpc- and 8 or 17 hexadecimal digits",
                valid_vpc_id,
            )),
    )
    .attr(
        Attribute::of_type("subnet_ids", string_list())
            .optional()
            .description(
                "Bring your own network: at least 2 private subnets of `vpc_id`, each in a \
                 different Availability Zone. Parts are placed in them; they need a route to \
                 the internet (a NAT gateway) for EKS nodes.",
            ),
    )
    .attr(
        Attribute::of_type("private_subnet_ids", string_list())
            .computed()
            .description("IDs of the private subnets the parts run in, one per AZ (`subnet_ids` for your own network)."),
    )
    .attr(
        Attribute::of_type("public_subnet_ids", string_list())
            .computed()
            .description("IDs of the public subnets (NAT gateways, load balancers), one per AZ; empty for your own network."),
    )
    .attr(
        Attribute::of_type("security_group_ids", string_map())
            .computed()
            .description(
                "Security group of each service, by service: `eks` (the cluster's additional \
                 group), `rds`, `elasticache`, `msk`. The data services' groups admit their port from the EKS \
                 cluster's security group and `allowed_cidrs`/`allowed_security_group_ids` \
                 only.",
            ),
    );
    workloads::network_access(b)
}

fn timeouts() -> Block {
    let timeout = |name: &str, what: &str, default: Duration| {
        Attribute::string(name)
            .optional()
            .description(&format!(
                "How long {what} may take, e.g. `90m`, `1h30m`, `45s` (at most 24h). Default: \
                 {}m. When it runs out, the parts that exist are kept in state.",
                default.as_secs() / 60
            ))
            .validate(validators::string_matches(
                "a duration such as 90m, 1h30m or 45s (units h, m, s; more than zero, at most 24h)",
                valid_timeout,
            ))
    };
    Block::new(
        "Time limits for the operations, for the whole environment (parts run concurrently).",
    )
    .attr(timeout("create", "a create", spec::DEFAULT_CREATE_TIMEOUT))
    .attr(timeout("update", "an update", spec::DEFAULT_UPDATE_TIMEOUT))
    .attr(timeout("delete", "a destroy", spec::DEFAULT_DELETE_TIMEOUT))
}

/// Null for every attribute and block of `block`: a starting value for tests and imports.
pub fn null_object(block: &Block) -> Value {
    Value::object(
        block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .chain(
                block
                    .blocks
                    .iter()
                    .map(|b| (b.type_name.clone(), Value::Null)),
            ),
    )
}

/// `estimated_monthly_cost_usd`, with what it prices and the assumptions it states.
fn estimated_cost() -> Attribute {
    Attribute::number("estimated_monthly_cost_usd")
        .computed()
        .description(&format!(
            "Estimated monthly cost in USD at on-demand list prices for {} ({} hours a \
             month, prices as of {}), known at plan time: NAT gateways, the EKS control \
             plane (at the extended support price once its Kubernetes version is past \
             standard support, on the day of the plan), nodes at `desired_size` with their disks, RDS (Multi-AZ doubled, \
             replicas, storage), ElastiCache nodes, MSK brokers and storage, the KMS key, \
             CloudWatch alarms ($0.10 each), log ingestion of the log exports (assumed \
             0.1 GB a day per log group, $0.50/GB), AWS Backup storage (assumed one full \
             copy of the database's storage, ${}/GB-month; with `backup.copy_to_region` \
             once more there, plus one full copy a month across Regions at ${}/GB) and \
             ElastiCache's automatic snapshots beyond the free one (each assumed the size \
             of the node's memory, ${}/GB-month). Excludes other data transfer and \
             usage-based charges. Unknown when an input is not known yet.",
            super::cost::PRICE_REGION,
            super::cost::HOURS_PER_MONTH,
            super::cost::PRICES_AS_OF,
            super::cost::BACKUP_STORAGE_GB_MONTH,
            super::cost::CROSS_REGION_TRANSFER_GB,
            super::cost::CACHE_SNAPSHOT_GB_MONTH,
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mosia_tfplugin::{AttrPath, Diagnostics};

    #[test]
    fn snapshot_references_are_names_or_rds_snapshot_arns() {
        for ok in [
            "mosia-dev-final",
            "rds:mosia-dev-db-2026-11-24-10-00",
            "arn:aws:rds:eu-west-1:123456789012:snapshot:mosia-dev-final",
            "arn:aws-cn:rds:cn-north-1:123456789012:snapshot:Orders-Final",
            "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-0a3438a7-45aa-47c0-8127-b9a3eb202f75",
        ] {
            assert!(valid_snapshot_reference(ok), "{ok}");
        }
        for bad in [
            "",
            "1starts-with-digit",
            "double--hyphen",
            "arn:aws:s3:::bucket",
            "arn:aws:rds:eu-west-1:123456789012:db:mosia-dev-db",
        ] {
            assert!(!valid_snapshot_reference(bad), "{bad}");
        }
    }

    #[test]
    fn every_attribute_and_block_is_documented() {
        assert_eq!(
            schema().block.undocumented(&AttrPath::root()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn service_blocks_are_single_and_optional_node_groups_a_map() {
        let s = schema();
        for name in ["network", "eks", "rds", "elasticache", "msk", "timeouts"] {
            let b = s.block.nested(name).unwrap();
            assert_eq!(b.nesting, Nesting::Single, "{name}");
            assert_eq!(b.min_items, 0, "{name} is optional");
        }
        let eks = &s.block.nested("eks").unwrap().block;
        assert_eq!(eks.nested("node_group").unwrap().nesting, Nesting::Map);
    }

    #[test]
    fn name_is_required_and_replaces() {
        let s = schema();
        let name = s.block.attribute("name").unwrap();
        assert!(name.required && name.requires_replace);
        assert!(s.block.attribute("tier").unwrap().required);
    }

    #[test]
    fn no_password_attribute_anywhere() {
        fn walk(b: &Block, out: &mut Vec<String>) {
            out.extend(b.attributes.iter().map(|a| a.name.clone()));
            for n in &b.blocks {
                walk(&n.block, out);
            }
        }
        let mut names = Vec::new();
        walk(&schema().block, &mut names);
        assert!(names.iter().all(|n| !n.contains("password")), "{names:?}");
        let s = schema();
        let rds = &s.block.nested("rds").unwrap().block;
        assert!(rds.attribute("master_user_secret_arn").unwrap().computed);
    }

    #[test]
    fn tier_dependent_attributes_are_optional_computed_without_schema_default() {
        let s = schema();
        let rds = &s.block.nested("rds").unwrap().block;
        for name in [
            "instance_class",
            "multi_az",
            "backup_retention_days",
            "deletion_protection",
        ] {
            let a = rds.attribute(name).unwrap();
            assert!(a.optional && a.computed && a.default.is_none(), "{name}");
        }
        let desc = &rds.attribute("instance_class").unwrap().description;
        assert!(
            desc.contains("dev `db.t4g.micro`, staging `db.t4g.medium`, production `db.m7g.large`"),
            "{desc}"
        );
    }

    #[test]
    fn names_follow_aws_rules() {
        for ok in ["abc", "mosia-dev", "a1-b2", &"a".repeat(28)] {
            assert!(valid_environment_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Mosia",
            "1abc",
            "abc-",
            "a--b",
            "a_b",
            &"a".repeat(29),
        ] {
            assert!(!valid_environment_name(bad), "{bad}");
        }
        assert!(valid_vpc_id("vpc-0123456789abcdef0") && valid_vpc_id("vpc-0123abcd"));
        assert!(!valid_vpc_id("vpc-123") && !valid_vpc_id("subnet-0123abcd"));
        assert!(valid_subnet_id("subnet-0123abcd") && !valid_subnet_id("subnet-XYZ12345"));
    }

    fn validate(j: serde_json::Value) -> Diagnostics {
        let cfg = crate::resources::environment::spec::tests::config(j);
        let mut d = Diagnostics::new();
        schema()
            .block
            .validate_value(&cfg, &AttrPath::root(), &mut d);
        d
    }

    #[test]
    fn attribute_validators_name_the_path_and_what_is_allowed() {
        let d = validate(serde_json::json!({
            "name": "Bad_Name",
            "tier": "prod",
            "network": { "az_count": 7 },
            "eks": { "enabled_log_types": ["api", "everything"],
                     "node_group": { "general": { "capacity_type": "RESERVED" } } },
            "rds": { "backup_retention_days": 40 },
            "msk": { "kafka_version": "3.6.0", "storage_gb": 20000 },
            "timeouts": { "create": "2 hours", "delete": "25h" },
        }));
        let found: Vec<(String, String)> = d
            .iter()
            .map(|x| (x.path.as_ref().unwrap().to_string(), x.detail.clone()))
            .collect();
        let expect = [
            ("name", "starting with a letter"),
            (
                "tier",
                "expected one of \"dev\", \"staging\", \"production\"",
            ),
            ("network.az_count", "from 1 to 6"),
            ("eks.enabled_log_types", "\"everything\" is not allowed"),
            (
                "eks.node_group[\"general\"].capacity_type",
                "\"ON_DEMAND\", \"SPOT\"",
            ),
            ("rds.backup_retention_days", "from 0 to 35"),
            ("msk.storage_gb", "from 1 to 16384"),
            ("timeouts.create", "such as 90m"),
            ("timeouts.delete", "at most 24h"),
        ];
        assert_eq!(found.len(), expect.len(), "{d}");
        for ((path, detail), (want_path, fragment)) in found.iter().zip(expect) {
            assert_eq!(path, want_path);
            assert!(detail.contains(fragment), "{path}: {detail}");
        }
    }

    #[test]
    fn null_object_has_every_attribute_and_block() {
        let v = null_object(&schema().block);
        let n = v.entries().unwrap().len();
        let s = schema();
        assert_eq!(n, s.block.attributes.len() + s.block.blocks.len());
    }
}
