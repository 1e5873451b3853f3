//! Generates realistic, valid worlds for scale tests: several regions and VPCs, mixed group
//! types, a few service-managed groups, instances in every status, secondary ENIs attached and
//! free, existing memberships within every limit, and `role`/`env` tags.

use std::collections::{BTreeMap, HashSet};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::EmulatorError;
use super::world::{
    AccessKey, Account, GroupType, Instance, Limits, NetworkInterface, NetworkType, SecurityGroup,
    Vpc, World, WorldFile,
};

/// The most instances, and the most secondary ENIs, a generated world has: with both at the
/// most, the world file stays under [`super::MAX_WORLD_FILE_BYTES`], so `emulator serve` can
/// read it.
pub const MAX_TARGETS: usize = 200_000;
/// The most security groups a generated world has.
pub const MAX_GROUPS: usize = 20_000;
/// The most VPCs a generated world has.
pub const MAX_VPCS: usize = 1_000;
/// The most regions a generated world spans (the regions it knows ID infixes for).
pub const MAX_REGIONS: usize = 8;

/// The size of a generated world; [`GenerateOptions::check`] says which sizes are allowed.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub instances: usize,
    /// Secondary network interfaces (instances' primary interfaces are not listed).
    pub enis: usize,
    pub groups: usize,
    /// Defaults to one per region.
    pub vpcs: Option<usize>,
    pub regions: usize,
    pub seed: u64,
}

impl GenerateOptions {
    /// Refuses a size outside the documented ranges: instances and ENIs 0 to [`MAX_TARGETS`],
    /// groups 1 to [`MAX_GROUPS`] and at least one per VPC (each VPC's first group is where
    /// its targets can always be), VPCs 1 to [`MAX_VPCS`] (default one per region), regions 1
    /// to [`MAX_REGIONS`].
    pub fn check(&self) -> Result<(), EmulatorError> {
        let err = |flag: &'static str, value: usize, why: String| {
            Err(EmulatorError::GenerateOption { flag, value, why })
        };
        for (flag, value) in [("--instances", self.instances), ("--enis", self.enis)] {
            if value > MAX_TARGETS {
                return err(flag, value, format!("at most {MAX_TARGETS}"));
            }
        }
        if !(1..=MAX_REGIONS).contains(&self.regions) {
            return err("--regions", self.regions, format!("1 to {MAX_REGIONS}"));
        }
        if !(1..=MAX_GROUPS).contains(&self.groups) {
            return err("--groups", self.groups, format!("1 to {MAX_GROUPS}"));
        }
        let vpcs = self.vpcs.unwrap_or(self.regions);
        if let Some(v) = self.vpcs
            && !(1..=MAX_VPCS).contains(&v)
        {
            return err("--vpcs", v, format!("1 to {MAX_VPCS}"));
        }
        if self.groups < vpcs {
            let vpcs_from = match self.vpcs {
                Some(v) => format!("`--vpcs {v}`"),
                None => format!("one per region, `--regions {}`", self.regions),
            };
            return err(
                "--groups",
                self.groups,
                format!(
                    "each VPC needs a group of its own, and there are {vpcs} VPCs ({vpcs_from}); give at least `--groups {vpcs}`"
                ),
            );
        }
        Ok(())
    }
}

/// Regions and the ID infix their resources carry (reference §7).
const REGIONS: &[(&str, &str)] = &[
    ("cn-hangzhou", "bp"),
    ("cn-shanghai", "uf6"),
    ("cn-beijing", "2ze"),
    ("cn-shenzhen", "wz9"),
    ("cn-zhangjiakou", "8vb"),
    ("cn-qingdao", "m5e"),
    ("cn-hongkong", "j6c"),
    ("ap-southeast-1", "t4n"),
];
const ROLES: &[&str] = &["web", "api", "db", "cache", "worker", "batch"];
const ENVS: &[&str] = &["prod", "staging", "dev"];

