//! The alarm set of an environment, as a pure function of what it runs: every alarm's name,
//! metric, threshold and evaluation, so the plan (names) and the apply (definitions) build
//! it the same way and a test can compare it with the docs table.
//!
//! Names are `NAME-PART-METRIC`, where PART is `rds`, `rds-replica-N`, `elasticache-MEMBER`
//! (`001`, `002`, ... as ElastiCache numbers a replication group's members), `msk`,
//! `msk-broker-N` (MSK numbers brokers from 1), `nat-N` (the network's NAT gateways in
//! zone order) or `eks-GROUP` (a node group, by its name in the configuration). A name never depends on an AWS-chosen ID, so the plan knows it.

use super::input::Thresholds;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
/// PostgreSQL on RDS: `max_connections` defaults to `LEAST({DBInstanceClassMemory/9531392},
/// 5000)` (RDS User Guide, "Maximum number of database connections").
const PG_BYTES_PER_CONNECTION: f64 = 9_531_392.0;
const PG_MAX_CONNECTIONS: f64 = 5000.0;

/// The database as the alarms see it.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitoredDatabase {
    pub identifier: String,
    pub allocated_storage_gb: u32,
    pub instance_class: String,
    /// `max_connections` set in the environment's parameter group, if any.
    pub max_connections: Option<u32>,
}

/// What an environment runs, as far as its alarms need to know.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Monitored {
    pub database: Option<MonitoredDatabase>,
    /// Replica identifiers, replica 1 first.
    pub replicas: Vec<String>,
    /// The cache's member clusters (`NAME-cache-001`, ...), the primary's first.
    pub cache_members: Vec<String>,
    /// The MSK cluster's name and broker count.
    pub kafka: Option<(String, u32)>,
    /// NAT gateway IDs, in zone order.
    pub nat_gateways: Vec<String>,
    /// The EKS node groups, by their name in the configuration.
    pub node_groups: Vec<MonitoredNodeGroup>,
}

/// A node group as its alarm sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitoredNodeGroup {
    /// The name in the configuration (`eks.node_group.NAME`).
    pub name: String,
    pub min_size: u32,
    /// The Auto Scaling group EKS runs its nodes in (empty at plan time).
    pub auto_scaling_group: String,
}

/// How an alarm compares its metric with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Above,
    Below,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Above => "GreaterThanThreshold",
            Comparison::Below => "LessThanThreshold",
        }
    }
}

/// One CloudWatch metric, with the statistic and period an alarm reads it with.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRef {
    pub namespace: &'static str,
    pub name: &'static str,
    pub statistic: &'static str,
    pub dimensions: Vec<(&'static str, String)>,
    pub period: i32,
}

/// What an alarm watches: one metric, or a metric math expression over metrics (`m1`, ...).
#[derive(Debug, Clone, PartialEq)]
pub enum Watched {
    Metric(MetricRef),
    Expression {
        expression: String,
        label: &'static str,
        metrics: Vec<MetricRef>,
    },
}

/// One alarm as Mosia defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmDefinition {
    pub name: String,
    /// What it means, and which threshold sets it.
    pub summary: String,
    pub watched: Watched,
    pub evaluation_periods: i32,
    pub datapoints_to_alarm: i32,
    pub comparison: Comparison,
    pub threshold: f64,
    /// `notBreaching` for metrics only emitted when something happens, `missing` otherwise.
    pub treat_missing_data: &'static str,
}

/// The alarm description: `Mosia environment NAME: SUMMARY`. Its prefix is how Mosia tells
/// its alarms from others with the same name prefix (DescribeAlarms returns no tags).
pub fn description(env_name: &str, summary: &str) -> String {
    format!("{}{summary}", description_prefix(env_name))
}

pub fn description_prefix(env_name: &str) -> String {
    format!("Mosia environment {env_name}: ")
}

fn metric(
    namespace: &'static str,
    name: &'static str,
    statistic: &'static str,
    dimensions: Vec<(&'static str, String)>,
    period: i32,
) -> MetricRef {
    MetricRef {
        namespace,
        name,
        statistic,
        dimensions,
        period,
    }
}

/// An alarm over one metric: `periods` of which `datapoints` breach.
struct Alarm<'a> {
    env: &'a str,
    part: String,
    metric_suffix: &'static str,
    summary: String,
}

impl Alarm<'_> {
    fn over(
        self,
        watched: Watched,
        (periods, datapoints): (i32, i32),
        comparison: Comparison,
        threshold: f64,
        treat_missing_data: &'static str,
    ) -> AlarmDefinition {
        AlarmDefinition {
            name: format!("{}-{}-{}", self.env, self.part, self.metric_suffix),
            summary: self.summary,
            watched,
            evaluation_periods: periods,
            datapoints_to_alarm: datapoints,
            comparison,
            threshold,
            treat_missing_data,
        }
    }
}

