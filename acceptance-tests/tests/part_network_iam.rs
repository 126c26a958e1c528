//! The network and IAM parts of `mosia_environment`, called directly against the emulator:
//! create from nothing, a second ensure that changes nothing, adoption after an interrupted
//! run, in-place updates, drift seen by `read`, and delete leaving nothing owned.
//!
//! Against an external endpoint (`make test-localstack`) every test runs in full but for the
//! call-count assertions, which need the project's emulator (`Emulator::control_api`).

use std::time::Duration;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use mosia_acceptance_tests::emulator::{unique_name, Emulator};
use mosia_acceptance_tests::parts::part_env;
use terraform_provider_mosia::aws::part::{PartEnv, PartId, ENVIRONMENT_TAG, PART_TAG};
use terraform_provider_mosia::aws::{iam, network};
use terraform_provider_mosia::resources::environment::spec::{NatGateway, NetworkSpec};

/// Bound on every test body: nothing here may hang.
const TEST_TIMEOUT: Duration = Duration::from_secs(240);
/// `PartEnv::deadline` of every call.
const PART_DEADLINE: Duration = Duration::from_secs(180);

fn managed(nat: NatGateway) -> NetworkSpec {
    NetworkSpec::Managed {
        cidr: "10.20.0.0/16".parse().unwrap(),
        az_count: 2,
        nat_gateway: nat,
        availability_zones: vec![],
    }
}

fn owner_filters(env: &PartEnv) -> Vec<Filter> {
    vec![
        Filter::builder()
            .name(format!("tag:{ENVIRONMENT_TAG}"))
            .values(&env.name)
            .build(),
        Filter::builder()
            .name(format!("tag:{PART_TAG}"))
            .values(PartId::Network.tag())
            .build(),
    ]
}

fn our_tags(env: &PartEnv, part: &str, name: &str) -> Vec<Tag> {
    let mut t: Vec<Tag> = env
        .tags_for(part)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    t.push(Tag::builder().key("Name").value(name).build());
    t
}

/// EC2 and IAM operations counted since the last clear that change something.
fn ec2_mutations(em: &Emulator) -> Vec<String> {
    let counts = em.call_counts();
    let mut out = vec![];
    for service in ["ec2", "iam"] {
        if let Some(ops) = counts["services"][service].as_object() {
            for (op, n) in ops {
                let read_only = ["Describe", "Get", "List"]
                    .iter()
                    .any(|p| op.starts_with(p));
                if !read_only {
                    out.push(format!("{service}:{op}×{n}"));
                }
            }
        }
    }
    out
}

/// The sources the data services admit in these tests (a VPN, say).
const ALLOWED_CIDR: &str = "10.99.0.0/24";

fn access() -> network::NetworkAccessSpec {
    network::NetworkAccessSpec {
        allowed_cidrs: vec![ALLOWED_CIDR.into()],
        ..Default::default()
    }
}

/// Everything still carrying the environment's network tags (NAT gateways: not deleted).
async fn owned_network_objects(env: &PartEnv) -> Vec<String> {
    let ec2 = env.aws.ec2();
    let f = owner_filters(env);
    let mut out = vec![];
    for v in ec2
        .describe_vpcs()
        .set_filters(Some(f.clone()))
        .send()
        .await
        .unwrap()
        .vpcs()
    {
        out.push(format!("vpc {}", v.vpc_id().unwrap()));
    }
    for s in ec2
        .describe_subnets()
        .set_filters(Some(f.clone()))
        .send()
        .await
        .unwrap()
        .subnets()
    {
        out.push(format!("subnet {}", s.subnet_id().unwrap()));
    }
    for g in ec2
        .describe_internet_gateways()
        .set_filters(Some(f.clone()))
        .send()
        .await
        .unwrap()
        .internet_gateways()
    {
        out.push(format!("igw {}", g.internet_gateway_id().unwrap()));
    }
    for r in ec2
        .describe_route_tables()
        .set_filters(Some(f.clone()))
        .send()
        .await
        .unwrap()
        .route_tables()
    {
        out.push(format!("route table {}", r.route_table_id().unwrap()));
    }
    for a in ec2
        .describe_addresses()
        .set_filters(Some(f.clone()))
        .send()
        .await
        .unwrap()
        .addresses()
    {
        out.push(format!("eip {}", a.allocation_id().unwrap()));
    }
    for g in ec2
        .describe_security_groups()
        .set_filters(Some(f.clone()))
        .send()
        .await
        .unwrap()
        .security_groups()
    {
        out.push(format!("sg {}", g.group_id().unwrap()));
    }
    out
}

