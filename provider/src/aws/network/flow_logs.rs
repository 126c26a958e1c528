//! The VPC's flow logs ([`PartId::FlowLogs`]): rejected traffic, to the log group
//! `/aws/vpc/NAME/flow-logs` (created first, with the retention and the environment's key),
//! delivered by the role `NAME-flow-logs` that `vpc-flow-logs.amazonaws.com` assumes, whose
//! policy names that log group only (VPC User Guide, "IAM role for publishing flow logs to
//! CloudWatch Logs").
//!
//! - [`ensure_flow_logs`]: the group, the role and its policy, then the flow log, found by
//!   DescribeFlowLogs on the VPC and the group, created when missing (CreateFlowLogs answers
//!   a refusal per resource in `Unsuccessful`: that fails the part with its code).
//! - [`delete_flow_logs`]: the environment's flow logs (by tag), then the group and the role.

use aws_sdk_ec2::types::{FlowLogsResourceType, LogDestinationType, ResourceType, TrafficType};

use super::{ec2_error, filter, owner_filters, tag_spec};
use crate::aws::iam::{self, propagation};
use crate::aws::log_groups;
use crate::aws::part::{PartEnv, PartId};
use crate::aws::wait::AwsKind;
use crate::engine::PartError;

const DELIVERY_SERVICE: &str = "vpc-flow-logs.amazonaws.com";
const DELIVERY_POLICY: &str = "deliver-flow-logs";

/// What the flow logs converge to.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowLogsSpec {
    pub retention_days: u32,
    /// The log group's key; None: CloudWatch Logs' own encryption.
    pub kms_key: Option<String>,
}

fn part() -> PartId {
    PartId::FlowLogs
}

/// `/aws/vpc/NAME/flow-logs`.
pub fn log_group_name(env: &PartEnv) -> String {
    format!("/aws/vpc/{}/flow-logs", env.name)
}

/// `NAME-flow-logs`.
pub fn role_name(env: &PartEnv) -> String {
    env.aws_name("flow-logs")
}

/// What the delivery role may do: write to the flow log group, and nothing else.
pub fn delivery_policy(group_arn: &str) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams"
            ],
            "Resource": [group_arn, format!("{group_arn}:*")]
        }]
    })
}

async fn group_arn(env: &PartEnv) -> Result<String, PartError> {
    let account = env.aws.account_id().await.map_err(|e| {
        crate::aws::monitoring::STS.error(&part(), "reading the account", "GetCallerIdentity", &e)
    })?;
    Ok(format!(
        "arn:{}:logs:{}:{account}:log-group:{}",
        env.aws.partition(),
        env.aws.region(),
        log_group_name(env)
    ))
}

/// The flow log of `vpc_id` into the environment's group; None when there is none.
async fn find_flow_log(env: &PartEnv, vpc_id: &str) -> Result<Option<String>, PartError> {
    let out = env
        .aws
        .ec2()
        .describe_flow_logs()
        .filter(filter("resource-id", [vpc_id]))
        .filter(filter("log-group-name", [log_group_name(env)]))
        .send()
        .await
        .map_err(|e| ec2_error("reading the flow logs", "DescribeFlowLogs", &e))?;
    Ok(out
        .flow_logs()
        .iter()
        .find_map(|f| f.flow_log_id().map(str::to_string)))
}

/// The group, the delivery role and the flow log of rejected traffic; returns its ID.
pub async fn ensure_flow_logs(
    env: &PartEnv,
    vpc_id: &str,
    spec: &FlowLogsSpec,
) -> Result<String, PartError> {
    let group = log_group_name(env);
    let key = spec.kms_key.as_deref();
    log_groups::ensure_log_group(env, &part(), &group, spec.retention_days, key).await?;
    let role = role_name(env);
    let role_arn = iam::ensure_service_role(env, &role, DELIVERY_SERVICE, &[]).await?;
    let policy = delivery_policy(&group_arn(env).await?);
    iam::put_inline_policy(env, &role, DELIVERY_POLICY, &policy).await?;
    if let Some(id) = find_flow_log(env, vpc_id).await? {
        return Ok(id);
    }
    let tags = tag_spec(ResourceType::VpcFlowLog, &env.tags_for(part().tag()));
    let create = || {
        env.aws
            .ec2()
            .create_flow_logs()
            .resource_type(FlowLogsResourceType::Vpc)
            .resource_ids(vpc_id)
            .traffic_type(TrafficType::Reject)
            .log_destination_type(LogDestinationType::CloudWatchLogs)
            .log_group_name(&group)
            .deliver_logs_permission_arn(&role_arn)
            .tag_specifications(tags.clone())
            .send()
    };
    // A new role is refused until IAM has propagated it (terraform-provider-aws retries
    // the same message).
    let out = propagation::until_role_accepted(
        env,
        &part(),
        AwsKind::Network,
        "EC2 to accept the flow log role",
        |e| propagation::refused_with(e, None, "Unable to assume given IAM role"),
        create,
    )
    .await?
    .map_err(|e| ec2_error("creating the VPC flow log", "CreateFlowLogs", &e))?;
    if let Some(refused) = out.unsuccessful().first().and_then(|u| u.error()) {
        return Err(PartError::new(
            &part(),
            "creating the VPC flow log",
            format!(
                "EC2 CreateFlowLogs: {}: {}",
                refused.code().unwrap_or_default(),
                refused.message().unwrap_or_default()
            ),
        ));
    }
    Ok(out.flow_log_ids().first().cloned().unwrap_or_default())
}

/// The IDs of the environment's flow logs (by their tags).
pub async fn read_flow_logs(env: &PartEnv) -> Result<Vec<String>, PartError> {
    let mut describe = env.aws.ec2().describe_flow_logs();
    for f in owner_filters(env) {
        describe = describe.filter(f);
    }
    let out = describe
        .send()
        .await
        .map_err(|e| ec2_error("reading the flow logs", "DescribeFlowLogs", &e))?;
    Ok(out
        .flow_logs()
        .iter()
        .filter_map(|f| f.flow_log_id().map(str::to_string))
        .collect())
}

/// Deletes the environment's flow logs, their group and their role.
pub async fn delete_flow_logs(env: &PartEnv) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    let ids = read_flow_logs(env).await?;
    if !ids.is_empty() {
        ec2.delete_flow_logs()
            .set_flow_log_ids(Some(ids))
            .send()
            .await
            .map_err(|e| ec2_error("deleting the VPC flow logs", "DeleteFlowLogs", &e))?;
    }
    log_groups::delete_log_group(env, &part(), &log_group_name(env)).await?;
    iam::delete_service_role(env, &role_name(env)).await
}
