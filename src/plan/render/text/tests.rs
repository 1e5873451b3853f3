use super::*;
use crate::plan::model::Action;
use crate::plan::render::fixtures::{self, *};

fn text(plan: &Plan) -> String {
    render(plan, TextOptions::default())
}

fn verbose(plan: &Plan) -> String {
    render(
        plan,
        TextOptions {
            verbose: true,
            color: false,
        },
    )
}

#[test]
fn swap_preview_matches_the_expected_text() {
    let expected = "\
Membership changes are shown with these symbols:
  + join
  - leave

sgform will perform the following actions:

  # membership_set.web will join and leave
    + join  i-bp1web0000000001 to sg-bp1new0000000001
    - leave i-bp1web0000000001 from sg-bp1old0000000001

      groups of i-bp1web0000000001 (1 → 1):
        - sg-bp1old0000000001
        + sg-bp1new0000000001

Plan: 1 to join, 1 to leave, 0 to replace.
";
    assert_eq!(text(&fixtures::swap_plan()), expected);
}

#[test]
fn empty_plan_says_no_changes_and_nothing_else() {
    assert_eq!(
        text(&Plan::default()),
        "No changes. Membership matches the configuration.\n"
    );
}

#[test]
fn noop_changes_are_skipped() {
    let mut plan = Plan::default();
    let mut c = change("membership.web");
    c.before = pairs([(BASE, WEB)]);
    c.after = pairs([(BASE, WEB)]);
    plan.resource_changes.push(c);
    let out = text(&plan);
    assert!(!out.contains("membership.web"), "{out}");
    assert_eq!(out, format!("{NO_CHANGES}\n"));
}

#[test]
fn legend_lists_only_the_symbols_present() {
    let join_only = text(&fixtures::sensitive_plan());
    assert!(join_only.contains("  + join\n"), "{join_only}");
    assert!(!join_only.contains("  - leave\n"), "{join_only}");
    assert!(!join_only.contains("replace ("), "{join_only}");
    assert!(!join_only.contains("adopt ("), "{join_only}");

    let replace = text(&fixtures::replace_plan());
    assert!(
        replace.contains("  ~ replace (atomic set replacement)\n"),
        "{replace}"
    );
    // The pairs of a replaced target are not pairwise calls: no join/leave symbol for them.
    assert!(!replace.contains("  + join\n"), "{replace}");
    assert!(!replace.contains("  - leave\n"), "{replace}");
    assert!(
        replace.contains(
            "    ~ replace the groups of eni-bp1eni000000001 (one ModifyNetworkInterfaceAttribute call)\n"
        ),
        "{replace}"
    );
    assert!(
        replace.ends_with("Plan: 0 to join, 0 to leave, 1 to replace.\n"),
        "{replace}"
    );

    let mixed = text(&fixtures::removal_and_adoption_plan());
    assert!(mixed.contains("  - leave\n"), "{mixed}");
    assert!(mixed.contains("  = adopt ("), "{mixed}");
    assert!(!mixed.contains("  + join\n"), "{mixed}");
}

#[test]
fn removal_and_adoption_are_described() {
    let out = text(&fixtures::removal_and_adoption_plan());
    assert!(
        out.contains(
            "  # membership.old is no longer in the configuration: its memberships will leave\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "  # membership.existing will be adopted into the state (already a member, no API call)\n"
        ),
        "{out}"
    );
    assert!(
        out.ends_with("Plan: 0 to join, 1 to leave, 0 to replace, 1 to adopt.\n"),
        "{out}"
    );
    // Blocks come in address order.
    assert!(out.find("membership.existing").unwrap() < out.find("membership.old").unwrap());
}