async fn live_nats(env: &PartEnv, vpc_id: &str) -> Vec<String> {
    let out = env
        .aws
        .ec2()
        .describe_nat_gateways()
        .filter(Filter::builder().name("vpc-id").values(vpc_id).build())
        .send()
        .await
        .unwrap();
    out.nat_gateways()
        .iter()
        .filter(|g| g.state().map(|s| s.as_str()) != Some("deleted"))
        .map(|g| g.nat_gateway_id().unwrap().to_string())
        .collect()
}

/// The default route target of the route table associated with `subnet`.
async fn default_route(env: &PartEnv, subnet: &str) -> Option<String> {
    let out = env
        .aws
        .ec2()
        .describe_route_tables()
        .filters(
            Filter::builder()
                .name("association.subnet-id")
                .values(subnet)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let rt = out.route_tables().first()?;
    rt.routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .and_then(|r| r.nat_gateway_id().or(r.gateway_id()).map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_network_lifecycle() {
    let em = Emulator::start();
    tokio::time::timeout(TEST_TIMEOUT, managed_network_body(&em))
        .await
        .expect("test timed out");
}

async fn managed_network_body(em: &Emulator) {
    let counted = em.control_api("call counts");
    let env = part_env(em, &unique_name("net"), PART_DEADLINE).await;
    let ec2 = env.aws.ec2().clone();

    // --- Create from nothing.
    let spec = managed(NatGateway::Single);
    let st = network::ensure_with_access(&env, &spec, &["eks", "rds"], &access())
        .await
        .unwrap();
    assert_eq!(st.cidr_block, "10.20.0.0/16");
    assert_eq!(st.availability_zones.len(), 2);
    assert_ne!(st.availability_zones[0], st.availability_zones[1]);
    assert_eq!(st.private_subnet_ids.len(), 2);
    assert_eq!(st.public_subnet_ids.len(), 2);
    assert_eq!(st.nat_gateway_ids.len(), 1);
    assert!(st.internet_gateway_id.is_some());
    assert_eq!(
        st.security_group_ids.keys().collect::<Vec<_>>(),
        ["eks", "rds"]
    );
    assert!(st.managed);
    if let Some(em) = counted {
        assert_eq!(em.call_count("ec2", "CreateVpc"), 1);
    }

    // DNS support and hostnames on.
    for attr in [
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport,
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames,
    ] {
        let out = ec2
            .describe_vpc_attribute()
            .vpc_id(&st.vpc_id)
            .attribute(attr.clone())
            .send()
            .await
            .unwrap();
        let v = out
            .enable_dns_support()
            .or(out.enable_dns_hostnames())
            .and_then(|v| v.value());
        assert_eq!(v, Some(true), "{attr:?}");
    }
    // Subnets: layout, AZs and the EKS load balancer tags.
    let subnets = ec2
        .describe_subnets()
        .set_subnet_ids(Some(
            st.private_subnet_ids
                .iter()
                .chain(&st.public_subnet_ids)
                .cloned()
                .collect(),
        ))
        .send()
        .await
        .unwrap();
    let by_id = |id: &str| {
        subnets
            .subnets()
            .iter()
            .find(|s| s.subnet_id() == Some(id))
            .unwrap()
            .clone()
    };
    for (i, az) in st.availability_zones.iter().enumerate() {
        let p = by_id(&st.private_subnet_ids[i]);
        let q = by_id(&st.public_subnet_ids[i]);
        assert_eq!(p.availability_zone(), Some(az.as_str()));
        assert_eq!(q.availability_zone(), Some(az.as_str()));
        assert_eq!(p.cidr_block(), Some(["10.20.0.0/18", "10.20.64.0/18"][i]));
        assert_eq!(
            q.cidr_block(),
            Some(["10.20.128.0/18", "10.20.192.0/18"][i])
        );
        assert!(p
            .tags()
            .iter()
            .any(|t| t.key() == Some("kubernetes.io/role/internal-elb")));
        assert!(q
            .tags()
            .iter()
            .any(|t| t.key() == Some("kubernetes.io/role/elb")));
        assert!(p
            .tags()
            .iter()
            .any(|t| t.key() == Some("team") && t.value() == Some("platform")));
        // Routing: public → IGW, private → the single NAT gateway.
        assert_eq!(
            default_route(&env, &st.public_subnet_ids[i]).await,
            st.internet_gateway_id
        );
        assert_eq!(
            default_route(&env, &st.private_subnet_ids[i])
                .await
                .as_ref(),
            Some(&st.nat_gateway_ids[0])
        );
    }
    // Security groups: the database from the allowed sources only (not the VPC), the
    // cluster's own group from the VPC.
    let sg = ec2
        .describe_security_groups()
        .group_ids(&st.security_group_ids["rds"])
        .send()
        .await
        .unwrap();
    let perms = sg.security_groups()[0].ip_permissions();
    assert_eq!(perms.len(), 1, "{perms:?}");
    assert_eq!(perms[0].from_port(), Some(5432));
    let ranges: Vec<&str> = perms[0]
        .ip_ranges()
        .iter()
        .filter_map(|r| r.cidr_ip())
        .collect();
    assert_eq!(ranges, [ALLOWED_CIDR]);
    let eks = ec2
        .describe_security_groups()
        .group_ids(&st.security_group_ids["eks"])
        .send()
        .await
        .unwrap();
    let eks = &eks.security_groups()[0].ip_permissions()[0];
    assert_eq!(eks.ip_ranges()[0].cidr_ip(), Some("10.20.0.0/16"));

    // --- A second ensure reads and changes nothing.
    if let Some(em) = counted {
        em.clear_call_counts();
    }
    let again = network::ensure_with_access(&env, &spec, &["eks", "rds"], &access())
        .await
        .unwrap();
    assert_eq!(again, st);
    if let Some(em) = counted {
        assert_eq!(ec2_mutations(em), Vec::<String>::new());
        let reads = em.call_counts()["total"].as_u64().unwrap();
        eprintln!(
            "second ensure: {reads} describe calls: {}",
            em.call_counts()
        );
        assert!(reads <= 9, "{}", em.call_counts());
    }

    // read = ensure's state.
    if let Some(em) = counted {
        em.clear_call_counts();
    }
    assert_eq!(network::read(&env, &spec).await.unwrap(), Some(st.clone()));
    if let Some(em) = counted {
        assert!(em.call_counts()["total"].as_u64().unwrap() <= 7);
    }

    // --- What cannot change in place is refused before anything is touched.
    if let Some(em) = counted {
        em.clear_call_counts();
    }
    let other_cidr = NetworkSpec::Managed {
        cidr: "10.30.0.0/16".parse().unwrap(),
        az_count: 2,
        nat_gateway: NatGateway::Single,
        availability_zones: vec![],
    };
    let err = network::ensure_with_access(&env, &other_cidr, &["eks"], &access())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot be changed in place"),
        "{err}"
    );
    let more_azs = NetworkSpec::Managed {
        cidr: "10.20.0.0/16".parse().unwrap(),
        az_count: 3,
        nat_gateway: NatGateway::Single,
        availability_zones: vec![],
    };
    let err = network::ensure_with_access(&env, &more_azs, &["eks"], &access())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot be changed in place"),
        "{err}"
    );
    if let Some(em) = counted {
        assert_eq!(ec2_mutations(em), Vec::<String>::new());
    }

    // --- In place: a NAT gateway per AZ, elasticache instead of rds, one more tag.
    let mut env = env;
    env.tags.insert("cost-center".into(), "42".into());
    let per_az = managed(NatGateway::PerAz);
    let up = network::ensure_with_access(&env, &per_az, &["eks", "elasticache"], &access())
        .await
        .unwrap();
    assert_eq!(up.vpc_id, st.vpc_id);
    assert_eq!(up.private_subnet_ids, st.private_subnet_ids);
    assert_eq!(up.nat_gateway_ids.len(), 2);
    assert_eq!(
        up.nat_gateway_ids[0], st.nat_gateway_ids[0],
        "the first NAT gateway is kept"
    );
    assert_eq!(up.security_group_ids["eks"], st.security_group_ids["eks"]);
    assert!(!up.security_group_ids.contains_key("rds"));
    let ec = ec2
        .describe_security_groups()
        .group_ids(&up.security_group_ids["elasticache"])
        .send()
        .await
        .unwrap();
    assert_eq!(
        ec.security_groups()[0].ip_permissions()[0].from_port(),
        Some(6379)
    );
    for i in 0..2 {
        assert_eq!(
            default_route(&env, &up.private_subnet_ids[i])
                .await
                .as_ref(),
            Some(&up.nat_gateway_ids[i])
        );
    }
    let vpc = ec2
        .describe_vpcs()
        .vpc_ids(&up.vpc_id)
        .send()
        .await
        .unwrap();
    assert!(vpc.vpcs()[0]
        .tags()
        .iter()
        .any(|t| t.key() == Some("cost-center") && t.value() == Some("42")));
    let rds_gone = ec2
        .describe_security_groups()
        .group_ids(&st.security_group_ids["rds"])
        .send()
        .await;
    assert!(rds_gone.is_err() || rds_gone.unwrap().security_groups().is_empty());

    // Back to no NAT gateway: they are deleted, their Elastic IPs released, no default route.
    let none = managed(NatGateway::None);
    let down = network::ensure_with_access(&env, &none, &["eks", "elasticache"], &access())
        .await
        .unwrap();
    assert!(down.nat_gateway_ids.is_empty());
    assert!(live_nats(&env, &down.vpc_id).await.is_empty());
    assert_eq!(default_route(&env, &down.private_subnet_ids[0]).await, None);
    let eips = ec2
        .describe_addresses()
        .set_filters(Some(owner_filters(&env)))
        .send()
        .await
        .unwrap();
    assert!(eips.addresses().is_empty(), "{eips:?}");

    // --- Drift: a security group deleted out of band shows in read; ensure repairs it.
    ec2.delete_security_group()
        .group_id(&down.security_group_ids["eks"])
        .send()
        .await
        .unwrap();
    let seen = network::read(&env, &none).await.unwrap().unwrap();
    assert!(!seen.security_group_ids.contains_key("eks"));
    assert!(seen.security_group_ids.contains_key("elasticache"));
    let fixed = network::ensure_with_access(&env, &none, &["eks", "elasticache"], &access())
        .await
        .unwrap();
    assert_ne!(
        fixed.security_group_ids["eks"],
        down.security_group_ids["eks"]
    );

    // --- Delete (with a NAT gateway again, to exercise the whole order).
    network::ensure_with_access(&env, &spec, &["eks"], &access())
        .await
        .unwrap();
    network::delete(&env).await.unwrap();
    assert_eq!(owned_network_objects(&env).await, Vec::<String>::new());
    assert!(live_nats(&env, &st.vpc_id).await.is_empty());
    assert_eq!(network::read(&env, &spec).await.unwrap(), None);
    // Deleting again finds nothing and succeeds.
    network::delete(&env).await.unwrap();
}

/// A run that died after creating the VPC, one subnet and an Elastic IP: the next ensure
/// adopts all three (no second VPC, no second subnet or address).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_adopts_objects_of_an_interrupted_run() {
    let em = Emulator::start();
    let counted = em.control_api("call counts");
    tokio::time::timeout(TEST_TIMEOUT, async {
        let env = part_env(&em, &unique_name("crash"), PART_DEADLINE).await;
        let ec2 = env.aws.ec2().clone();
        let spec = managed(NatGateway::Single);
        let vpc_tags = TagSpecification::builder()
            .resource_type(ResourceType::Vpc)
            .set_tags(Some(our_tags(&env, PartId::Network.tag(), &env.name)))
            .build();
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.20.0.0/16")
            .tag_specifications(vpc_tags)
            .send()
            .await
            .unwrap();
        let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
        let azs = ec2.describe_availability_zones().send().await.unwrap();
        let mut names: Vec<String> = azs
            .availability_zones()
            .iter()
            .map(|z| z.zone_name().unwrap().to_string())
            .collect();
        names.sort();
        let mut subnet_tags = our_tags(&env, PartId::Network.tag(), "left-over");
        subnet_tags.push(
            Tag::builder()
                .key(network::TIER_TAG)
                .value("private")
                .build(),
        );
        let sub = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block("10.20.0.0/18")
            .availability_zone(&names[0])
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Subnet)
                    .set_tags(Some(subnet_tags))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let subnet_id = sub.subnet().unwrap().subnet_id().unwrap().to_string();
        let mut eip_tags = our_tags(&env, PartId::Network.tag(), "left-over");
        eip_tags.push(Tag::builder().key(network::AZ_TAG).value(&names[0]).build());
        let eip = ec2
            .allocate_address()
            .domain(aws_sdk_ec2::types::DomainType::Vpc)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::ElasticIp)
                    .set_tags(Some(eip_tags))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let alloc = eip.allocation_id().unwrap().to_string();

        if let Some(em) = counted {
            em.clear_call_counts();
        }
        let st = network::ensure_with_access(&env, &spec, &["eks"], &access())
            .await
            .unwrap();
        assert_eq!(st.vpc_id, vpc_id);
        assert_eq!(st.private_subnet_ids[0], subnet_id);
        if let Some(em) = counted {
            assert_eq!(em.call_count("ec2", "CreateVpc"), 0);
            assert_eq!(em.call_count("ec2", "CreateSubnet"), 3);
            assert_eq!(em.call_count("ec2", "AllocateAddress"), 0);
        }
        let nat = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(&st.nat_gateway_ids[0])
            .send()
            .await
            .unwrap();
        assert_eq!(
            nat.nat_gateways()[0].nat_gateway_addresses()[0].allocation_id(),
            Some(alloc.as_str())
        );
        // The adopted subnet got its missing tags (Name, EKS role tag).
        let s = ec2
            .describe_subnets()
            .subnet_ids(&subnet_id)
            .send()
            .await
            .unwrap();
        assert!(s.subnets()[0]
            .tags()
            .iter()
            .any(|t| t.key() == Some("kubernetes.io/role/internal-elb")));
        let vpcs = ec2
            .describe_vpcs()
            .set_filters(Some(owner_filters(&env)))
            .send()
            .await
            .unwrap();
        assert_eq!(vpcs.vpcs().len(), 1);
        network::delete(&env).await.unwrap();
        assert_eq!(owned_network_objects(&env).await, Vec::<String>::new());
    })
    .await
    .expect("test timed out");
}

