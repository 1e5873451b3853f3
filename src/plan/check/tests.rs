use super::*;
use crate::plan::ResourceChange;

fn address(a: &str) -> Address {
    Address::parse(a).unwrap()
}

fn plan_of(addresses: &[&str]) -> Plan {
    let mut plan = Plan::default();
    for a in addresses {
        plan.resource_changes.push(ResourceChange {
            address: address(a),
            provider: None,
            before: Default::default(),
            after: Default::default(),
            join: Default::default(),
            leave: Default::default(),
            adopt: Default::default(),
            replace: Default::default(),
            removed_from_config: false,
            sensitive: Default::default(),
        });
    }
    plan
}

fn targeting(targets: &[&str]) -> PlanOptions {
    PlanOptions {
        targets: targets.iter().map(|t| address(t)).collect(),
        ..PlanOptions::default()
    }
}

#[test]
fn without_targets_there_is_nothing_to_say() {
    assert!(check(&plan_of(&["membership.web"]), &PlanOptions::default()).is_empty());
}

#[test]
fn a_target_that_matches_is_only_the_targeting_warning() {
    let plan = plan_of(&[r#"membership.web["i-bp1web0000000001"]"#]);
    for t in ["membership.web", r#"membership.web["i-bp1web0000000001"]"#] {
        let found = check(&plan, &targeting(&[t]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(!found[0].is_error());
        assert_eq!(
            found[0].notes,
            [format!(
                "it covers only `{t}`; changes the configuration asks for elsewhere are not planned"
            )]
        );
    }
}

#[test]
fn a_typo_gets_the_closest_address_out_of_scope_too() {
    let plan = plan_of(&["membership.web_ops"]);
    let out_of_scope = [address(r#"group_members.db["primary"]"#)];
    let found = check_known(
        &plan,
        &targeting(&[
            "membership.web_opz",
            "group_members.bd",
            "membership_set.zzz_unrelated_name",
        ]),
        out_of_scope.iter(),
    );
    let errors: Vec<(&str, &[String])> = found
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.summary.as_str(), d.hints.as_slice()))
        .collect();
    assert_eq!(errors.len(), 3, "{found:?}");
    assert_eq!(errors[0].1, ["did you mean `membership.web_ops`?"]);
    // A keyed address is also suggested as its block, which selects every key.
    assert_eq!(errors[1].1, ["did you mean `group_members.db`?"]);
    assert!(
        errors[2].1[0].starts_with("`sgform state list` lists"),
        "{:?}",
        errors[2]
    );
}

#[test]
fn closest_takes_the_fewest_edits_within_a_bound() {
    let names = ["membership.web", "membership.db", "group_members.web"];
    assert_eq!(
        closest("membership.wbe", names.into_iter()),
        Some("membership.web")
    );
    assert_eq!(
        closest("membership.d", names.into_iter()),
        Some("membership.db")
    );
    assert_eq!(closest("membership.everything", names.into_iter()), None);
}
