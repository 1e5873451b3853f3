//! The `--faults` spec and the draw.

use super::*;

#[test]
fn parses_the_documented_spec() {
    let f = Faults::parse(
        "InternalError=0.05,ServiceUnavailable=0.02,Throttling=0.05,Conflict=0.02,DropBeforeCommit=0.02,DropAfterCommit=0.02",
    )
    .unwrap();
    assert_eq!(f.pick(0.0), Some(Fault::InternalError));
    assert_eq!(f.pick(0.06), Some(Fault::ServiceUnavailable));
    assert_eq!(f.pick(0.17), Some(Fault::DropAfterCommit));
    assert_eq!(f.pick(0.18), None);
}

#[test]
fn refuses_bad_specs() {
    for spec in [
        "Nope=0.1",
        "InternalError",
        "InternalError=2",
        "Throttling=0.6,Conflict=0.6",
    ] {
        assert!(Faults::parse(spec).is_err(), "{spec}");
    }
}