/// The user's VPC and subnets: checked (missing ones named), only security groups created,
/// and delete leaves the user's objects alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_network_gets_security_groups_only() {
    let em = Emulator::start();
    tokio::time::timeout(TEST_TIMEOUT, async {
        let env = part_env(&em, &unique_name("byo"), PART_DEADLINE).await;
        let ec2 = env.aws.ec2().clone();
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.50.0.0/16")
            .send()
            .await
            .unwrap();
        let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
        let mut subnet_ids = vec![];
        for (cidr, az) in [
            ("10.50.1.0/24", "us-east-1a"),
            ("10.50.2.0/24", "us-east-1b"),
        ] {
            let s = ec2
                .create_subnet()
                .vpc_id(&vpc_id)
                .cidr_block(cidr)
                .availability_zone(az)
                .send()
                .await
                .unwrap();
            subnet_ids.push(s.subnet().unwrap().subnet_id().unwrap().to_string());
        }

        let missing = NetworkSpec::Existing {
            vpc_id: vpc_id.clone(),
            subnet_ids: vec![subnet_ids[0].clone(), "subnet-0000000000deadbee".into()],
        };
        let err = network::ensure_with_access(&env, &missing, &["rds"], &access())
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("`subnet-0000000000deadbee` does not exist"),
            "{err}"
        );
        let bad_vpc = NetworkSpec::Existing {
            vpc_id: "vpc-0000000000deadbee".into(),
            subnet_ids: subnet_ids.clone(),
        };
        let err = network::ensure_with_access(&env, &bad_vpc, &["rds"], &access())
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("VPC `vpc-0000000000deadbee` does not exist"),
            "{err}"
        );

        let spec = NetworkSpec::Existing {
            vpc_id: vpc_id.clone(),
            subnet_ids: subnet_ids.clone(),
        };
        let st = network::ensure_with_access(&env, &spec, &["rds", "msk"], &access())
            .await
            .unwrap();
        assert_eq!(st.vpc_id, vpc_id);
        assert!(!st.managed);
        assert_eq!(st.availability_zones, ["us-east-1a", "us-east-1b"]);
        assert_eq!(st.private_subnet_ids, subnet_ids);
        assert!(st.public_subnet_ids.is_empty() && st.nat_gateway_ids.is_empty());
        assert_eq!(st.internet_gateway_id, None);
        let msk = ec2
            .describe_security_groups()
            .group_ids(&st.security_group_ids["msk"])
            .send()
            .await
            .unwrap();
        let p = &msk.security_groups()[0].ip_permissions()[0];
        assert_eq!((p.from_port(), p.to_port()), (Some(9092), Some(9098)));
        assert_eq!(
            p.ip_ranges()[0].cidr_ip(),
            Some(ALLOWED_CIDR),
            "not the VPC's"
        );
        assert_eq!(
            network::ensure_with_access(&env, &spec, &["rds", "msk"], &access())
                .await
                .unwrap(),
            st
        );
        assert_eq!(network::read(&env, &spec).await.unwrap(), Some(st.clone()));

        network::delete(&env).await.unwrap();
        assert_eq!(owned_network_objects(&env).await, Vec::<String>::new());
        assert_eq!(network::read(&env, &spec).await.unwrap(), None);
        // The user's VPC and subnets are still there.
        let left = ec2
            .describe_subnets()
            .set_subnet_ids(Some(subnet_ids))
            .send()
            .await
            .unwrap();
        assert_eq!(left.subnets().len(), 2);
        assert_eq!(
            ec2.describe_vpcs()
                .vpc_ids(&vpc_id)
                .send()
                .await
                .unwrap()
                .vpcs()
                .len(),
            1
        );
    })
    .await
    .expect("test timed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_roles_and_oidc_provider_lifecycle() {
    let em = Emulator::start();
    let counted = em.control_api("call counts");
    tokio::time::timeout(TEST_TIMEOUT, async {
        let mut env = part_env(&em, &unique_name("iam"), PART_DEADLINE).await;
        let client = env.aws.iam().clone();

        // --- Create from nothing.
        let st = iam::ensure(&env).await.unwrap();
        assert!(
            st.cluster_role_arn
                .ends_with(&format!(":role/{}-eks-cluster", env.name)),
            "{st:?}"
        );
        assert!(st
            .node_role_arn
            .ends_with(&format!(":role/{}-eks-node", env.name)));
        assert_eq!(
            st.cluster_role_policies,
            ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]
        );
        assert_eq!(
            st.node_role_policies,
            [
                "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
            ]
        );
        let role = client
            .get_role()
            .role_name(format!("{}-eks-node", env.name))
            .send()
            .await
            .unwrap();
        let doc = role
            .role()
            .unwrap()
            .assume_role_policy_document()
            .unwrap()
            .to_string();
        assert!(doc.contains("ec2.amazonaws.com"), "{doc}");

        // --- Second ensure: no-op.
        if let Some(em) = counted {
            em.clear_call_counts();
        }
        assert_eq!(iam::ensure(&env).await.unwrap(), st);
        if let Some(em) = counted {
            assert_eq!(ec2_mutations(em), Vec::<String>::new());
        }
        assert_eq!(iam::read(&env).await.unwrap(), Some(st.clone()));

        // --- Drift: a policy detached out of band is seen by read and re-attached by ensure;
        // a new environment tag is applied in place.
        client
            .detach_role_policy()
            .role_name(format!("{}-eks-node", env.name))
            .policy_arn("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy")
            .send()
            .await
            .unwrap();
        let seen = iam::read(&env).await.unwrap().unwrap();
        assert_eq!(seen.node_role_policies.len(), 2);
        env.tags.insert("cost-center".into(), "42".into());
        if let Some(em) = counted {
            em.clear_call_counts();
        }
        let fixed = iam::ensure(&env).await.unwrap();
        assert_eq!(fixed, st);
        if let Some(em) = counted {
            assert_eq!(em.call_count("iam", "AttachRolePolicy"), 1);
            assert_eq!(em.call_count("iam", "TagRole"), 2);
            assert_eq!(em.call_count("iam", "CreateRole"), 0);
        }

        // --- OIDC provider: created, then adopted.
        let issuer = format!(
            "https://oidc.eks.us-east-1.amazonaws.com/id/{}",
            env.name.to_uppercase()
        );
        let arn = iam::ensure_oidc_provider(&env, &issuer).await.unwrap();
        assert!(arn.ends_with(&format!(
            ":oidc-provider/{}",
            issuer.trim_start_matches("https://")
        )));
        if let Some(em) = counted {
            em.clear_call_counts();
        }
        assert_eq!(iam::ensure_oidc_provider(&env, &issuer).await.unwrap(), arn);
        if let Some(em) = counted {
            assert_eq!(ec2_mutations(em), Vec::<String>::new());
        }
        assert_eq!(
            iam::read_oidc_provider(&env, &issuer).await.unwrap(),
            Some(arn.clone())
        );
        let p = client
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .send()
            .await
            .unwrap();
        assert_eq!(p.client_id_list(), ["sts.amazonaws.com"]);
        assert_eq!(p.thumbprint_list(), [iam::EKS_OIDC_ROOT_CA_THUMBPRINT]);

        // --- Delete: roles and provider gone; a second delete is a no-op.
        iam::delete(&env).await.unwrap();
        assert_eq!(iam::read(&env).await.unwrap(), None);
        assert_eq!(iam::read_oidc_provider(&env, &issuer).await.unwrap(), None);
        let err = client
            .get_role()
            .role_name(format!("{}-eks-cluster", env.name))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&err),
            Some("NoSuchEntity")
        );
        iam::delete(&env).await.unwrap();
    })
    .await
    .expect("test timed out");
}