/// The account and key every generated world has, so tools can call it at once.
pub const GENERATED_ACCOUNT: &str = "1234567890123456";
pub const GENERATED_KEY_ID: &str = "LTAI5tGeneratedWorldKey0";
pub const GENERATED_KEY_SECRET: &str = "generated-world-secret";

struct Ids {
    rng: StdRng,
    used: HashSet<String>,
}

impl Ids {
    fn next(&mut self, prefix: &str, infix: &str, len: usize) -> String {
        loop {
            let body: String = (0..len.saturating_sub(infix.len()))
                .map(|_| {
                    let n = self.rng.random_range(0..36u8);
                    if n < 10 {
                        char::from(b'0' + n)
                    } else {
                        char::from(b'a' + n - 10)
                    }
                })
                .collect();
            let id = format!("{prefix}{infix}{body}");
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// A world of the given size; always valid (it is checked before it is returned). A size out
/// of range ([`GenerateOptions::check`]) is an error.
pub fn generate(opts: &GenerateOptions) -> Result<World, EmulatorError> {
    opts.check()?;
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut ids = Ids {
        rng: StdRng::seed_from_u64(opts.seed ^ 0x5EED),
        used: HashSet::new(),
    };
    let limits = Limits::default();
    let regions = &REGIONS[..opts.regions.clamp(1, REGIONS.len())];
    let vpc_count = opts.vpcs.unwrap_or(regions.len()).max(1);
    let owner = GENERATED_ACCOUNT.to_owned();

    let vpcs: Vec<Vpc> = (0..vpc_count)
        .map(|n| {
            let (region, infix) = regions[n % regions.len()];
            Vpc {
                id: ids.next("vpc-", infix, 21),
                region: region.to_owned(),
                owner: owner.clone(),
            }
        })
        .collect();
    let infix_of = |region: &str| {
        REGIONS
            .iter()
            .find(|(r, _)| *r == region)
            .map(|(_, i)| *i)
            .unwrap_or("bp")
    };

    // Groups: the first of each VPC is a plain normal group, so every VPC has somewhere to be.
    let mut groups: Vec<SecurityGroup> = Vec::new();
    for n in 0..opts.groups {
        let vpc = &vpcs[n % vpcs.len()];
        let first_in_vpc = n < vpcs.len();
        let enterprise = !first_in_vpc && rng.random_bool(0.2);
        let role = pick(&mut rng, ROLES);
        let env = pick(&mut rng, ENVS);
        groups.push(SecurityGroup {
            id: ids.next("sg-", infix_of(&vpc.region), 20),
            region: vpc.region.clone(),
            owner: owner.clone(),
            vpc_id: Some(vpc.id.clone()),
            group_type: if enterprise {
                GroupType::Enterprise
            } else {
                GroupType::Normal
            },
            name: format!("{role}-{env}-{n}"),
            rule_count: rng.random_range(0..60),
            capacity: if enterprise { 65536 } else { 2000 },
            service_managed: !first_in_vpc && rng.random_bool(0.03),
            tags: BTreeMap::from([
                ("role".to_owned(), role.to_owned()),
                ("env".to_owned(), env.to_owned()),
            ]),
        });
    }
    let mut members: Vec<u64> = vec![0; groups.len()];

    // Picks 1..=3 groups of one type in `vpc`, within capacity and the rule limit.
    let choose = |rng: &mut StdRng, vpc: &str, members: &mut Vec<u64>, enterprise_ok: bool| {
        let want_enterprise = enterprise_ok && rng.random_bool(0.2);
        let candidates: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|(i, g)| {
                g.vpc_id.as_deref() == Some(vpc)
                    && !g.service_managed
                    && (g.group_type == GroupType::Enterprise) == want_enterprise
                    && members[*i] < g.capacity
            })
            .map(|(i, _)| i)
            .collect();
        let mut chosen: Vec<usize> = Vec::new();
        let mut rules = 0;
        let count = rng.random_range(1..=3usize).min(limits.groups_per_target);
        for _ in 0..count * 3 {
            if chosen.len() == count || candidates.is_empty() {
                break;
            }
            let c = candidates[rng.random_range(0..candidates.len())];
            if chosen.contains(&c) || rules + groups[c].rule_count > limits.rules_per_target {
                continue;
            }
            rules += groups[c].rule_count;
            chosen.push(c);
        }
        for c in &chosen {
            members[*c] += 1;
        }
        chosen
            .into_iter()
            .map(|c| groups[c].id.clone())
            .collect::<Vec<_>>()
    };

    let mut instances: Vec<Instance> = Vec::new();
    for n in 0..opts.instances {
        let vpc = &vpcs[rng.random_range(0..vpcs.len())];
        let roll: f64 = rng.random();
        let status = if roll < 0.85 {
            "Running"
        } else if roll < 0.95 {
            "Stopped"
        } else if roll < 0.98 {
            "Starting"
        } else {
            "Pending"
        };
        let supports = rng.random_bool(0.95);
        let role = pick(&mut rng, ROLES);
        let env = pick(&mut rng, ENVS);
        let set = choose(&mut rng, &vpc.id, &mut members, supports);
        instances.push(Instance {
            id: ids.next("i-", infix_of(&vpc.region), 20),
            region: vpc.region.clone(),
            owner: owner.clone(),
            network_type: NetworkType::Vpc,
            vpc_id: Some(vpc.id.clone()),
            status: status.to_owned(),
            security_group_ids: set,
            locked_for_security: rng.random_bool(0.01),
            supports_enterprise_groups: supports,
            instance_type: None,
            being_created: status == "Pending" && rng.random_bool(0.5),
            name: format!("{role}-{env}-{n:04}"),
            tags: BTreeMap::from([
                ("role".to_owned(), role.to_owned()),
                ("env".to_owned(), env.to_owned()),
            ]),
            transition: None,
        });
    }

    let mut enis: Vec<NetworkInterface> = Vec::new();
    for _ in 0..opts.enis {
        let vpc = &vpcs[rng.random_range(0..vpcs.len())];
        let attached: Vec<&Instance> = instances
            .iter()
            .filter(|i| i.vpc_id.as_deref() == Some(vpc.id.as_str()))
            .collect();
        let instance = if !attached.is_empty() && rng.random_bool(0.6) {
            Some(attached[rng.random_range(0..attached.len())])
        } else {
            None
        };
        let supports = instance.is_none_or(|i| i.supports_enterprise_groups);
        let status = match (instance.is_some(), rng.random_range(0..20)) {
            (_, 0) => "Attaching",
            (true, _) => "InUse",
            (false, _) => "Available",
        };
        let role = pick(&mut rng, ROLES);
        let env = pick(&mut rng, ENVS);
        let set = choose(&mut rng, &vpc.id, &mut members, supports);
        enis.push(NetworkInterface {
            id: ids.next("eni-", infix_of(&vpc.region), 20),
            region: vpc.region.clone(),
            owner: owner.clone(),
            vpc_id: Some(vpc.id.clone()),
            eni_type: "Secondary".to_owned(),
            status: status.to_owned(),
            instance_id: instance.map(|i| i.id.clone()),
            security_group_ids: set,
            service_managed: rng.random_bool(0.02),
            being_created: false,
            tags: BTreeMap::from([
                ("role".to_owned(), role.to_owned()),
                ("env".to_owned(), env.to_owned()),
            ]),
        });
    }

    World::from_file(WorldFile {
        limits,
        accounts: vec![Account {
            id: owner,
            access_keys: vec![AccessKey {
                id: GENERATED_KEY_ID.to_owned(),
                secret: GENERATED_KEY_SECRET.to_owned(),
                security_token: None,
                deny_actions: Vec::new(),
                hidden: Vec::new(),
            }],
        }],
        vpcs,
        security_groups: groups,
        instances,
        network_interfaces: enis,
    })
}
