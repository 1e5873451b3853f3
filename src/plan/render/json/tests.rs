use serde_json::json;

use super::*;
use crate::plan::model::Action;
use crate::plan::render::fixtures::{self, *};

fn rc(plan: &Plan, address: &str) -> Value {
    let doc = render(plan);
    doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .cloned()
        .unwrap_or_else(|| panic!("no change for {address} in {doc:#}"))
}

#[test]
fn document_has_terraforms_header_and_sgforms_summary() {
    let doc = render(&fixtures::swap_plan());
    assert_eq!(doc["format_version"], "1.2");
    assert_eq!(doc["sgform_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["applyable"], true);
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["errored"], false);
    assert_eq!(
        doc["summary"],
        json!({"join": 1, "leave": 1, "replace": 0, "adopt": 0, "forget": 0})
    );
    assert_eq!(render(&Plan::default())["applyable"], false);
}

#[test]
fn swap_is_an_update_of_the_set() {
    let c = rc(&fixtures::swap_plan(), "membership_set.web");
    assert_eq!(c["mode"], "managed");
    assert_eq!(c["type"], "membership_set");
    assert_eq!(c["name"], "web");
    assert!(c.get("index").is_none());
    assert_eq!(c["provider_name"], "alicloud");
    assert_eq!(c["change"]["actions"], json!(["update"]));
    assert_eq!(
        c["change"]["before"],
        json!({"instance_id": WEB, "security_group_ids": [OLD]})
    );
    assert_eq!(
        c["change"]["after"],
        json!({"instance_id": WEB, "security_group_ids": [NEW]})
    );
    assert_eq!(c["change"]["before_sensitive"], json!({}));
}

#[test]
fn actions_per_case() {
    let c = rc(&fixtures::sensitive_plan(), r#"membership.db["primary"]"#);
    assert_eq!(c["change"]["actions"], json!(["create"]));
    assert_eq!(c["index"], "primary");
    assert_eq!(c["change"]["before"], Value::Null);
    assert_eq!(c["change"]["before_sensitive"], false);

    let plan = fixtures::removal_and_adoption_plan();
    let gone = rc(&plan, "membership.old");
    assert_eq!(gone["change"]["actions"], json!(["delete"]));
    assert_eq!(gone["change"]["after"], Value::Null);
    assert_eq!(
        gone["change"]["before"],
        json!({"security_group_id": OLD, "instance_id": WEB})
    );
    assert_eq!(gone["removed_from_config"], true);
    assert_eq!(gone["action_reason"], "delete_because_no_resource_config");
    assert_eq!(gone["change"]["after_unknown"], json!({}));
    let adopted = rc(&plan, "membership.existing");
    assert_eq!(adopted["change"]["actions"], json!(["no-op"]));
    assert_eq!(
        adopted["change"]["importing"],
        json!({"id": format!("{BASE}/{ENI}")})
    );
    assert!(adopted.get("action_reason").is_none());
    assert_eq!(render(&plan)["summary"]["adopt"], 1);

    let mut noop = fixtures::change("group_members.db");
    noop.before = pairs([(BASE, DB), (BASE, ENI)]);
    noop.after = noop.before.clone();
    let mut p = Plan::default();
    p.resource_changes.push(noop);
    let c = rc(&p, "group_members.db");
    assert_eq!(
        c["change"]["after"],
        json!({"security_group_id": BASE, "instance_ids": [DB], "network_interface_ids": [ENI]})
    );

    assert_eq!(c["change"]["actions"], json!(["no-op"]));

    let replaced = rc(&fixtures::replace_plan(), "membership_set.eni");
    assert_eq!(replaced["change"]["actions"], json!(["update"]));
    assert_eq!(replaced["replace"], json!([ENI]));
}

/// A `group_members` emptied: its managed members leave, and it stays declared.
fn emptied_group_plan(removed: bool) -> Plan {
    let addr = "group_members.db";
    let mut c = fixtures::change(addr);
    c.before = pairs([(BASE, DB)]);
    c.leave = pairs([(BASE, DB)]);
    c.removed_from_config = removed;
    let mut plan = Plan::default();
    plan.resource_changes.push(c);
    plan.operations = vec![op(
        Action::Leave,
        BASE,
        DB,
        &[BASE, OLD],
        &[OLD],
        addr,
        vec![],
    )];
    plan
}

#[test]
fn a_declared_block_that_changes_is_an_update_and_only_a_removed_one_a_delete() {
    let c = rc(&emptied_group_plan(false), "group_members.db");
    assert_eq!(c["change"]["actions"], json!(["update"]));
    assert_eq!(
        c["change"]["after"],
        json!({"security_group_id": BASE, "instance_ids": [], "network_interface_ids": []})
    );
    assert!(c.get("action_reason").is_none());

    let c = rc(&emptied_group_plan(true), "group_members.db");
    assert_eq!(c["change"]["actions"], json!(["delete"]));
    assert_eq!(c["change"]["after"], Value::Null);

    // Destroying, a declared block whose pairs leave is deleted too, without a reason.
    let mut plan = emptied_group_plan(false);
    plan.destroy = true;
    let c = rc(&plan, "group_members.db");
    assert_eq!(c["change"]["actions"], json!(["delete"]));
    assert!(c.get("action_reason").is_none());
}

#[test]
fn a_declaration_that_only_joins_and_manages_nothing_yet_is_a_create() {
    let addr = "group_members.db";
    let mut c = fixtures::change(addr);
    c.after = pairs([(BASE, DB)]);
    c.join = pairs([(BASE, DB)]);
    let mut plan = Plan::default();
    plan.resource_changes.push(c.clone());
    plan.operations = vec![op(
        Action::Join,
        BASE,
        DB,
        &[OLD],
        &[OLD, BASE],
        addr,
        vec![],
    )];
    assert_eq!(rc(&plan, addr)["change"]["actions"], json!(["create"]));

    // An unmanaged member leaves the authoritative group_members declared for the first
    // time: an update of what exists, never a create.
    let mut kicks = c.clone();
    kicks.before = pairs([(BASE, WEB)]);
    kicks.leave = pairs([(BASE, WEB)]);
    let mut leave = op(Action::Leave, BASE, WEB, &[BASE], &[], addr, vec![]);
    leave.state_remove.clear();
    plan.operations.push(leave);
    plan.resource_changes = vec![kicks];
    assert_eq!(rc(&plan, addr)["change"]["actions"], json!(["update"]));

    // One member it keeps (in the state, present, still listed): an update.
    let mut kept = c.clone();
    kept.before = pairs([(BASE, ENI)]);
    kept.after = pairs([(BASE, DB), (BASE, ENI)]);
    plan.resource_changes = vec![kept.clone()];
    assert_eq!(rc(&plan, addr)["change"]["actions"], json!(["update"]));

    // The same member adopted rather than kept: an import with changes, as Terraform 1.5's.
    let mut adopting = kept;
    adopting.adopt = pairs([(BASE, ENI)]);
    plan.resource_changes = vec![adopting];
    let c = rc(&plan, addr);
    assert_eq!(c["change"]["actions"], json!(["update"]));
    assert_eq!(
        c["change"]["importing"],
        json!({"id": format!("{BASE}/{ENI}")})
    );
}

#[test]
fn a_removed_block_whose_pairs_are_gone_or_taken_over_is_forgotten() {
    let doc = render(&fixtures::drift_plan());
    let mut plan = fixtures::drift_plan();
    let mut gone = fixtures::change("membership.gone");
    gone.removed_from_config = true;
    plan.resource_changes.insert(0, gone);
    let c = rc(&plan, "membership.gone");
    assert_eq!(c["change"]["actions"], json!(["forget"]));
    assert!(c.get("action_reason").is_none());
    // The address still declared, whose pair was deleted outside sgform, is created again
    // (Terraform plans a resource deleted outside it as a create).
    assert_eq!(
        rc(&plan, "membership.web")["change"]["actions"],
        json!(["create"])
    );
    assert_eq!(
        doc["resource_drift"][0]["change"]["after_unknown"],
        json!({})
    );

    // Refresh-only: nothing leaves and nothing is forgotten, so nothing happens to it.
    let mut kept = fixtures::change("membership.kept");
    kept.before = pairs([(OLD, WEB)]);
    kept.removed_from_config = true;
    let mut p = Plan::default();
    p.resource_changes.push(kept);
    assert_eq!(
        rc(&p, "membership.kept")["change"]["actions"],
        json!(["no-op"])
    );
}

#[test]
fn a_failed_run_is_one_errored_document() {
    let diagnostic = json!({"severity": "error", "summary": "boom", "detail": ""});
    let text = errored_string(vec![diagnostic.clone()]);
    assert!(text.ends_with("}\n"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc,
        json!({
            "format_version": "1.2",
            "sgform_version": env!("CARGO_PKG_VERSION"),
            "applyable": false,
            "complete": false,
            "errored": true,
            "diagnostics": [diagnostic],
        })
    );
}

#[test]
fn operations_are_in_execution_order_with_parameters_and_dependencies() {
    let doc = render(&fixtures::swap_plan());
    assert_eq!(
        doc["operations"][1],
        json!({
            "index": 1,
            "action": "LeaveSecurityGroup",
            "kind": "leave",
            "target": WEB,
            "parameters": {"SecurityGroupId": OLD, "InstanceId": WEB, "RegionId": "cn-hangzhou"},
            "depends_on": [{"index": 0, "reason": "same_target"}],
            "addresses": ["membership_set.web"],
            "groups_before": [OLD, NEW],
            "groups_after": [NEW],
        })
    );
    let replace = render(&fixtures::replace_plan());
    assert_eq!(
        replace["operations"][0]["parameters"],
        json!({"NetworkInterfaceId": ENI, "SecurityGroupId.1": NEW, "RegionId": "cn-hangzhou"})
    );
    assert_eq!(
        replace["operations"][0]["action"],
        "ModifyNetworkInterfaceAttribute"
    );
}

#[test]
fn drift_is_reported_as_resource_drift() {
    let doc = render(&fixtures::drift_plan());
    let drift = doc["resource_drift"].as_array().unwrap();
    assert_eq!(drift.len(), 2);
    assert_eq!(drift[1]["address"], "membership.web");
    assert_eq!(drift[1]["change"]["actions"], json!(["delete"]));
    assert_eq!(
        drift[1]["change"]["before"],
        json!({"security_group_id": NEW, "instance_id": WEB})
    );
    assert_eq!(drift[1]["planned_back"], true);
    assert_eq!(drift[0]["planned_back"], false);
    assert_eq!(doc["summary"]["forget"], 1);
}

#[test]
fn sensitive_group_never_appears_and_is_marked() {
    let plan = fixtures::sensitive_plan();
    let text = render_string(&plan);
    assert!(!text.contains(SECRET_GROUP), "{text}");
    let c = rc(&plan, r#"membership.db["primary"]"#);
    assert_eq!(
        c["change"]["after"],
        json!({"security_group_id": "(sensitive value)", "instance_id": DB})
    );
    assert_eq!(
        c["change"]["after_sensitive"],
        json!({"security_group_id": true})
    );
    let doc = render(&plan);
    assert_eq!(
        doc["operations"][0]["parameters"]["SecurityGroupId"],
        "(sensitive value)"
    );
    assert_eq!(
        doc["operations"][0]["groups_after"],
        json!([BASE, "(sensitive value)"])
    );
}

#[test]
fn sensitive_set_marks_the_whole_list() {
    let mut plan = fixtures::swap_plan();
    plan.resource_changes[0].sensitive = ["security_group_ids".to_owned()].into();
    let text = render_string(&plan);
    assert!(!text.contains(OLD) && !text.contains(NEW), "{text}");
    let c = rc(&plan, "membership_set.web");
    assert_eq!(
        c["change"]["before_sensitive"],
        json!({"security_group_ids": true})
    );
}

#[test]
fn output_is_deterministic_and_ends_with_a_newline() {
    let plan = fixtures::drift_plan();
    let a = render_string(&plan);
    assert_eq!(a, render_string(&plan.clone()));
    assert!(a.ends_with("}\n"));
}

#[test]
fn written_document_keeps_terraforms_key_order() {
    let text = render_string(&fixtures::swap_plan());
    let at = |key: &str| {
        text.find(&format!("\"{key}\""))
            .unwrap_or_else(|| panic!("no {key}"))
    };
    assert!(
        text.starts_with("{\n  \"format_version\": \"1.2\",\n"),
        "{text}"
    );
    assert!(at("resource_drift") < at("resource_changes"));
    assert!(at("resource_changes") < at("operations"));
    assert!(at("operations") < at("summary"));
    assert!(at("address") < at("mode") && at("mode") < at("type"));
    // Parameters in the order the API documents them, not sorted.
    assert!(at("SecurityGroupId") < at("InstanceId") && at("InstanceId") < at("RegionId"));
}