fn alarm<'a>(env: &'a str, part: &str, metric_suffix: &'static str, summary: String) -> Alarm<'a> {
    Alarm {
        env,
        part: part.to_string(),
        metric_suffix,
        summary,
    }
}

/// Memory of an RDS instance class in GiB, from its size (`large` = 8 GiB for the general
/// purpose and burstable families; memory-optimized `r`/`x`/`z` classes have 2, 4 and 2
/// times that). Unknown sizes count as `large`.
pub fn instance_memory_gib(class: &str) -> f64 {
    let mut parts = class.trim_start_matches("db.").splitn(2, '.');
    let family = parts.next().unwrap_or_default();
    let size = parts.next().unwrap_or_default();
    let base = match size {
        "micro" => 1.0,
        "small" => 2.0,
        "medium" => 4.0,
        "large" => 8.0,
        "xlarge" => 16.0,
        s => s
            .strip_suffix("xlarge")
            .and_then(|n| n.parse::<f64>().ok())
            .map_or(8.0, |n| n * 16.0),
    };
    let factor = match family.chars().next() {
        Some('r' | 'z') => 2.0,
        Some('x') => 4.0,
        _ => 1.0,
    };
    base * factor
}

/// `max_connections` of the database: the parameter group's, or PostgreSQL's default for
/// the class.
pub fn max_connections(db: &MonitoredDatabase) -> f64 {
    db.max_connections.map(f64::from).unwrap_or_else(|| {
        (instance_memory_gib(&db.instance_class) * GIB / PG_BYTES_PER_CONNECTION)
            .floor()
            .min(PG_MAX_CONNECTIONS)
    })
}

/// Every alarm of the environment `env` with these thresholds.
pub fn alarm_set(env: &str, m: &Monitored, t: &Thresholds) -> Vec<AlarmDefinition> {
    let mut out = Vec::new();
    if let Some(db) = &m.database {
        out.extend(database_alarms(env, db, t));
    }
    for (i, id) in m.replicas.iter().enumerate() {
        let dims = vec![("DBInstanceIdentifier", id.clone())];
        out.push(
            alarm(
                env,
                &format!("rds-replica-{}", i + 1),
                "lag",
                format!("replica `{id}` more than rds_replica_lag_seconds behind the primary"),
            )
            .over(
                Watched::Metric(metric("AWS/RDS", "ReplicaLag", "Maximum", dims, 60)),
                (5, 5),
                Comparison::Above,
                t.rds_replica_lag_seconds,
                "missing",
            ),
        );
    }
    let with_replicas = m.cache_members.len() > 1;
    for id in &m.cache_members {
        out.extend(cache_alarms(env, id, with_replicas, t));
    }
    if let Some((cluster, brokers)) = &m.kafka {
        out.extend(kafka_alarms(env, cluster, *brokers, t));
    }
    for (i, id) in m.nat_gateways.iter().enumerate() {
        out.extend(nat_alarms(env, &format!("nat-{}", i + 1), id, t));
    }
    out.extend(
        m.node_groups
            .iter()
            .filter(|g| g.min_size > 0)
            .map(|g| node_group_alarm(env, g)),
    );
    out
}

/// Fewer nodes in service than `min_size` for 5 minutes: the Auto Scaling group's
/// `GroupInServiceInstances` (published once Mosia enables the group's metrics; Container
/// Insights has no per-node-group node count).
fn node_group_alarm(env: &str, g: &MonitoredNodeGroup) -> AlarmDefinition {
    let dims = vec![("AutoScalingGroupName", g.auto_scaling_group.clone())];
    alarm(
        env,
        &format!("eks-{}", g.name),
        "nodes-in-service",
        format!(
            "node group `{}` has fewer nodes in service than its min_size ({})",
            g.name, g.min_size
        ),
    )
    .over(
        Watched::Metric(metric(
            "AWS/AutoScaling",
            "GroupInServiceInstances",
            "Minimum",
            dims,
            60,
        )),
        (5, 5),
        Comparison::Below,
        f64::from(g.min_size),
        "missing",
    )
}

