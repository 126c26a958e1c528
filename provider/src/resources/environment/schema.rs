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
    self, parse_duration, tier_default_note, CacheEngine, CapacityType, MskAuth, MskTransit,
    NatGateway, Tier, TierDefaults,
};

pub const SCHEMA_VERSION: i64 = 0;

/// EKS control plane log types.
pub const EKS_LOG_TYPES: &[&str] = &[
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];
/// RDS gp3 storage sizes in GB.
pub const RDS_STORAGE_GB: std::ops::RangeInclusive<i64> = 20..=65536;
/// Longest timeout accepted: past a day, something is stuck and waiting longer will not help.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Environment names prefix every AWS name Mosia derives (`NAME-cache`, `NAME-general`, …),
/// so they follow the strictest rules among them: RDS identifiers (lowercase letters, digits
/// and single hyphens, starting with a letter, not ending with a hyphen) and a length that
/// leaves room for suffixes within ElastiCache's 40-character replication group IDs.
/// A DB snapshot name, or the ARN of one (`arn:PARTITION:rds:REGION:ACCOUNT:snapshot:NAME`).
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
    // Automated snapshots are named `rds:INSTANCE-DATE`.
    let name = name.strip_prefix("rds:").unwrap_or(name);
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
    .attr(
        Attribute::number("estimated_monthly_cost_usd")
            .computed()
            .description(&format!(
                "Estimated monthly cost in USD at on-demand list prices for {} ({} hours a \
                 month, prices as of {}), known at plan time: NAT gateways, the EKS control \
                 plane, nodes at `desired_size` with their disks, RDS (Multi-AZ doubled, \
                 replicas, storage), ElastiCache nodes, MSK brokers and storage. Excludes data \
                 transfer and usage-based charges. Unknown when an input is not known yet.",
                super::cost::PRICE_REGION,
                super::cost::HOURS_PER_MONTH,
                super::cost::PRICES_AS_OF
            )),
    )
    .attr(
        Attribute::of_type("part_status", string_map())
            .computed()
            .description(
                "Status of each part of the environment (`network`, `iam`, `eks`, each node \
                 group, `rds`, `elasticache`, `msk`) as last seen, e.g. `ready`, `failed`, \
                 `missing`. A part that failed or went missing is created again by the next apply.",
            ),
    )
    .block("network", Nesting::Single, network())
    .block("eks", Nesting::Single, eks())
    .block("rds", Nesting::Single, rds())
    .block("elasticache", Nesting::Single, elasticache())
    .block("msk", Nesting::Single, msk())
    .block("timeouts", Nesting::Single, timeouts())
}

fn network() -> Block {
    Block::new(
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
                 its CIDR as read from AWS.",
                spec::MAX_SUBNET_PREFIX,
                code(spec::DEFAULT_CIDR)
            )),
    )
    .attr(
        Attribute::number("az_count")
            .optional_computed()
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
        Attribute::string("vpc_id")
            .optional_computed()
            .requires_replace()
            .description(
                "Bring your own network: the ID of an existing VPC (with `subnet_ids`). For a VPC \
                 Mosia creates, its ID.",
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
                 group), `rds`, `elasticache`, `msk`. Each admits traffic from the VPC on the \
                 service's port.",
            ),
    )
}

