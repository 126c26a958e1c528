//! The data service blocks of the `mosia_environment` schema: `rds`, `elasticache` and
//! `msk` (`eks` is in `eks.rs`).

use crate::resources::environment::spec::{properties_cell, window_cell};
use mosia_tfplugin::{validators, Attribute, Block};

use super::*;

pub(super) fn rds() -> Block {
    let b = Block::new(
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
            .description(
                "Number of read replicas, 0 to 5, each a Single-AZ instance of `instance_class`. \
                 Must be 0 for now: RDS refuses read replicas of an instance whose master \
                 password Secrets Manager manages, and Mosia always keeps it there.",
            )
            .validate(validators::int_between(0, 5)),
    );
    rds_outputs(rds_major_upgrade(rds_changes(rds_settings(
        b.attr(workloads::rds_iam_auth()),
    ))))
}

/// When `rds` changes take effect: now or in the maintenance window.
fn rds_changes(b: Block) -> Block {
    b.attr(
        Attribute::bool("apply_immediately")
            .optional_computed()
            .description(&with_tier_default(
                "Whether changes RDS would otherwise make in `maintenance_window` (instance \
                 class, storage size and type, Multi-AZ, minor engine version, IAM database \
                 authentication, backups turned on or off) are applied by the apply, restarting \
                 or failing over the instance now. With `false` the apply leaves them pending: \
                 `part_status` says `pending-maintenance`, `pending_changes[\"rds\"]` lists \
                 them with their window, the next plan is empty and warns when they take \
                 effect. Going back to the running value over a pending one, and major version \
                 upgrades, are applied at once. Production refuses `true` together with an \
                 instance class change unless `maintenance_acknowledged = true` and \
                 `timeouts.update` are set.",
                |t| code(t.apply_immediately),
            )),
    )
    .attr(
        Attribute::bool("auto_minor_version_upgrade")
            .default(true)
            .description(
                "Whether RDS upgrades the minor PostgreSQL version by itself in \
                 `maintenance_window` (security and bug fixes). An upgrade it made is not \
                 drift: `engine_version` moves up with it and the plan says so. Changed in place \
                 at once.",
            ),
    )
    .attr(
        Attribute::bool("maintenance_acknowledged")
            .default(false)
            .description(
                "Set to `true` to allow, in production, an instance class change applied at \
                 once (`apply_immediately = true`): a deliberate restart outside the \
                 maintenance window, visible in code review. Needs `timeouts.update` too.",
            ),
    )
}

