//! Unit tests of the pieces behind `config::load`; whole-configuration behaviour is tested in
//! `tests/it/config_eval.rs` and the golden cases.

use super::refs::cycles;
use super::suggest;

#[test]
fn suggest_finds_close_names_only() {
    let names = ["security_group_id", "instance_id", "network_interface_id"];
    assert_eq!(
        suggest("security_grop_id", names),
        Some("security_group_id")
    );
    assert_eq!(suggest("instanceid", names), Some("instance_id"));
    assert_eq!(suggest("colour", names), None);
}

#[test]
fn cycles_name_every_member_and_self_loops() {
    // 0 → 1 → 2 → 0, 3 → 3, 4 → 0 (not in a cycle).
    let edges = vec![vec![1], vec![2], vec![0], vec![3], vec![0]];
    assert_eq!(cycles(&edges), vec![vec![0, 1, 2], vec![3]]);
    assert!(cycles(&[vec![1], vec![]]).is_empty());
}

#[test]
fn a_very_long_reference_chain_does_not_overflow_the_stack() {
    // 0 → 1 → … → n-1 → 0: one cycle of every node; a recursive search would overflow here.
    let n = 200_000;
    let edges: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
    let found = cycles(&edges);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), n);
}
