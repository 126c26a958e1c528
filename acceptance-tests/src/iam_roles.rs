//! IAM roles that EKS accepts, made with the SDK before a test creates a cluster or a node
//! group: AWS (and the project's emulator) refuse a role that does not exist, does not trust
//! the service, or lacks the managed policies EKS checks.
//!
//! The roles are usable at once against the project's emulator (`iam_role.propagate` is 0 s
//! by default); with a propagation delay configured, or against real AWS, EKS may answer
//! "could not be assumed" for a while and the caller must retry (as the provider does).

/// Trust policy letting `service` (e.g. `eks.amazonaws.com`) assume the role.
pub fn trust_policy(service: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }],
    })
    .to_string()
}

/// The AWS managed policies of an EKS cluster role.
pub const CLUSTER_POLICIES: &[&str] = &["AmazonEKSClusterPolicy"];
/// The AWS managed policies of an EKS node role: the two EKS checks, and the CNI policy
/// that node roles customarily carry.
pub const NODE_POLICIES: &[&str] = &[
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEKS_CNI_Policy",
];

/// A role `name` trusted by `service` with the AWS managed `policies` attached; returns its
/// ARN and the ARNs of the attached policies (sorted). Panics on any error (a fixture).
pub async fn create_role(
    iam: &aws_sdk_iam::Client,
    name: &str,
    service: &str,
    policies: &[&str],
) -> (String, Vec<String>) {
    let role = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy(service))
        .description(format!("Mosia acceptance-test role for {service}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create role {name}: {e:?}"))
        .role
        .expect("CreateRole answers with the role");
    let arn = role.arn().to_string();
    // arn:PARTITION:iam::ACCOUNT:role/NAME: the managed policies live in the same partition.
    let partition = arn.split(':').nth(1).unwrap_or("aws").to_string();
    let mut attached = Vec::new();
    for policy in policies {
        let policy_arn = format!("arn:{partition}:iam::aws:policy/{policy}");
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn(&policy_arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("attach {policy_arn} to role {name}: {e:?}"));
        attached.push(policy_arn);
    }
    attached.sort();
    (arn, attached)
}

/// An EKS cluster role `name`: trusted by eks.amazonaws.com, with AmazonEKSClusterPolicy.
/// Returns its ARN.
pub async fn cluster_role(iam: &aws_sdk_iam::Client, name: &str) -> String {
    create_role(iam, name, "eks.amazonaws.com", CLUSTER_POLICIES)
        .await
        .0
}

/// An EKS node role `name`: trusted by ec2.amazonaws.com, with AmazonEKSWorkerNodePolicy,
/// AmazonEC2ContainerRegistryReadOnly and AmazonEKS_CNI_Policy. Returns its ARN.
pub async fn node_role(iam: &aws_sdk_iam::Client, name: &str) -> String {
    create_role(iam, name, "ec2.amazonaws.com", NODE_POLICIES)
        .await
        .0
}