/// A role left by an interrupted run (ours, without policies) is adopted; a role of the same
/// name that is not ours is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_adopts_own_roles_and_refuses_foreign_ones() {
    let em = Emulator::start();
    let counted = em.control_api("call counts");
    tokio::time::timeout(TEST_TIMEOUT, async {
        let env = part_env(&em, &unique_name("iamc"), PART_DEADLINE).await;
        let client = env.aws.iam().clone();
        let tags: Vec<aws_sdk_iam::types::Tag> = env
            .tags_for(PartId::Iam.tag())
            .into_iter()
            .map(|(k, v)| {
                aws_sdk_iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .unwrap()
            })
            .collect();
        client
            .create_role()
            .role_name(iam::cluster_role_name(&env))
            .assume_role_policy_document(iam::trust_policy("eks.amazonaws.com").to_string())
            .set_tags(Some(tags))
            .send()
            .await
            .unwrap();
        if let Some(em) = counted {
            em.clear_call_counts();
        }
        let st = iam::ensure(&env).await.unwrap();
        if let Some(em) = counted {
            assert_eq!(
                em.call_count("iam", "CreateRole"),
                1,
                "only the node role is created"
            );
        }
        assert_eq!(st.cluster_role_policies.len(), 1);

        // Someone else's role with the name of ours.
        let other = part_env(&em, &unique_name("iamf"), PART_DEADLINE).await;
        client
            .create_role()
            .role_name(iam::node_role_name(&other))
            .assume_role_policy_document(iam::trust_policy("ec2.amazonaws.com").to_string())
            .send()
            .await
            .unwrap();
        let err = iam::ensure(&other).await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("does not carry the ownership tags"), "{msg}");
        assert!(msg.contains(&iam::node_role_name(&other)), "{msg}");
        // delete leaves the foreign role alone.
        iam::delete(&other).await.unwrap();
        client
            .get_role()
            .role_name(iam::node_role_name(&other))
            .send()
            .await
            .expect("the foreign role is kept");

        iam::delete(&env).await.unwrap();
        assert_eq!(iam::read(&env).await.unwrap(), None);
    })
    .await
    .expect("test timed out");
}
