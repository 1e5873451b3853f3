use super::*;

#[test]
fn already_done_counts_as_success() {
    assert!(Outcome::Done.is_success());
    assert!(Outcome::AlreadyDone { code: None }.is_success());
    assert!(!Outcome::Skipped { because: 0 }.is_success());
    assert!(!Outcome::NotStarted.is_success());
}

#[test]
fn a_report_with_a_skipped_operation_did_not_succeed() {
    let report = Report {
        skipped: 1,
        ..Report::default()
    };
    assert!(!report.succeeded());
    assert!(Report::default().succeeded());
}

#[tokio::test]
async fn cancel_is_seen_by_every_clone() {
    let (tx, cancel) = Cancel::new();
    let other = cancel.clone();
    assert!(!other.is_cancelled());
    tx.send(true).unwrap();
    assert!(cancel.is_cancelled() && other.is_cancelled());
    assert!(!Cancel::never().is_cancelled());
}

mod wire {
    use crate::ids::{RegionId, SecurityGroupId, Target};
    use crate::plan::{Action, Operation};

    use super::super::executor::mutation;

    fn group(n: u32) -> SecurityGroupId {
        SecurityGroupId::parse(&format!("sg-bp1wire{n:011}")).unwrap()
    }

    fn operation(action: Action, target: &str) -> Operation {
        let pairwise = action != Action::Replace;
        Operation {
            action,
            target: Target::parse(target).unwrap(),
            provider: Some("sh".to_owned()),
            region: RegionId::parse("cn-shanghai").unwrap(),
            security_group_id: pairwise.then(|| group(1)),
            before: vec![group(1), group(2)],
            after: vec![group(3), group(1), group(2)],
            addresses: Vec::new(),
            depends_on: Vec::new(),
            state_add: Vec::new(),
            state_remove: Vec::new(),
        }
    }

    /// Every kind of operation, on each kind of target. The match makes a new `Action` fail to
    /// compile here until it is added.
    fn every_kind() -> Vec<Operation> {
        let mut ops = Vec::new();
        for action in [Action::Join, Action::Leave, Action::Replace] {
            match action {
                Action::Join | Action::Leave | Action::Replace => {}
            }
            for target in ["i-bp1wire000000000", "eni-bp1wire00000000"] {
                ops.push(operation(action, target));
            }
        }
        ops
    }

    #[test]
    fn the_parameters_a_plan_shows_are_the_ones_apply_sends() {
        for op in every_kind() {
            let sent = mutation(&op).unwrap();
            assert_eq!(op.api_action(), sent.name(), "{op:?}");
            assert_eq!(op.api_params(), sent.params_in(&op.region), "{op:?}");
        }
    }

    #[test]
    fn operations_are_sent_in_their_own_region() {
        for op in every_kind() {
            let sent = mutation(&op).unwrap().params_in(&op.region);
            let regions: Vec<&str> = sent
                .iter()
                .filter(|(k, _)| k == "RegionId")
                .map(|(_, v)| v.as_str())
                .collect();
            assert_eq!(regions, ["cn-shanghai"], "{op:?}");
        }
    }

    #[test]
    fn a_pairwise_operation_without_a_group_is_not_sent() {
        let mut op = operation(Action::Join, "i-bp1wire000000000");
        op.security_group_id = None;
        assert!(mutation(&op).is_none());
    }
}