fn database_alarms(env: &str, db: &MonitoredDatabase, t: &Thresholds) -> Vec<AlarmDefinition> {
    let dims = || vec![("DBInstanceIdentifier", db.identifier.clone())];
    let rds = |name, statistic| Watched::Metric(metric("AWS/RDS", name, statistic, dims(), 300));
    let storage = f64::from(db.allocated_storage_gb) * GIB;
    let memory = instance_memory_gib(&db.instance_class) * GIB;
    let connections = max_connections(db);
    vec![
        alarm(env, "rds", "cpu", "CPU above rds_cpu_percent".into()).over(
            rds("CPUUtilization", "Average"),
            (3, 3),
            Comparison::Above,
            t.rds_cpu_percent,
            "missing",
        ),
        alarm(
            env,
            "rds",
            "free-storage",
            format!(
                "free storage below rds_free_storage_percent of the {} GB allocated",
                db.allocated_storage_gb
            ),
        )
        .over(
            rds("FreeStorageSpace", "Average"),
            (1, 1),
            Comparison::Below,
            (storage * t.rds_free_storage_percent / 100.0).round(),
            "missing",
        ),
        alarm(
            env,
            "rds",
            "freeable-memory",
            format!(
                "freeable memory below rds_freeable_memory_percent of the {} GiB of {}",
                instance_memory_gib(&db.instance_class),
                db.instance_class
            ),
        )
        .over(
            rds("FreeableMemory", "Average"),
            (3, 3),
            Comparison::Below,
            (memory * t.rds_freeable_memory_percent / 100.0).round(),
            "missing",
        ),
        alarm(
            env,
            "rds",
            "connections",
            format!("connections above rds_connections_percent of max_connections ({connections})"),
        )
        .over(
            rds("DatabaseConnections", "Maximum"),
            (3, 3),
            Comparison::Above,
            (connections * t.rds_connections_percent / 100.0).floor(),
            "missing",
        ),
    ]
}

fn cache_alarms(
    env: &str,
    member: &str,
    with_replicas: bool,
    t: &Thresholds,
) -> Vec<AlarmDefinition> {
    let part = format!(
        "elasticache-{}",
        member.rsplit('-').next().unwrap_or(member)
    );
    let cache = |name, statistic, period| {
        let dims = vec![("CacheClusterId", member.to_string())];
        Watched::Metric(metric("AWS/ElastiCache", name, statistic, dims, period))
    };
    let mut out = vec![
        alarm(
            env,
            &part,
            "engine-cpu",
            format!("`{member}` engine CPU above elasticache_engine_cpu_percent"),
        )
        .over(
            cache("EngineCPUUtilization", "Average", 300),
            (3, 3),
            Comparison::Above,
            t.elasticache_engine_cpu_percent,
            "missing",
        ),
        alarm(
            env,
            &part,
            "memory",
            format!("`{member}` memory used above elasticache_memory_percent"),
        )
        .over(
            cache("DatabaseMemoryUsagePercentage", "Average", 300),
            (3, 3),
            Comparison::Above,
            t.elasticache_memory_percent,
            "missing",
        ),
        alarm(
            env,
            &part,
            "evictions",
            format!("`{member}` evicted more than elasticache_evictions keys in 5 minutes"),
        )
        .over(
            cache("Evictions", "Sum", 300),
            (1, 1),
            Comparison::Above,
            t.elasticache_evictions,
            "notBreaching",
        ),
    ];
    // Every member: after a failover another one is the replica (only replicas report it).
    if with_replicas {
        out.push(
            alarm(
                env,
                &part,
                "replication-lag",
                format!(
                    "`{member}` more than elasticache_replication_lag_seconds behind the primary"
                ),
            )
            .over(
                cache("ReplicationLag", "Maximum", 60),
                (5, 5),
                Comparison::Above,
                t.elasticache_replication_lag_seconds,
                "notBreaching",
            ),
        );
    }
    out
}

