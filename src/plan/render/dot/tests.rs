use super::*;
use crate::plan::render::fixtures;

#[test]
fn dag_has_a_node_per_call_and_an_edge_per_dependency() {
    let plan = fixtures::swap_plan();
    let dot = render(&plan);
    assert!(dot.starts_with("digraph sgform {\n"), "{dot}");
    assert_eq!(dot.matches("[label = \"[").count(), plan.operations.len());
    assert!(
        dot.contains("op0 -> op1 [label = \"same target\"];"),
        "{dot}"
    );
    assert!(dot.ends_with("}\n"));
}

#[test]
fn sensitive_groups_are_hidden_in_the_graph() {
    let plan = fixtures::sensitive_plan();
    let dot = render(&plan);
    assert!(!dot.contains(fixtures::SECRET_GROUP), "{dot}");
    assert!(dot.contains("(sensitive value)"), "{dot}");
}
