//! The cluster's computed outputs that are not plain DescribeCluster fields: a kubeconfig
//! that gets its token from `aws eks get-token` (the AWS CLI with the caller's credentials,
//! as `aws eks update-kubeconfig` writes it), the cluster security group and the secrets key.

use super::cluster::EksClusterState;

/// The exec credential API `aws eks get-token` answers with.
const EXEC_API_VERSION: &str = "client.authentication.k8s.io/v1beta1";

/// The Region of an EKS ARN (`arn:aws:eks:REGION:ACCOUNT:cluster/NAME`).
fn region_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// A YAML double-quoted scalar (JSON's string syntax is valid YAML).
fn quoted(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// A kubeconfig for the cluster with one context named by its ARN; None until the cluster
/// has an endpoint.
pub fn kubeconfig(c: &EksClusterState) -> Option<String> {
    if c.endpoint.is_empty() || c.name.is_empty() {
        return None;
    }
    let region = region_of(&c.arn)?;
    let id = quoted(&c.arn);
    let args = [
        "eks",
        "get-token",
        "--cluster-name",
        &c.name,
        "--region",
        region,
    ]
    .iter()
    .map(|a| format!("        - {}\n", quoted(a)))
    .collect::<String>();
    Some(format!(
        "apiVersion: v1\n\
         kind: Config\n\
         clusters:\n\
         - name: {id}\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\n\
         contexts:\n\
         - name: {id}\n  context:\n    cluster: {id}\n    user: {id}\n\
         current-context: {id}\n\
         preferences: {{}}\n\
         users:\n\
         - name: {id}\n  user:\n    exec:\n      apiVersion: {api}\n      command: aws\n      args:\n{args}",
        server = quoted(&c.endpoint),
        ca = quoted(&c.certificate_authority),
        api = EXEC_API_VERSION,
    ))
}

/// The `eks` block's outputs computed from the cluster: `cluster_security_group_id`,
/// `kubeconfig`, and `kms_key_arn` (the key the cluster encrypts its secrets with).
pub fn cluster_outputs(c: &EksClusterState) -> [(&'static str, Option<String>); 3] {
    [
        (
            "cluster_security_group_id",
            c.cluster_security_group_id.clone(),
        ),
        ("kubeconfig", kubeconfig(c)),
        ("kms_key_arn", c.encryption_key_arn.clone()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> EksClusterState {
        EksClusterState {
            name: "shop-eks".into(),
            arn: "arn:aws:eks:eu-west-1:123456789012:cluster/shop-eks".into(),
            endpoint: "https://ABC.gr7.eu-west-1.eks.amazonaws.com".into(),
            certificate_authority: "LS0tQ0E=".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_kubeconfig_names_the_endpoint_ca_and_the_get_token_command() {
        let k = kubeconfig(&cluster()).expect("a kubeconfig");
        let expected = r#"apiVersion: v1
kind: Config
clusters:
- name: "arn:aws:eks:eu-west-1:123456789012:cluster/shop-eks"
  cluster:
    server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com"
    certificate-authority-data: "LS0tQ0E="
contexts:
- name: "arn:aws:eks:eu-west-1:123456789012:cluster/shop-eks"
  context:
    cluster: "arn:aws:eks:eu-west-1:123456789012:cluster/shop-eks"
    user: "arn:aws:eks:eu-west-1:123456789012:cluster/shop-eks"
current-context: "arn:aws:eks:eu-west-1:123456789012:cluster/shop-eks"
preferences: {}
users:
- name: "arn:aws:eks:eu-west-1:123456789012:cluster/shop-eks"
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args:
        - "eks"
        - "get-token"
        - "--cluster-name"
        - "shop-eks"
        - "--region"
        - "eu-west-1"
"#;
        assert_eq!(k, expected);
    }

    #[test]
    fn no_kubeconfig_before_the_cluster_has_an_endpoint() {
        let mut c = cluster();
        c.endpoint.clear();
        assert_eq!(kubeconfig(&c), None);
        let outputs = cluster_outputs(&c);
        assert_eq!(outputs[1], ("kubeconfig", None));
        c.encryption_key_arn = Some("arn:aws:kms:eu-west-1:1:key/k".into());
        c.cluster_security_group_id = Some("sg-1".into());
        let outputs = cluster_outputs(&c);
        assert_eq!(outputs[0].1.as_deref(), Some("sg-1"));
        assert_eq!(
            outputs[2].1.as_deref(),
            Some("arn:aws:kms:eu-west-1:1:key/k")
        );
    }
}