fn kafka_alarms(env: &str, cluster: &str, brokers: u32, t: &Thresholds) -> Vec<AlarmDefinition> {
    let cluster_dims = || vec![("Cluster Name", cluster.to_string())];
    let mut out = vec![
        alarm(
            env,
            "msk",
            "offline-partitions",
            "partitions without an active leader above msk_offline_partitions".into(),
        )
        .over(
            Watched::Metric(metric(
                "AWS/Kafka",
                "OfflinePartitionsCount",
                "Maximum",
                cluster_dims(),
                60,
            )),
            (1, 1),
            Comparison::Above,
            t.msk_offline_partitions,
            "missing",
        ),
        // Each broker reports 1 while it is the controller: the sum over a minute must be 1.
        alarm(
            env,
            "msk",
            "active-controllers",
            "active controller count is not 1".into(),
        )
        .over(
            Watched::Expression {
                expression: "ABS(m1 - 1)".into(),
                label: "active controllers off by",
                metrics: vec![metric(
                    "AWS/Kafka",
                    "ActiveControllerCount",
                    "Sum",
                    cluster_dims(),
                    60,
                )],
            },
            (5, 3),
            Comparison::Above,
            0.0,
            "missing",
        ),
    ];
    for b in 1..=brokers {
        let part = format!("msk-broker-{b}");
        let broker = |name, statistic| {
            let dims = vec![
                ("Cluster Name", cluster.to_string()),
                ("Broker ID", b.to_string()),
            ];
            Watched::Metric(metric("AWS/Kafka", name, statistic, dims, 300))
        };
        out.push(
            alarm(
                env,
                &part,
                "disk-used",
                format!("broker {b}'s data log disk above msk_disk_used_percent"),
            )
            .over(
                broker("KafkaDataLogsDiskUsed", "Maximum"),
                (1, 1),
                Comparison::Above,
                t.msk_disk_used_percent,
                "missing",
            ),
        );
        out.push(
            alarm(env, &part, "under-replicated-partitions", format!("broker {b}'s under-replicated partitions above msk_under_replicated_partitions")).over(
                broker("UnderReplicatedPartitions", "Maximum"),
                (3, 3),
                Comparison::Above,
                t.msk_under_replicated_partitions,
                "missing",
            ),
        );
    }
    out
}

