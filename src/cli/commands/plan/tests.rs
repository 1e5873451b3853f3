use super::*;
use crate::ids::Address;

#[test]
fn detailed_exit_code_is_two_only_for_changes() {
    let empty = Plan::default();
    assert_eq!(exit_code(&empty, true), ExitCode::SUCCESS);
    let mut adopt = Plan::default();
    adopt.adopt.push(crate::state::ManagedMembership {
        address: Address::parse("membership.web").unwrap(),
        provider: None,
        region: crate::ids::RegionId::parse("cn-hangzhou").unwrap(),
        security_group_id: crate::ids::SecurityGroupId::parse("sg-bp1base000000001").unwrap(),
        target: crate::ids::Target::parse("i-bp1web0000000001").unwrap(),
    });
    assert_eq!(exit_code(&adopt, true), ExitCode::from(2));
    assert_eq!(exit_code(&adopt, false), ExitCode::SUCCESS);
}

#[test]
fn json_is_short_for_format_json_and_conflicts_with_another_format() {
    let args = |json: bool, format: Option<Format>| FormatArgs { format, json };
    assert_eq!(args(false, None).format(), Ok(Format::Text));
    assert_eq!(args(true, None).format(), Ok(Format::Json));
    assert_eq!(args(true, Some(Format::Json)).format(), Ok(Format::Json));
    assert_eq!(
        args(false, Some(Format::Markdown)).format(),
        Ok(Format::Markdown)
    );
    for other in [Format::Text, Format::Markdown] {
        let err = args(true, Some(other)).format().unwrap_err();
        let name = clap::ValueEnum::to_possible_value(&other).unwrap();
        assert!(
            err.contains(&format!("conflicts with `--format {}`", name.get_name())),
            "{err}"
        );
    }
}
