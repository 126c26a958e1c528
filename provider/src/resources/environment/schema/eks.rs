//! The `eks` block of the `mosia_environment` schema: the cluster, its access entries,
//! add-ons and node groups.

use mosia_tfplugin::{validators, Attribute, Block, Nesting};

use super::*;

pub(super) fn eks() -> Block {
    let b = Block::new(
        "An EKS cluster with an IAM OIDC provider for IRSA, and managed node groups \
         (`node_group \"NAME\" { ... }`).",
    )
    .attr(
        Attribute::string("version")
            .optional_computed()
            .description(
                "Kubernetes version, `1.MINOR` (e.g. `1.31`). Default: the version EKS picks at \
                 create, kept afterwards. Raising it upgrades the control plane one minor \
                 version at a time, the node groups following it before each next step and at \
                 the end. A cluster EKS upgraded on its own (end of support) to a newer version \
                 than this is kept, with a plan warning (EKS cannot downgrade).",
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
    ;
    eks_outputs(addon_list(access_and_lifecycle(b)))
        .block("access_entry", Nesting::Map, access_entry())
        .block("addon", Nesting::Map, addon())
        .block("node_group", Nesting::Map, node_group())
}

/// Access, upgrade policy, encryption, logs and add-ons.
fn access_and_lifecycle(b: Block) -> Block {
    b.attr(
        Attribute::string("authentication_mode")
            .optional_computed()
            .description(&with_tier_default(
                &format!(
                    "How identities get into the Kubernetes API: {}. `API`: only EKS access \
                     entries (`access_entry`); `API_AND_CONFIG_MAP`: access entries and the \
                     `aws-auth` ConfigMap. EKS moves a cluster only towards `API`, in place; \
                     the reverse is refused at plan time.",
                    choices(AuthenticationMode::CONFIGURABLE)
                ),
                |t| code(t.eks_authentication_mode),
            ))
            .validate(validators::one_of(AuthenticationMode::CONFIGURABLE)),
    )
    .attr(Attribute::bool("creator_admin").default(true).description(
        "Whether the identity that creates the cluster gets cluster-admin through an \
                 access entry (`bootstrapClusterCreatorAdminPermissions`). Fixed at create: \
                 changing it replaces nothing and is refused at plan time. Production refuses \
                 `true` without an `access_entry` with policy `cluster-admin` (someone must \
                 get in once the creator's session is gone) unless \
                 `creator_admin_acknowledged = true`.",
    ))
    .attr(
        Attribute::bool("creator_admin_acknowledged")
            .default(false)
            .description(
                "Set to `true` to allow `creator_admin = true` in production without a \
                 `cluster-admin` access entry.",
            ),
    )
    .attr(
        Attribute::string("support_type")
            .default("EXTENDED")
            .description(
                "Upgrade policy at the end of a Kubernetes version's standard support: \
                 `EXTENDED` (EKS's default), the cluster stays on its version in extended \
                 support, billed at the extended-support rate from that day (priced in \
                 `estimated_monthly_cost_usd`); `STANDARD`, EKS upgrades it to the next version \
                 instead, and it is always priced at the standard rate. EKS cannot set \
                 `STANDARD` on a version already in extended support: refused at plan time. \
                 Changed in place.",
            )
            .validate(validators::one_of(SupportType::NAMES)),
    )
    .attr(
        Attribute::bool("secrets_encryption")
            .optional_computed()
            .description(&with_tier_default(
                "Envelope encryption of Kubernetes secrets with a KMS key (`kms_key_arn`, or \
                 the environment's own key `alias/NAME-eks`, rotated yearly and scheduled for \
                 deletion at destroy). EKS cannot turn it off or change the key once on: \
                 turning it on is in place, off is refused at plan time.",
                |t| code(t.eks_secrets_encryption),
            )),
    )
    .attr(
        Attribute::string("kms_key_arn")
            .optional_computed()
            .description(
                "ARN of your symmetric KMS key for secrets encryption. Default: the key Mosia \
                 creates for the environment (its ARN is shown here). Only with \
                 `secrets_encryption = true`; fixed once the cluster uses it.",
            )
            .validate(validators::string_matches(
                "arn:aws[a-z-]*:kms:REGION:ACCOUNT:key/ID",
                |s| s.starts_with("arn:aws") && s.contains(":kms:") && s.contains(":key/"),
            )),
    )
    .attr(
        Attribute::number("log_retention_days")
            .optional_computed()
            .description(&with_tier_default(
                &format!(
                    "Retention of the control plane log group `/aws/eks/NAME-eks/cluster`, \
                     created with it before the cluster (so EKS does not create one that \
                     never expires) and deleted at destroy. One of CloudWatch Logs' values: {}.",
                    LOG_RETENTION_DAYS
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                |t| t.eks_log_retention_days.to_string(),
            ))
            .validate(retention_days()),
    )
}

/// The add-ons the cluster runs.
fn addon_list(b: Block) -> Block {
    b.attr(
        Attribute::of_type("addons", string_list())
            .optional_computed()
            .description(&format!(
                "EKS-managed add-ons, by name. Default: {}. `vpc-cni`, `kube-proxy` and \
                 `eks-pod-identity-agent` are created before any node group, every other add-on \
                 after the node groups (they need nodes to run). Each is kept at the newest \
                 version compatible with the cluster's Kubernetes version unless pinned in an \
                 `addon` block, and moves with the control plane on upgrades. The EBS CSI \
                 driver gets its own IAM role through EKS Pod Identity. An add-on removed from \
                 the list is deleted from the cluster.",
                choices(DEFAULT_ADDONS)
            )),
    )
}

fn eks_outputs(b: Block) -> Block {
    b
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
    .attr(
        Attribute::string("cluster_security_group_id")
            .computed()
            .description("The security group EKS creates for the cluster (control plane and managed nodes)."),
    )
    .attr(
        Attribute::string("kubeconfig")
            .computed()
            .description(
                "A kubeconfig for the cluster that gets a token with `aws eks get-token` \
                 (the AWS CLI with the caller's credentials).",
            ),
    )
    .attr(
        Attribute::of_type("access_entry_arns", string_map())
            .computed()
            .description("ARN of each `access_entry`, by its name."),
    )
    .attr(
        Attribute::of_type("addon_versions", string_map())
            .computed()
            .description("Installed version of each add-on, by add-on name."),
    )
}

fn access_entry() -> Block {
    Block::new(
        "An EKS access entry: an IAM role or user that may use the Kubernetes API, with one \
         access policy. The label names it in `access_entry_arns`. Added, changed and removed \
         in place; an entry deleted or changed outside Terraform shows in the plan and is \
         restored. Needs `authentication_mode` `API` or `API_AND_CONFIG_MAP`.",
    )
    .attr(
        Attribute::string("principal_arn")
            .required()
            .description("ARN of the IAM role or user (`arn:aws:iam::ACCOUNT:role/NAME`); changing it replaces the entry.")
            .validate(validators::string_matches(
                "arn:aws[a-z-]*:iam::ACCOUNT:role/NAME or :user/NAME",
                valid_principal_arn,
            )),
    )
    .attr(
        Attribute::string("policy")
            .required()
            .description(&format!(
                "{}: EKS's `AmazonEKSClusterAdminPolicy`, `AmazonEKSAdminPolicy`, \
                 `AmazonEKSEditPolicy` or `AmazonEKSViewPolicy`.",
                choices(AccessPolicy::NAMES)
            ))
            .validate(validators::one_of(AccessPolicy::NAMES)),
    )
    .attr(
        Attribute::of_type("namespaces", Type::set(Type::String))
            .optional()
            .description(
                "Kubernetes namespaces the policy is limited to. Empty or null: cluster-wide \
                 (`cluster-admin` is always cluster-wide).",
            ),
    )
}

fn addon() -> Block {
    Block::new("Settings of one add-on of `addons`; the label is the add-on's name.")
        .attr(Attribute::string("version").default("latest").description(
            "`latest` (the newest version compatible with the cluster's Kubernetes \
                 version, followed on upgrades) or a version EKS offers, e.g. \
                 `v1.19.2-eksbuild.1`.",
        ))
        .attr(Attribute::string("configuration").optional().description(
            "The add-on's configuration values as JSON (`jsonencode({...})`), checked by \
                 EKS against the add-on's configuration schema.",
        ))
}

fn node_group() -> Block {
    let b = Block::new(
        "A managed node group; the label is its name (1-32 letters, digits, `-` or `_`). \
         Sizes, labels, taints and update settings change in place. Another instance type, \
         capacity type, disk size or AMI type needs a new node group: Mosia creates it, waits \
         until it is ACTIVE, then deletes the old one (create before destroy), with a plan \
         warning.",
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
    );
    node_group_settings(b)
}

/// The AMI, taints, update settings and who owns the desired size.
fn node_group_settings(b: Block) -> Block {
    b.attr(
        Attribute::string("ami_type")
            .optional_computed()
            .description(&format!(
                "The EKS AMI the nodes run, {}. Default: the Amazon Linux 2023 AMI of the \
                 instance types' architecture (`AL2023_ARM_64_STANDARD` for Graviton). \
                 Changing it replaces the node group (create before destroy).",
                choices(AmiType::NAMES)
            ))
            .validate(validators::one_of(AmiType::NAMES)),
    )
    .attr(
        Attribute::of_type(
            "taints",
            Type::list(Type::object([
                ("key", Type::String),
                ("value", Type::String),
                ("effect", Type::String),
            ])),
        )
        .optional()
        .description(&format!(
            "Kubernetes taints on the group's nodes, changed in place: `key` (1-63 \
             characters), `value` (up to 63, may be null) and `effect` ({}); at most 50.",
            choices(TaintEffect::NAMES)
        )),
    )
    .attr(
        Attribute::number("max_unavailable")
            .optional()
            .description(
                "Nodes an update may take down at once, 1 to 100. Default: 1 (EKS's). Not with \
                 `max_unavailable_percentage`.",
            )
            .validate(validators::int_between(1, 100)),
    )
    .attr(
        Attribute::number("max_unavailable_percentage")
            .optional()
            .description("Percentage of the nodes an update may take down at once, 1 to 100.")
            .validate(validators::int_between(1, 100)),
    )
    .attr(
        Attribute::string("scaling")
            .default("managed")
            .description(&format!(
                "Who owns `desired_size`, {}: `managed`, Mosia sets it on every apply; \
                 `external`, it is set only at create and then belongs to an autoscaler \
                 (Cluster Autoscaler, Karpenter): later changes are not drift.",
                choices(Scaling::NAMES)
            ))
            .validate(validators::one_of(Scaling::NAMES)),
    )
}