fn nat_alarms(env: &str, part: &str, id: &str, t: &Thresholds) -> Vec<AlarmDefinition> {
    let nat = |name| {
        let dims = vec![("NatGatewayId", id.to_string())];
        Watched::Metric(metric("AWS/NATGateway", name, "Sum", dims, 300))
    };
    vec![
        alarm(env, part, "port-allocation-errors", format!("`{id}` could not allocate more than nat_port_allocation_errors source ports in 5 minutes")).over(
            nat("ErrorPortAllocation"),
            (1, 1),
            Comparison::Above,
            t.nat_port_allocation_errors,
            "notBreaching",
        ),
        alarm(env, part, "packets-dropped", format!("`{id}` dropped more than nat_packets_dropped packets in 5 minutes")).over(
            nat("PacketsDropCount"),
            (1, 1),
            Comparison::Above,
            t.nat_packets_dropped,
            "notBreaching",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thresholds() -> Thresholds {
        Thresholds {
            rds_cpu_percent: 80.0,
            rds_free_storage_percent: 10.0,
            rds_freeable_memory_percent: 10.0,
            rds_connections_percent: 80.0,
            rds_replica_lag_seconds: 300.0,
            elasticache_engine_cpu_percent: 80.0,
            elasticache_memory_percent: 80.0,
            elasticache_evictions: 100.0,
            elasticache_replication_lag_seconds: 30.0,
            msk_disk_used_percent: 85.0,
            msk_offline_partitions: 0.0,
            msk_under_replicated_partitions: 0.0,
            nat_port_allocation_errors: 0.0,
            nat_packets_dropped: 100.0,
        }
    }

    fn staging() -> Monitored {
        Monitored {
            database: Some(MonitoredDatabase {
                identifier: "env-db".into(),
                allocated_storage_gb: 50,
                instance_class: "db.t4g.medium".into(),
                max_connections: None,
            }),
            replicas: vec!["env-db-replica-1".into()],
            cache_members: vec!["env-cache-001".into(), "env-cache-002".into()],
            kafka: Some(("env-kafka".into(), 2)),
            nat_gateways: vec!["nat-0a".into()],
            node_groups: vec![
                MonitoredNodeGroup {
                    name: "general".into(),
                    min_size: 2,
                    auto_scaling_group: "eks-env-general-1a2b".into(),
                },
                MonitoredNodeGroup {
                    name: "batch".into(),
                    min_size: 0,
                    auto_scaling_group: "eks-env-batch-3c4d".into(),
                },
            ],
        }
    }

    fn find<'a>(set: &'a [AlarmDefinition], name: &str) -> &'a AlarmDefinition {
        set.iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    #[test]
    fn every_part_gets_its_alarms_named_env_part_metric() {
        let set = alarm_set("env", &staging(), &thresholds());
        let names: Vec<&str> = set.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "env-rds-cpu",
                "env-rds-free-storage",
                "env-rds-freeable-memory",
                "env-rds-connections",
                "env-rds-replica-1-lag",
                "env-elasticache-001-engine-cpu",
                "env-elasticache-001-memory",
                "env-elasticache-001-evictions",
                "env-elasticache-001-replication-lag",
                "env-elasticache-002-engine-cpu",
                "env-elasticache-002-memory",
                "env-elasticache-002-evictions",
                "env-elasticache-002-replication-lag",
                "env-msk-offline-partitions",
                "env-msk-active-controllers",
                "env-msk-broker-1-disk-used",
                "env-msk-broker-1-under-replicated-partitions",
                "env-msk-broker-2-disk-used",
                "env-msk-broker-2-under-replicated-partitions",
                "env-nat-1-port-allocation-errors",
                "env-nat-1-packets-dropped",
                "env-eks-general-nodes-in-service",
            ]
        );
    }

    /// A node group that may scale to zero has no floor to fall below.
    #[test]
    fn a_node_group_alarms_below_its_min_size_on_its_auto_scaling_group() {
        let set = alarm_set("env", &staging(), &thresholds());
        let a = find(&set, "env-eks-general-nodes-in-service");
        let Watched::Metric(m) = &a.watched else {
            panic!("one metric")
        };
        assert_eq!(
            (m.namespace, m.name, m.statistic),
            ("AWS/AutoScaling", "GroupInServiceInstances", "Minimum")
        );
        assert_eq!(
            m.dimensions,
            vec![("AutoScalingGroupName", "eks-env-general-1a2b".to_string())]
        );
        assert_eq!((a.comparison, a.threshold), (Comparison::Below, 2.0));
        assert!(!set.iter().any(|a| a.name.contains("batch")));
    }

    #[test]
    fn thresholds_are_turned_into_the_metrics_units() {
        let set = alarm_set("env", &staging(), &thresholds());
        // 10 % of 50 GiB free, in bytes.
        assert_eq!(
            find(&set, "env-rds-free-storage").threshold,
            5_368_709_120.0
        );
        assert_eq!(
            find(&set, "env-rds-free-storage").comparison,
            Comparison::Below
        );
        // db.t4g.medium: 4 GiB; 10 % of it.
        assert_eq!(
            find(&set, "env-rds-freeable-memory").threshold,
            429_496_730.0
        );
        // max_connections = 4 GiB / 9531392 = 450; 80 % of it.
        assert_eq!(find(&set, "env-rds-connections").threshold, 360.0);
        let lag = find(&set, "env-rds-replica-1-lag");
        let Watched::Metric(m) = &lag.watched else {
            panic!("one metric")
        };
        assert_eq!(
            m.dimensions,
            vec![("DBInstanceIdentifier", "env-db-replica-1".to_string())]
        );
        let disk = find(&set, "env-msk-broker-2-disk-used");
        let Watched::Metric(m) = &disk.watched else {
            panic!("one metric")
        };
        assert_eq!(
            m.dimensions,
            vec![
                ("Cluster Name", "env-kafka".to_string()),
                ("Broker ID", "2".to_string())
            ]
        );
    }

    #[test]
    fn max_connections_comes_from_the_parameter_group_when_set() {
        let mut m = staging();
        m.database.as_mut().unwrap().max_connections = Some(1000);
        let set = alarm_set("env", &m, &thresholds());
        assert_eq!(find(&set, "env-rds-connections").threshold, 800.0);
        assert_eq!(instance_memory_gib("db.r7g.large"), 16.0);
        assert_eq!(instance_memory_gib("db.m7g.2xlarge"), 32.0);
        assert_eq!(instance_memory_gib("db.t4g.micro"), 1.0);
    }

    #[test]
    fn the_active_controller_alarm_fires_on_anything_but_one() {
        let set = alarm_set("env", &staging(), &thresholds());
        let a = find(&set, "env-msk-active-controllers");
        let Watched::Expression {
            expression,
            metrics,
            ..
        } = &a.watched
        else {
            panic!("metric math")
        };
        assert_eq!(expression, "ABS(m1 - 1)");
        assert_eq!(metrics[0].name, "ActiveControllerCount");
        assert_eq!((a.comparison, a.threshold), (Comparison::Above, 0.0));
    }

    #[test]
    fn alarms_follow_the_parts() {
        let mut m = staging();
        m.replicas.push("env-db-replica-2".into());
        m.kafka = None;
        m.cache_members.truncate(1);
        let names: Vec<String> = alarm_set("env", &m, &thresholds())
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert!(names.contains(&"env-rds-replica-2-lag".to_string()));
        assert!(!names.iter().any(|n| n.contains("msk")), "{names:?}");
        // A cache without replicas has no replication lag to watch.
        assert!(
            !names.iter().any(|n| n.contains("replication-lag")),
            "{names:?}"
        );
        assert!(description("env", "x").starts_with(&description_prefix("env")));
    }
}
