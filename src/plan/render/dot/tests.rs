use super::*;
use crate::plan::render::fixtures::{self, DB, NEW, OLD, WEB};

#[test]
fn dag_has_a_node_per_call_named_by_address_and_pair_and_an_edge_per_dependency() {
    let plan = fixtures::swap_plan();
    let dot = render(&plan);
    assert!(dot.starts_with("digraph sgform {\n"), "{dot}");
    assert_eq!(dot.matches(" [label = \"membership_set.web\\n").count(), 2);
    let join = format!("\"membership_set.web: join {WEB} to {NEW}\"");
    let leave = format!("\"membership_set.web: leave {WEB} from {OLD}\"");
    assert!(
        dot.contains(&format!(
            "  {join} [label = \"membership_set.web\\njoin {WEB} to {NEW}\\nJoinSecurityGroup\"];"
        )),
        "{dot}"
    );
    assert!(
        dot.contains(&format!("  {join} -> {leave} [label = \"same target\"];")),
        "{dot}"
    );
    // No index anywhere: neither `op0` names nor `[0]` labels.
    assert!(!dot.contains("op0") && !dot.contains("[0]"), "{dot}");
    assert!(dot.ends_with("}\n"));
}

#[test]
fn sensitive_groups_are_hidden_in_the_graph() {
    let plan = fixtures::sensitive_plan();
    let dot = render(&plan);
    assert!(!dot.contains(fixtures::SECRET_GROUP), "{dot}");
    assert!(
        dot.contains(&format!(
            "membership.db[\\\"primary\\\"]: join {DB} to (sensitive value)"
        )),
        "{dot}"
    );
}

#[test]
fn calls_that_read_the_same_still_get_a_node_each() {
    let mut plan = fixtures::sensitive_plan();
    let second = plan.operations[0].clone();
    plan.operations.push(second);
    let dot = render(&plan);
    assert!(dot.contains("(sensitive value) (2)\" [label"), "{dot}");
}
