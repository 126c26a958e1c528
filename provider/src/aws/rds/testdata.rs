//! Fixtures of the RDS unit tests: the spec, the network, instances as RDS describes them,
//! and mocked answers for the groups an ensure passes by (subnet group and parameter group
//! of this environment, owned, with no user parameters).

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::operation::describe_db_parameter_groups::DescribeDbParameterGroupsOutput;
use aws_sdk_rds::operation::describe_db_parameters::DescribeDbParametersOutput;
use aws_sdk_rds::operation::describe_db_subnet_groups::DescribeDbSubnetGroupsOutput;
use aws_sdk_rds::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_rds::types::builders::DbInstanceBuilder;
use aws_sdk_rds::types::{
    DbInstance, DbParameterGroup, DbParameterGroupStatus, DbSubnetGroup, Endpoint,
    MasterUserSecret, Subnet, Tag, VpcSecurityGroupMembership,
};
use aws_smithy_mocks::{mock, Rule};

use super::RdsSpec;
use crate::aws::network::NetworkState;
use crate::aws::part::PartEnv;
use crate::aws::{testing, AwsContext};

/// The environment `mosia-test` with an RDS client answering from `rules` (any order).
pub(crate) fn env(rules: &[&Rule]) -> PartEnv {
    testing::env(AwsContext::offline().with_rds(crate::mock_client!(aws_sdk_rds, rules: rules)))
}

pub(crate) fn spec() -> RdsSpec {
    RdsSpec {
        kms_key: Default::default(),
        engine: "postgres".into(),
        engine_version: Some("16.4".into()),
        instance_class: "db.t4g.micro".into(),
        allocated_storage_gb: 20,
        max_allocated_storage_gb: None,
        multi_az: false,
        backup_retention_days: 1,
        deletion_protection: false,
        read_replicas: 0,
        parameters: BTreeMap::new(),
        skip_final_snapshot: true,
        final_snapshot_identifier: None,
        snapshot_identifier: None,
        master_username: "mosia".into(),
        database_name: None,
        // As the described fixtures: IAM authentication off.
        iam_database_authentication: false,
        maintenance_window: None,
        backup_window: None,
        apply_immediately: true,
        auto_minor_version_upgrade: true,
        major_upgrade: super::input::MajorUpgrade::InPlace,
        old_instance_retention_hours: 0,
        insights: false,
        enhanced_monitoring: false,
        log_exports_retention_days: None,
    }
}

pub(crate) fn net() -> NetworkState {
    testing::network(2, &[("rds", "sg-rds")])
}

/// The tags of an RDS object of `mosia-test` (with its user tag `team=platform`).
pub(crate) fn owned_tags() -> Vec<Tag> {
    tags(&[
        ("team", "platform"),
        ("mosia:managed-by", "terraform-provider-mosia"),
        ("mosia:environment", "mosia-test"),
        ("mosia:part", "rds"),
    ])
}

pub(crate) fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
        .collect()
}

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:rds:us-east-1:123456789012:{kind}:{name}")
}

/// The primary exactly as [`spec`] and [`net`] want it, available and ours.
pub(crate) fn primary() -> DbInstanceBuilder {
    DbInstance::builder()
        .db_instance_identifier("mosia-test-db")
        .db_instance_arn(arn("db", "mosia-test-db"))
        .db_instance_status("available")
        .engine("postgres")
        .engine_version("16.4")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .storage_type("gp3")
        .storage_encrypted(true)
        .multi_az(false)
        .backup_retention_period(1)
        .deletion_protection(false)
        .master_username("mosia")
        .master_user_secret(
            MasterUserSecret::builder()
                .secret_arn("arn:aws:secretsmanager:us-east-1:1:secret:rds")
                .build(),
        )
        .db_parameter_groups(
            DbParameterGroupStatus::builder()
                .db_parameter_group_name("mosia-test-pg16")
                .parameter_apply_status("in-sync")
                .build(),
        )
        .vpc_security_groups(
            VpcSecurityGroupMembership::builder()
                .vpc_security_group_id("sg-rds")
                .build(),
        )
        .endpoint(
            Endpoint::builder()
                .address("mosia-test-db.rds.local")
                .port(5432)
                .build(),
        )
        .set_tag_list(Some(owned_tags()))
}

/// Replica `n` of [`primary`], available and ours.
pub(crate) fn replica(n: u32) -> DbInstance {
    let id = format!("mosia-test-db-replica-{n}");
    DbInstance::builder()
        .db_instance_arn(arn("db", &id))
        .db_instance_identifier(id)
        .db_instance_status("available")
        .db_instance_class("db.t4g.micro")
        .deletion_protection(false)
        .set_tag_list(Some(owned_tags()))
        .build()
}

pub(crate) fn listed(dbs: &[DbInstance]) -> DescribeDbInstancesOutput {
    DescribeDbInstancesOutput::builder()
        .set_db_instances(Some(dbs.to_vec()))
        .build()
}

/// DescribeDBInstances answering `first`, then `then` for every later call.
pub(crate) fn described(first: Vec<DbInstance>, then: Vec<DbInstance>) -> Rule {
    let (first, then) = (Arc::new(first), Arc::new(then));
    mock!(aws_sdk_rds::Client::describe_db_instances)
        .sequence()
        .output(move || listed(&first))
        .output(move || listed(&then))
        .repeatedly()
        .build()
}

/// The subnet group, the parameter group of each major (family from its name), no user
/// parameters, and ownership tags on everything.
pub(crate) fn groups() -> Vec<Rule> {
    vec![
        mock!(aws_sdk_rds::Client::describe_db_subnet_groups).then_output(|| {
            DescribeDbSubnetGroupsOutput::builder()
                .db_subnet_groups(
                    DbSubnetGroup::builder()
                        .db_subnet_group_name("mosia-test-db")
                        .db_subnet_group_arn(arn("subgrp", "mosia-test-db"))
                        .subnets(Subnet::builder().subnet_identifier("subnet-a").build())
                        .subnets(Subnet::builder().subnet_identifier("subnet-b").build())
                        .build(),
                )
                .build()
        }),
        mock!(aws_sdk_rds::Client::describe_db_parameter_groups).then_compute_output(|req| {
            let name = req
                .db_parameter_group_name()
                .unwrap_or("mosia-test-pg16")
                .to_string();
            let major = name.trim_start_matches("mosia-test-pg").replace('-', ".");
            DescribeDbParameterGroupsOutput::builder()
                .db_parameter_groups(
                    DbParameterGroup::builder()
                        .db_parameter_group_arn(arn("pg", &name))
                        .db_parameter_group_name(name)
                        .db_parameter_group_family(format!("postgres{major}"))
                        .build(),
                )
                .build()
        }),
        mock!(aws_sdk_rds::Client::describe_db_parameters)
            .then_output(|| DescribeDbParametersOutput::builder().build()),
        mock!(aws_sdk_rds::Client::list_tags_for_resource).then_output(|| {
            ListTagsForResourceOutput::builder()
                .set_tag_list(Some(owned_tags()))
                .build()
        }),
    ]
}