fn eks() -> Block {
    Block::new(
        "An EKS cluster with an IAM OIDC provider for IRSA, and managed node groups \
         (`node_group \"NAME\" { ... }`).",
    )
    .attr(
        Attribute::string("version")
            .optional_computed()
            .description(
                "Kubernetes version, `1.MINOR` (e.g. `1.31`). Default: the version EKS picks at \
                 create, kept afterwards. Raising it upgrades the control plane, then the node groups.",
            ),
    )
    .attr(
        Attribute::bool("endpoint_public_access")
            .optional_computed()
            .description(&with_tier_default(
                "Whether the Kubernetes API is reachable from the internet. Production requires \
                 `false` unless `public_endpoint_acknowledged = true`.",
                |t| code(t.eks_endpoint_public_access),
            )),
    )
    .attr(
        Attribute::bool("endpoint_private_access")
            .default(true)
            .description("Whether the Kubernetes API is reachable from inside the VPC. At least one endpoint must be on."),
    )
    .attr(
        Attribute::bool("public_endpoint_acknowledged")
            .default(false)
            .description(
                "Set to `true` to allow `endpoint_public_access = true` in production: a \
                 deliberate exception to the production guardrail, visible in code review.",
            ),
    )
    .attr(
        Attribute::of_type("public_access_cidrs", string_list())
            .optional()
            .description(
                "IPv4 CIDR blocks allowed to reach the public endpoint. Default: EKS's \
                 (`0.0.0.0/0`). Only with `endpoint_public_access = true`.",
            ),
    )
    .attr(
        Attribute::of_type("enabled_log_types", Type::set(Type::String))
            .optional_computed()
            .description(&with_tier_default(
                &format!(
                    "Control plane logs sent to CloudWatch, any of {}.",
                    choices(EKS_LOG_TYPES)
                ),
                |t| match t.eks_enabled_log_types {
                    [] => "none".to_string(),
                    types => types
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            ))
            .validate(each_one_of(EKS_LOG_TYPES)),
    )
    .attr(Attribute::string("arn").computed().description("ARN of the cluster."))
    .attr(
        Attribute::string("cluster_name")
            .computed()
            .description("Name of the cluster (for `aws eks update-kubeconfig --name`)."),
    )
    .attr(
        Attribute::string("endpoint")
            .computed()
            .description("URL of the Kubernetes API server."),
    )
    .attr(
        Attribute::string("certificate_authority")
            .computed()
            .description("Base64-encoded certificate data of the cluster's certificate authority, for kubeconfig and the Kubernetes provider."),
    )
    .attr(
        Attribute::string("oidc_issuer")
            .computed()
            .description("URL of the cluster's OIDC issuer."),
    )
    .attr(
        Attribute::string("oidc_provider_arn")
            .computed()
            .description("ARN of the IAM OIDC provider Mosia creates for the issuer, for IAM roles for service accounts (IRSA)."),
    )
    .attr(
        Attribute::string("status")
            .computed()
            .description("Cluster status as EKS reports it, e.g. `ACTIVE`."),
    )
    .block("node_group", Nesting::Map, node_group())
}

fn node_group() -> Block {
    Block::new(
        "A managed node group; the label is its name (1-32 letters, digits, `-` or `_`). \
         Scaling and instance type changes are made in place.",
    )
    .attr(
        Attribute::of_type("instance_types", string_list())
            .optional_computed()
            .description(&with_tier_default(
                &format!(
                    "EC2 instance types, in order of preference (on-demand capacity comes from \
                     the first), all of one architecture (x86_64 or arm64). Families Mosia \
                     knows: {}.",
                    known_families(Service::Ec2)
                ),
                |t| code(format!("[\"{}\"]", t.node_instance_type)),
            )),
    )
    .attr(
        Attribute::number("min_size")
            .optional_computed()
            .description(&with_tier_default("Fewest nodes, 0 to 450.", |t| {
                t.node_min_size.to_string()
            }))
            .validate(validators::int_between(0, 450)),
    )
    .attr(
        Attribute::number("max_size")
            .optional_computed()
            .description(&with_tier_default(
                "Most nodes, 1 to 450, at least `min_size`; the default is raised to `min_size` \
                 when that is larger.",
                |t| t.node_max_size.to_string(),
            ))
            .validate(validators::int_between(1, 450)),
    )
    .attr(
        Attribute::number("desired_size")
            .optional_computed()
            .description(
                "Nodes to run now, from `min_size` to `max_size`. Default: `min_size`. Nodes \
                 are priced at this count in `estimated_monthly_cost_usd`.",
            )
            .validate(validators::int_between(0, 450)),
    )
    .attr(
        Attribute::string("capacity_type")
            .default("ON_DEMAND")
            .description(&format!(
                "{}. Spot nodes are priced at on-demand rates in the estimate (an upper bound).",
                choices(CapacityType::NAMES)
            ))
            .validate(validators::one_of(CapacityType::NAMES)),
    )
    .attr(
        Attribute::number("disk_size_gb")
            .default(20)
            .description("Root volume size of each node in GB (gp3), 20 to 16384.")
            .validate(validators::int_between(20, 16384)),
    )
    .attr(
        Attribute::of_type("labels", string_map())
            .optional()
            .description("Kubernetes labels put on the group's nodes."),
    )
}

fn rds() -> Block {
    Block::new(
        "An RDS PostgreSQL instance with optional read replicas, in a subnet group over the \
         private subnets. The master password is generated and kept by RDS in Secrets \
         Manager: it never enters Terraform state.",
    )
    .attr(
        Attribute::string("engine")
            .default("postgres")
            .description("Database engine: `postgres` (the only one supported for now).")
            .validate(validators::one_of(&["postgres"])),
    )
    .attr(
        Attribute::string("engine_version")
            .optional_computed()
            .description(
                "PostgreSQL version, major (`16`) or major.minor (`16.4`), majors 13 to 18. \
                 Default: RDS's default at create, kept afterwards.",
            ),
    )
    .attr(
        Attribute::string("instance_class")
            .optional_computed()
            .description(&with_tier_default(
                &format!(
                    "Instance class, `db.FAMILY.SIZE`. Families Mosia knows: {}.",
                    known_families(Service::Rds)
                ),
                |t| code(t.rds_instance_class),
            )),
    )
    .attr(
        Attribute::number("allocated_storage_gb")
            .optional_computed()
            .description(&with_tier_default(
                "Storage in GB (gp3), 20 to 65536. Storage can grow in place but never shrink.",
                |t| t.rds_allocated_storage_gb.to_string(),
            ))
            .validate(validators::int_between(
                *RDS_STORAGE_GB.start(),
                *RDS_STORAGE_GB.end(),
            )),
    )
    .attr(
        Attribute::number("max_allocated_storage_gb")
            .optional()
            .description(
                "Ceiling for storage autoscaling in GB, at least 10% above \
                 `allocated_storage_gb`, up to 65536. Omit it for no autoscaling.",
            )
            .validate(validators::int_between(22, *RDS_STORAGE_GB.end())),
    )
    .attr(
        Attribute::bool("multi_az")
            .optional_computed()
            .description(&with_tier_default(
                "Whether a synchronous standby runs in a second AZ (doubles the instance and \
                 storage cost). Production requires `true`.",
                |t| code(t.rds_multi_az),
            )),
    )
    .attr(
        Attribute::number("backup_retention_days")
            .optional_computed()
            .description(&with_tier_default(
                "Days automated backups are kept, 0 to 35 (0 turns backups off; read replicas \
                 need 1 or more). Production requires at least 7.",
                |t| t.rds_backup_retention_days.to_string(),
            ))
            .validate(validators::int_between(0, 35)),
    )
    .attr(
        Attribute::bool("deletion_protection")
            .optional_computed()
            .description(&with_tier_default(
                "Whether RDS refuses to delete the instance; destroy fails while it is on. \
                 Production requires `true`.",
                |t| code(t.rds_deletion_protection),
            )),
    )
    .attr(
        Attribute::number("read_replicas")
            .default(0)
            .description("Number of read replicas, 0 to 5, each a Single-AZ instance of `instance_class`.")
            .validate(validators::int_between(0, 5)),
    )
    .attr(
        Attribute::of_type("parameters", string_map())
            .optional()
            .description(
                "PostgreSQL parameters set in the instance's parameter group, e.g. \
                 `{ log_min_duration_statement = \"500\" }`. Static parameters apply at the next reboot.",
            ),
    )
    .attr(
        Attribute::bool("skip_final_snapshot")
            .optional_computed()
            .description(&with_tier_default(
                "Whether destroy deletes the instance without a final snapshot.",
                |t| code(t.rds_skip_final_snapshot),
            )),
    )
    .attr(
        Attribute::string("final_snapshot_identifier")
            .optional()
            .description(
                "Name of the final snapshot taken at destroy. Default: `NAME-final-TIMESTAMP`. \
                 Letters, digits and single hyphens, starting with a letter.",
            )
            .validate(validators::string_matches(
                "1-255 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen",
                |s| s.len() <= 255 && valid_rds_identifier(s),
            )),
    )
    .attr(
        Attribute::string("snapshot_identifier")
            .optional()
            .description(
                "Create the database from this DB snapshot (its name, or its ARN for a snapshot \
                 shared from another account) instead of empty, e.g. another environment's final \
                 snapshot. Used only when the instance is created: changing or removing it later \
                 never touches an existing database. The restored instance keeps the snapshot's \
                 master user name and databases; Mosia then converges the other settings and \
                 turns on the Secrets Manager managed master password.",
            )
            .validate(validators::string_matches(
                "a DB snapshot name (1-255 letters, digits and single hyphens, starting with a letter; `rds:` first for an automated snapshot) or an `arn:aws...:rds:...:snapshot:NAME` ARN",
                valid_snapshot_reference,
            )),
    )
    .attr(
        Attribute::string("master_username")
            .default("mosia")
            .description("Name of the master user (its password is in Secrets Manager, see `master_user_secret_arn`).")
            .validate(validators::string_matches(
                "1-63 letters, digits or underscores, starting with a letter",
                valid_pg_identifier,
            )),
    )
    .attr(
        Attribute::string("database_name")
            .optional()
            .description("Name of a database to create in the instance. Default: none (only `postgres`).")
            .validate(validators::string_matches(
                "1-63 letters, digits or underscores, starting with a letter",
                valid_pg_identifier,
            )),
    )
    .attr(Attribute::string("arn").computed().description("ARN of the primary instance."))
    .attr(
        Attribute::string("endpoint")
            .computed()
            .description("Host name of the primary instance."),
    )
    .attr(
        Attribute::number("port")
            .computed()
            .description("Port PostgreSQL listens on."),
    )
    .attr(
        Attribute::of_type("reader_endpoints", string_list())
            .computed()
            .description("Host names of the read replicas, in replica order."),
    )
    .attr(
        Attribute::string("master_user_secret_arn")
            .computed()
            .description(
                "ARN of the Secrets Manager secret RDS manages for the master user's password. \
                 Grant `secretsmanager:GetSecretValue` on it to whatever needs the password.",
            ),
    )
    .attr(
        Attribute::string("status")
            .computed()
            .description("Primary instance status as RDS reports it, e.g. `available`."),
    )
}

fn elasticache() -> Block {
    Block::new(
        "An ElastiCache replication group (one shard, cluster mode off): a primary and \
         `replicas` read replicas.",
    )
    .attr(
        Attribute::string("engine")
            .default("redis")
            .description(&format!(
                "{}. Valkey nodes cost 20% less.",
                choices(CacheEngine::NAMES)
            ))
            .validate(validators::one_of(CacheEngine::NAMES)),
    )
    .attr(
        Attribute::string("engine_version")
            .optional_computed()
            .description(
                "Engine version, `MAJOR.MINOR`: Redis OSS 6.x or 7.x, Valkey 7.x or 8.x. \
                 Default: ElastiCache's default at create, kept afterwards.",
            ),
    )
    .attr(
        Attribute::string("node_type")
            .optional_computed()
            .description(&with_tier_default(
                &format!(
                    "Node type, `cache.FAMILY.SIZE`. Families Mosia knows: {}.",
                    known_families(Service::ElastiCache)
                ),
                |t| code(t.cache_node_type),
            )),
    )
    .attr(
        Attribute::number("replicas")
            .optional_computed()
            .description(&with_tier_default(
                "Read replicas of the primary, 0 to 5. Production requires at least 1.",
                |t| t.cache_replicas.to_string(),
            ))
            .validate(validators::int_between(0, 5)),
    )
    .attr(
        Attribute::bool("automatic_failover")
            .optional_computed()
            .description(
                "Whether a replica is promoted when the primary fails; needs `replicas >= 1`. \
                 Default: `true` when there is a replica. Production requires `true`.",
            ),
    )
    .attr(
        Attribute::bool("multi_az")
            .optional_computed()
            .description(
                "Whether replicas are placed in other AZs than the primary; needs \
                 `automatic_failover`. Default: `automatic_failover`.",
            ),
    )
    .attr(
        Attribute::bool("at_rest_encryption")
            .default(true)
            .description("Whether data at rest is encrypted. ElastiCache sets it only at creation: changing it replaces the cache inside the update (its data is lost), with a warning in the plan."),
    )
    .attr(
        Attribute::bool("transit_encryption")
            .default(true)
            .description("Whether clients must connect with TLS. Changing it replaces the cache inside the update (its data is lost), with a warning in the plan: Mosia does not run the in-place migration, which interrupts clients."),
    )
    .attr(
        Attribute::string("arn")
            .computed()
            .description("ARN of the replication group."),
    )
    .attr(
        Attribute::string("primary_endpoint")
            .computed()
            .description("Host name that always points at the primary (writes)."),
    )
    .attr(
        Attribute::string("reader_endpoint")
            .computed()
            .description("Host name balancing over the replicas (reads)."),
    )
    .attr(
        Attribute::number("port")
            .computed()
            .description("Port the cache listens on."),
    )
    .attr(
        Attribute::string("status")
            .computed()
            .description("Replication group status as ElastiCache reports it, e.g. `available`."),
    )
}

fn msk() -> Block {
    Block::new(
        "An MSK (Apache Kafka) provisioned cluster with brokers spread evenly over up to 3 of \
         the network's AZs.",
    )
    .attr(
        Attribute::string("kafka_version")
            .required()
            .description(
                "Apache Kafka version as MSK names it: 2.8.x, 3.x or 4.x, e.g. `3.6.0` or \
                 `3.7.x.kraft`. Raising it upgrades the cluster in place.",
            ),
    )
    .attr(
        Attribute::string("broker_instance_type")
            .optional_computed()
            .description(&with_tier_default(
                &format!(
                    "Broker type, `kafka.FAMILY.SIZE`. Families Mosia knows: {} (`kafka.t3` \
                     comes in `small` only).",
                    known_families(Service::Msk)
                ),
                |t| code(t.msk_broker_instance_type),
            )),
    )
    .attr(
        Attribute::number("brokers_per_az")
            .optional_computed()
            .description(&with_tier_default(
                "Brokers in each MSK AZ, 1 to 10: the broker count is this times the AZs \
                 (the network's, at most 3), so always a multiple of them as MSK requires. \
                 Production requires at least 3 brokers in total.",
                |t| {
                    if t.msk_min_brokers <= 2 {
                        "1".to_string()
                    } else {
                        format!("enough for {} brokers", t.msk_min_brokers)
                    }
                },
            ))
            .validate(validators::int_between(1, 10)),
    )
    .attr(
        Attribute::number("storage_gb")
            .optional_computed()
            .description(&with_tier_default(
                "EBS storage per broker in GB, 1 to 16384. It can grow but never shrink.",
                |t| t.msk_storage_gb.to_string(),
            ))
            .validate(validators::int_between(1, 16384)),
    )
    .attr(
        Attribute::string("client_authentication")
            .default("iam")
            .description(&format!(
                "How clients authenticate: {}. `iam` works with IRSA roles of the EKS cluster; \
                 `tls` needs `tls_certificate_authority_arns`.",
                choices(MskAuth::NAMES)
            ))
            .validate(validators::one_of(MskAuth::NAMES)),
    )
    .attr(
        Attribute::string("encryption_in_transit")
            .default("TLS")
            .description(&format!(
                "Client-broker encryption: {}. `iam` and `tls` authentication need TLS.",
                choices(MskTransit::NAMES)
            ))
            .validate(validators::one_of(MskTransit::NAMES)),
    )
    .attr(
        Attribute::of_type("tls_certificate_authority_arns", string_list())
            .optional()
            .description("ARNs of the ACM Private CAs whose client certificates are accepted, for `client_authentication = \"tls\"`."),
    )
    .attr(Attribute::string("arn").computed().description("ARN of the cluster."))
    .attr(
        Attribute::string("bootstrap_brokers")
            .computed()
            .description("Plaintext bootstrap brokers (`host:9092,...`), when `encryption_in_transit` allows plaintext."),
    )
    .attr(
        Attribute::string("bootstrap_brokers_tls")
            .computed()
            .description("TLS bootstrap brokers (`host:9094,...`)."),
    )
    .attr(
        Attribute::string("bootstrap_brokers_iam")
            .computed()
            .description("IAM-authenticated bootstrap brokers (`host:9098,...`), with `client_authentication = \"iam\"`."),
    )
    .attr(
        Attribute::string("zookeeper_connect_string")
            .computed()
            .description("ZooKeeper connection string; empty for KRaft clusters."),
    )
    .attr(
        Attribute::string("status")
            .computed()
            .description("Cluster state as MSK reports it, e.g. `ACTIVE`."),
    )
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