#[test]
fn drift_comes_first_and_names_what_happens_next() {
    let out = text(&fixtures::drift_plan());
    assert!(out.starts_with("Changed outside sgform\n"), "{out}");
    assert!(
        out.contains(
            "  # membership.web has changed outside sgform: i-bp1web0000000001 is no longer in sg-bp1new0000000001\n    it is still declared, so this plan joins it again\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("  # membership.gone has changed outside sgform: i-bp1db00000000001 is no longer in sg-bp1old0000000001\n    it is no longer declared, so the state forgets it (no API call)\n"),
        "{out}"
    );
    assert!(out.find("Changed outside").unwrap() < out.find("following actions").unwrap());
    assert!(
        out.ends_with("Plan: 1 to join, 0 to leave, 0 to replace, 1 to forget.\n"),
        "{out}"
    );
}

#[test]
fn group_lists_show_unchanged_groups_with_two_spaces() {
    let out = text(&fixtures::sensitive_plan());
    assert!(
        out.contains("          sg-bp1base000000001\n        + (sensitive value)\n"),
        "{out}"
    );
}

#[test]
fn sensitive_group_is_masked_in_pairs_lists_and_calls() {
    let plan = fixtures::sensitive_plan();
    for out in [text(&plan), verbose(&plan)] {
        assert!(!out.contains(SECRET_GROUP), "{out}");
        assert!(
            out.contains("    + join  i-bp1db00000000001 to (sensitive value)\n"),
            "{out}"
        );
    }
    let out = verbose(&plan);
    assert!(
        out.contains(
            "  [0] JoinSecurityGroup SecurityGroupId=(sensitive value) InstanceId=i-bp1db00000000001 RegionId=cn-hangzhou\n"
        ),
        "{out}"
    );
}

#[test]
fn sensitive_group_is_masked_where_another_declaration_touches_the_target() {
    // A second, non-sensitive declaration joins the same target: its block shows the
    // target's whole group list, which includes the sensitive group.
    let mut plan = fixtures::sensitive_plan();
    let mut other = change("membership.web");
    other.after = pairs([(NEW, DB)]);
    other.join = pairs([(NEW, DB)]);
    plan.resource_changes.push(other);
    plan.operations.push(fixtures::op(
        Action::Join,
        NEW,
        DB,
        &[BASE, SECRET_GROUP],
        &[BASE, SECRET_GROUP, NEW],
        "membership.web",
        vec![fixtures::after(0, crate::plan::model::Reason::SameTarget)],
    ));
    plan.targets.insert(
        target(DB),
        target_change(&[BASE], &[BASE, SECRET_GROUP, NEW]),
    );
    let out = verbose(&plan);
    assert!(!out.contains(SECRET_GROUP), "{out}");
    assert!(
        out.contains("+ join  i-bp1db00000000001 to sg-bp1new0000000001"),
        "{out}"
    );
}

#[test]
fn sensitive_ignored_groups_are_masked_in_the_target_lists() {
    let mut plan = fixtures::swap_plan();
    plan.resource_changes[0].sensitive = ["ignore_security_group_ids".to_owned()].into();
    plan.targets.insert(
        target(WEB),
        target_change(&[SECRET_GROUP, OLD], &[SECRET_GROUP, NEW]),
    );
    let out = verbose(&plan);
    assert!(!out.contains(SECRET_GROUP), "{out}");
}

#[test]
fn sensitive_targets_are_masked() {
    let mut plan = fixtures::swap_plan();
    plan.resource_changes[0].sensitive = ["instance_id".to_owned()].into();
    let out = verbose(&plan);
    assert!(!out.contains(WEB), "{out}");
    assert!(out.contains("groups of (sensitive value) (1 → 1)"), "{out}");
    assert!(out.contains("InstanceId=(sensitive value)"), "{out}");
}

#[test]
fn verbose_lists_calls_in_order_with_what_they_wait_for() {
    let out = verbose(&fixtures::swap_plan());
    let calls = "\
API calls, in execution order:

  [0] JoinSecurityGroup SecurityGroupId=sg-bp1new0000000001 InstanceId=i-bp1web0000000001 RegionId=cn-hangzhou
      waits for: nothing
      for: membership_set.web
  [1] LeaveSecurityGroup SecurityGroupId=sg-bp1old0000000001 InstanceId=i-bp1web0000000001 RegionId=cn-hangzhou
      waits for: [0] (same target)
      for: membership_set.web

Plan: 1 to join, 1 to leave, 0 to replace.
";
    assert!(out.ends_with(calls), "{out}");
    assert!(!text(&fixtures::swap_plan()).contains("API calls"));
}

#[test]
fn summary_uses_thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1000), "1,000");
    assert_eq!(thousands(1234567), "1,234,567");
    let mut plan = Plan::default();
    let op = fixtures::swap_plan().operations[0].clone();
    plan.operations = vec![op; 12_345];
    assert_eq!(
        summary(&plan),
        "Plan: 12,345 to join, 0 to leave, 0 to replace."
    );
}

#[test]
fn colour_only_on_request() {
    let plan = fixtures::swap_plan();
    assert!(!text(&plan).contains('\x1b'));
    let coloured = render(
        &plan,
        TextOptions {
            verbose: false,
            color: true,
        },
    );
    assert!(coloured.contains("\x1b[32m+\x1b[0m join"), "{coloured}");
    assert!(coloured.contains("\x1b[31m-\x1b[0m leave"), "{coloured}");
}

#[test]
fn rendering_is_deterministic() {
    let plan = fixtures::removal_and_adoption_plan();
    assert_eq!(verbose(&plan), verbose(&plan.clone()));
}

#[test]
fn blocked_changes_are_marked_and_not_summarised_as_no_changes() {
    // A change whose target no operation touches: the planner blocked it with an error.
    let mut plan = Plan::default();
    let mut c = change("membership.web");
    c.after = pairs([(BASE, WEB)]);
    c.join = pairs([(BASE, WEB)]);
    plan.resource_changes.push(c);
    let out = text(&plan);
    assert!(out.contains("(blocked: see the errors)"), "{out}");
    assert!(out.ends_with(&format!("{BLOCKED_SUMMARY}\n")), "{out}");
    assert!(!out.contains(NO_CHANGES), "{out}");
}