/// The `rds` attributes beyond the instance: parameters, snapshots, the master user.
fn rds_settings(b: Block) -> Block {
    b.attr(
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
        Attribute::string("maintenance_window")
            .optional_computed()
            .description(&with_tier_default(
                "Weekly window for RDS maintenance (minor upgrades, pending changes), \
                 `ddd:hh24:mi-ddd:hh24:mi` in UTC with lowercase days as RDS reports them, e.g. \
                 `sun:03:00-sun:04:00`: 30 minutes to 24 hours, not overlapping \
                 `backup_window`. Changed in place at once. Left out where the tier has none: \
                 the window RDS picks at create, kept afterwards.",
                |t| window_cell(t.rds_maintenance_window, "RDS"),
            )),
    )
    .attr(
        Attribute::string("backup_window")
            .optional_computed()
            .description(&with_tier_default(
                "Daily window for automated backups, `hh24:mi-hh24:mi` in UTC, e.g. \
                 `01:00-02:00`: at least 30 minutes, not overlapping `maintenance_window`. \
                 Changed in place at once. Left out where the tier has none: the window RDS \
                 picks at create, kept afterwards.",
                |t| window_cell(t.rds_backup_window, "RDS"),
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
                 snapshot, or an AWS Backup recovery point's ARN (`...:snapshot:awsbackup:job-ID`: \
                 the restore drill). Used only when the instance is created: changing or removing it later \
                 never touches an existing database. The restored instance keeps the snapshot's \
                 master user name and databases; Mosia then converges the other settings and \
                 turns on the Secrets Manager managed master password.",
            )
            .validate(validators::string_matches(
                "a DB snapshot name (1-255 letters, digits and single hyphens, starting with a letter; `rds:` first for an automated snapshot) or an `arn:aws...:rds:...:snapshot:NAME` ARN (an AWS Backup recovery point's too)",
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
}

/// The computed attributes of `rds`: what the apply returns.
fn rds_outputs(b: Block) -> Block {
    b.attr(
        Attribute::string("arn")
            .computed()
            .description("ARN of the primary instance."),
    )
    .attr(super::encryption::service_key(
        "RDS (the primary, its replicas)",
    ))
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
    .attr(
        Attribute::of_type(
            "retired_instances",
            Type::list(Type::object([
                ("identifier", Type::String),
                ("engine_version", Type::String),
                ("delete_after", Type::String),
            ])),
        )
        .computed()
        .description(
            "Old primaries kept after a blue/green upgrade (`NAME-db-old1`): identifier, the \
             version it runs, and when Mosia deletes it (RFC 3339, UTC; the first apply after \
             that time deletes it, with a final snapshot unless `skip_final_snapshot`). Until \
             then it is a way back: point clients at it, or restore from it.",
        ),
    )
}

/// How a PostgreSQL major version upgrade is made, and what is kept after it.
fn rds_major_upgrade(b: Block) -> Block {
    b.attr(
        Attribute::string("major_upgrade")
            .optional_computed()
            .description(&with_tier_default(
                "How raising `engine_version` to a new major is made. `blue_green`: a blue/green \
                 deployment creates an upgraded copy kept in sync by logical replication, then \
                 switches over (writes stop for about a minute; the endpoint stays); the old \
                 instance is kept as `NAME-db-old1` for `old_instance_retention_hours`. It \
                 needs `rds.logical_replication = \"1\"` in `parameters`, in effect (a static \
                 parameter: set it in an earlier apply and let the maintenance window's reboot \
                 apply it), and takes the master password out of Secrets Manager for the \
                 deployment (RDS does not support managed passwords there): afterwards a new \
                 secret holds a new password, at a new `master_user_secret_arn`. `in_place`: \
                 RDS upgrades the instance itself, unavailable for the upgrade (often 10-30 \
                 minutes), with no way back but a snapshot restore.",
                |t| code(t.rds_major_upgrade.as_str()),
            ))
            .validate(validators::one_of(MajorUpgrade::NAMES)),
    )
    .attr(
        Attribute::number("old_instance_retention_hours")
            .optional_computed()
            .description(&with_tier_default(
                "Hours the old instance of a blue/green upgrade is kept before it is deleted \
                 (0 to 720; 0: deleted by the upgrade's apply).",
                |t| t.rds_old_instance_retention_hours.to_string(),
            ))
            .validate(validators::int_between(0, 720)),
    )
}

pub(super) fn elasticache() -> Block {
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
    .attr(cache_authentication())
    .attr(cache_maintenance_window())
    .attr(cache_apply_immediately())
    .attr(super::monitoring::cache_skip_final_snapshot())
    .attr(cache_parameters())
    .attr(
        Attribute::string("arn")
            .computed()
            .description("ARN of the replication group."),
    )
    .attr(super::encryption::service_key("ElastiCache"))
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

/// `elasticache.parameters`: the environment's own parameter group.
fn cache_parameters() -> Attribute {
    Attribute::of_type("parameters", string_map())
        .optional()
        .description(
            "Engine parameters, e.g. `{ \"maxmemory-policy\" = \"allkeys-lru\" }`, set in the \
             environment's own parameter group `NAME-cache-FAMILY` (family from the engine and \
             its major version: `redis7`, `valkey8`, ...; needs `engine_version`). Changed in \
             place; one removed goes back to the family's default. ElastiCache refuses \
             changing `cluster-enabled` and `databases` on a group in use, with its error. \
             An engine upgrade \
             to another family moves the parameters to that family's group in the same \
             modification. Left out: ElastiCache's default group.",
        )
}

/// `elasticache.maintenance_window`: when ElastiCache may patch the engine.
fn cache_maintenance_window() -> Attribute {
    Attribute::string("maintenance_window")
        .optional_computed()
        .description(&with_tier_default(
            "Weekly window for ElastiCache maintenance (engine patches), \
             `ddd:hh24:mi-ddd:hh24:mi` in UTC with lowercase days as ElastiCache reports \
             them, e.g. `sun:04:00-sun:05:00`: 60 minutes to 24 hours. Changed in place at \
             once. Left out where the tier has none: the window ElastiCache picks at create, \
             kept afterwards.",
            |t| window_cell(t.cache_maintenance_window, "ElastiCache"),
        ))
}

/// `elasticache.apply_immediately`: node type and engine version changes now or in the window.
fn cache_apply_immediately() -> Attribute {
    Attribute::bool("apply_immediately")
        .optional_computed()
        .description(&with_tier_default(
            "Whether a node type change or an engine version upgrade within the parameter \
             group's family is made by the apply (ElastiCache scales or patches the nodes \
             now, with a failover per node) or left for `maintenance_window`. With `false` \
             the apply leaves them pending: `part_status` says `pending-maintenance`, \
             `pending_changes[\"elasticache\"]` lists them with their window, the next plan \
             is empty and warns when they take effect. The other settings (replicas, \
             failover, security group, parameters, users) always apply at once; going back \
             to the running node type over a pending one, and an upgrade that moves to \
             another parameter group family, are applied at once.",
            |t| code(t.apply_immediately),
        ))
}

/// `elasticache.authentication`: how clients authenticate.
fn cache_authentication() -> Attribute {
    Attribute::string("authentication")
        .default("iam")
        .description(&format!(
            "{}. `iam`: role-based access control with IAM authentication: a user group \
             `NAME-cache` with a disabled `default` user and, for each workload with \
             `elasticache` access, a user `NAME-wl-WORKLOAD` (user name = user ID) that \
             authenticates with an IAM token signed by the workload's role (access strings: \
             `read_only` `on ~* -@all +@read +@connection`, `read_write` \
             `on ~* +@all -@dangerous`); needs `transit_encryption` and Redis OSS 7 or \
             Valkey. `token`: an AUTH token (64 letters and digits from Secrets Manager's \
             GetRandomPassword) kept only in the Secrets Manager secret `NAME-cache-auth`, never \
             in state; workloads with `elasticache` access may read that secret \
             (`secretsmanager:GetSecretValue`, `DescribeSecret`; `REDIS_AUTH_SECRET_ARN` in their \
             `connection`); needs `transit_encryption`. A secret deleted by hand marks the part \
             `drifted` and the next apply rotates the cache to a new token. `none`: any client \
             the security group admits may connect; production refuses it. Changed in place \
             (to a token: ROTATE then SET; token to `iam`: the user group replaces the token), \
             with a plan warning, except token to `none`, which ElastiCache cannot do in place: \
             the cache is replaced. Clients connected the old way are refused after the apply \
             (a cache created before `iam` was the default reads as `none`; set `none` to keep \
             it so).",
            choices(CacheAuthentication::NAMES)
        ))
        .validate(validators::one_of(CacheAuthentication::NAMES))
}

pub(super) fn msk() -> Block {
    let b = Block::new(
        "An MSK (Apache Kafka) provisioned cluster with brokers spread evenly over up to 3 of \
         the network's AZs. MSK has no maintenance window to set: it patches brokers one at a \
         time whenever it needs to (clients reconnect to the other brokers), so there is no \
         `maintenance_window` here, unlike `rds` and `elasticache`.",
    )
    .attr(Attribute::string("kafka_version").required().description(
        "Apache Kafka version as MSK names it: 2.8.x, 3.x or 4.x, e.g. `3.6.0` or \
                 `3.7.x.kraft`. Raising it upgrades the cluster in place.",
    ))
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
    );
    let b = msk_storage(b)
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
        Attribute::bool("scram")
            .default(false)
            .description(
                "SASL/SCRAM-SHA-512 besides `client_authentication`: each workload with `msk` \
                 access gets the user `WORKLOAD`, its password generated into the Secrets \
                 Manager secret `AmazonMSK_NAME-wl-WORKLOAD` (encrypted with the environment's \
                 key: MSK cannot read secrets on the AWS-managed key, so this needs \
                 `customer_managed_key` or `kms_key_arn`) and associated with the cluster. The \
                 workload may read its own secret (`KAFKA_SCRAM_SECRET_ARN` in its \
                 `connection`), no other. Clients connect to `bootstrap_brokers_scram`. Needs \
                 `encryption_in_transit = \"TLS\"`. Turned on and off in place; a workload \
                 removed loses its user and secret.",
            ),
    )
    .attr(
        Attribute::string("encryption_in_transit")
            .default("TLS")
            .description(&format!(
                "Client-broker encryption: {}. `iam` and `tls` authentication need `TLS` (with \
                 `TLS_PLAINTEXT` MSK would also accept unauthenticated plaintext clients).",
                choices(MskTransit::NAMES)
            ))
            .validate(validators::one_of(MskTransit::NAMES)),
    )
    .attr(
        Attribute::of_type("tls_certificate_authority_arns", string_list())
            .optional()
            .description("ARNs of the ACM Private CAs whose client certificates are accepted, for `client_authentication = \"tls\"`."),
    )
    .attr(
        Attribute::of_type("configuration", string_map())
            .optional()
            .description(&format!(
                "Broker properties (`server.properties`) merged over the tier's, e.g. \
                 `{{ \"log.retention.hours\" = \"72\" }}`; the result is `server_properties`. \
                 Kept in the MSK configuration `NAME-kafka`: a change adds a revision and moves \
                 the cluster to it in place (brokers restart one at a time); old revisions are \
                 kept. Only the properties MSK lets you set are accepted (refused at plan time, \
                 naming the property); `default.replication.factor` and \
                 `min.insync.replicas` must fit the broker count. Production refuses a \
                 replication factor below 3, `min.insync.replicas` below 2 and \
                 `unclean.leader.election.enable = true`. {}",
                tier_default_note(|t| properties_cell(t.msk_server_properties))
            )),
    );
    msk_outputs(b)
}

/// Broker storage: its size and its autoscaling.
fn msk_storage(b: Block) -> Block {
    b.attr(
        Attribute::number("storage_gb")
            .optional_computed()
            .description(&with_tier_default(
                "EBS storage per broker in GB, 1 to 16384. It can grow but never shrink.",
                |t| t.msk_storage_gb.to_string(),
            ))
            .validate(validators::int_between(1, 16384)),
    )
    .attr(
        Attribute::number("storage_autoscaling_max_gb")
            .optional()
            .description(
                "Storage autoscaling: Application Auto Scaling grows each broker's EBS volume \
                 when its disk use passes 60%, up to this many GB per broker (above \
                 `storage_gb`, at most 16384). MSK never shrinks a volume, so storage grown \
                 this way is kept by later plans, not drift. Unset: off (the default). The \
                 first use in an account creates the service-linked role \
                 `AWSServiceRoleForApplicationAutoScaling_KafkaCluster`.",
            )
            .validate(validators::int_between(2, 16384)),
    )
}

/// The computed attributes of `msk`: what the apply returns.
fn msk_outputs(b: Block) -> Block {
    b.attr(Attribute::string("arn").computed().description("ARN of the cluster."))
    .attr(super::encryption::service_key("MSK"))
    .attr(
        Attribute::of_type("server_properties", string_map())
            .computed()
            .description(
                "The brokers' properties: the tier's merged with `configuration`, known at \
                 plan time. A refresh reads them from the configuration revision the cluster \
                 runs, so a change made outside Terraform shows as a difference.",
            ),
    )
    .attr(
        Attribute::string("configuration_arn")
            .computed()
            .description("ARN of the MSK configuration `NAME-kafka`."),
    )
    .attr(
        Attribute::number("configuration_revision")
            .computed()
            .description("The configuration revision the cluster runs."),
    )
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
        Attribute::string("bootstrap_brokers_scram")
            .computed()
            .description("SASL/SCRAM bootstrap brokers (`host:9096,...`), with `scram = true`."),
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
