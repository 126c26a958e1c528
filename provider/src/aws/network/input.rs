//! The input of the network part: what it must converge to, independent of how the configuration
//! spells it (the resource reads its configuration into this type).

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

str_enum!(
    /// NAT gateways of a network Mosia creates (egress for the private subnets).
    NatGateway { None = "none", Single = "single", PerAz = "per_az" }
);

/// Smallest subnet Mosia lays out (32 addresses, 27 usable after AWS's 5 reserved): room
/// for the NAT gateway, RDS, ElastiCache and MSK network interfaces of one AZ.
pub const MAX_SUBNET_PREFIX: u8 = 27;

#[derive(Debug, Clone, PartialEq)]
pub enum NetworkSpec {
    /// A VPC Mosia creates, with a public and a private subnet per AZ.
    Managed {
        cidr: Ipv4Cidr,
        az_count: u32,
        nat_gateway: NatGateway,
        /// The AZs by name, as many as `az_count`; empty: the region's first ones that
        /// every service can use ([`super::zones`]).
        availability_zones: Vec<String>,
    },
    /// The user's VPC; parts go into the given (private) subnets.
    Existing {
        vpc_id: String,
        subnet_ids: Vec<String>,
    },
}

impl NetworkSpec {
    /// AZs the parts can use: the AZ count, or one per subnet brought (Mosia asks for
    /// subnets in distinct AZs; AWS reports a clash when they are not).
    pub fn az_count(&self) -> usize {
        match self {
            NetworkSpec::Managed { az_count, .. } => *az_count as usize,
            NetworkSpec::Existing { subnet_ids, .. } => subnet_ids.len(),
        }
    }

    /// NAT gateways the network creates (none for a network brought by the user).
    pub fn nat_gateway_count(&self) -> u32 {
        match self {
            NetworkSpec::Managed {
                az_count,
                nat_gateway,
                ..
            } => match nat_gateway {
                NatGateway::None => 0,
                NatGateway::Single => 1,
                NatGateway::PerAz => *az_count,
            },
            NetworkSpec::Existing { .. } => 0,
        }
    }
}

/// An IPv4 CIDR block in canonical form (host bits zero), as AWS requires for VPCs and subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Ipv4Cidr {
    /// Number of addresses in the block.
    pub fn size(&self) -> u64 {
        1u64 << (32 - self.prefix as u32)
    }

    /// The `count` consecutive blocks of length `prefix` at the start of this one.
    pub fn split(&self, prefix: u8, count: usize) -> Vec<Ipv4Cidr> {
        let base = u32::from(self.addr) as u64;
        let step = 1u64 << (32 - prefix as u32);
        (0..count as u64)
            .map(|i| Ipv4Cidr {
                addr: Ipv4Addr::from((base + i * step) as u32),
                prefix,
            })
            .collect()
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;

    /// `a.b.c.d/n` with the host bits zero; the error says what is expected.
    fn from_str(s: &str) -> Result<Self, String> {
        let expected = "expected an IPv4 CIDR block like \"10.0.0.0/16\"";
        let (addr, prefix) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not a CIDR block: {expected}"))?;
        let addr: Ipv4Addr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not a CIDR block: {expected}"))?;
        let prefix: u8 = match prefix.parse() {
            Ok(p) if p <= 32 && !prefix.starts_with('+') => p,
            _ => return Err(format!("{s:?} has an invalid prefix length: {expected}")),
        };
        let mask = u32::MAX.checked_shl(32 - prefix as u32).unwrap_or(0);
        let bits = u32::from(addr);
        if bits & !mask != 0 {
            let network = Ipv4Addr::from(bits & mask);
            return Err(format!(
                "{s:?} has host bits set: the block starts at {network}/{prefix}"
            ));
        }
        Ok(Ipv4Cidr { addr, prefix })
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Prefix length of each subnet when a VPC of `vpc_prefix` is split evenly into a public and
/// a private subnet per AZ (rounded up to a power of two).
pub fn subnet_prefix(vpc_prefix: u8, az_count: u32) -> u8 {
    let subnets = (2 * az_count.max(1)).next_power_of_two();
    vpc_prefix + subnets.trailing_zeros() as u8
}

/// The subnets of a network Mosia creates, one public and one private per AZ, in AZ order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetLayout {
    pub private: Vec<Ipv4Cidr>,
    pub public: Vec<Ipv4Cidr>,
}

/// Private subnets take the low blocks, public ones the next; all the same size, so the
/// layout depends only on the CIDR and the AZ count (adding AZs later keeps it stable only
/// while the power-of-two split does not change). None when the subnets would be smaller
/// than /[`MAX_SUBNET_PREFIX`].
pub fn subnet_layout(vpc: Ipv4Cidr, az_count: u32) -> Option<SubnetLayout> {
    let prefix = subnet_prefix(vpc.prefix, az_count);
    if prefix > MAX_SUBNET_PREFIX {
        return None;
    }
    let n = az_count as usize;
    let mut all = vpc.split(prefix, 2 * n);
    let public = all.split_off(n);
    Some(SubnetLayout {
        private: all,
        public,
    })
}

/// The VPC endpoints Mosia can create, by service name (`com.amazonaws.REGION.NAME`). `s3`
/// and `dynamodb` are gateway endpoints (route table entries, free); the others are
/// interface endpoints (an ENI per AZ, billed hourly) in the private subnets.
pub const VPC_ENDPOINT_SERVICES: &[&str] = &[
    "s3",
    "dynamodb",
    "ecr.api",
    "ecr.dkr",
    "sts",
    "secretsmanager",
    "logs",
    "kms",
    "ssm",
    "ec2",
    "elasticloadbalancing",
    "eks",
    "eks-auth",
    "monitoring",
];

/// Services whose VPC endpoint is a gateway endpoint.
pub const GATEWAY_ENDPOINT_SERVICES: &[&str] = &["s3", "dynamodb"];

/// Who reaches the data services (RDS, ElastiCache, MSK) and which VPC endpoints the
/// network has. The data services' groups admit their port from the EKS cluster's security
/// group (when there is a cluster) and from these sources only, never the whole VPC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkAccessSpec {
    /// Extra CIDR blocks admitted (a VPN, a peered network).
    pub allowed_cidrs: Vec<String>,
    /// Extra security groups admitted (e.g. a bastion's).
    pub allowed_security_group_ids: Vec<String>,
    /// Services of [`VPC_ENDPOINT_SERVICES`] to create endpoints for.
    pub vpc_endpoints: Vec<String>,
}
