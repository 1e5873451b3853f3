use super::*;
use crate::ids::{Address, DeclarationKind, RegionId, SecurityGroupId, Target};

const LINEAGE: &str = "5b0c6a8e-1f2d-4c3b-9a00-8e5f3c2d1a0b";

fn membership(key: &str) -> ManagedMembership {
    ManagedMembership {
        address: Address::new(DeclarationKind::Membership, "web").with_key(key),
        provider: None,
        region: RegionId::parse("cn-hangzhou").unwrap(),
        security_group_id: SecurityGroupId::parse("sg-bp1fg655nh68xyz9i4w1").unwrap(),
        target: Target::parse(key).unwrap(),
    }
}

fn record(base: u64, add: &str) -> Record {
    Record {
        lineage: LINEAGE.to_owned(),
        base,
        serial: base + 1,
        add: vec![membership(add)],
        remove: Vec::new(),
    }
}

fn journal_of(records: &[Record]) -> Vec<u8> {
    let mut bytes = HEADER.to_vec();
    for r in records {
        bytes.extend(encode(r));
    }
    bytes
}

fn state_at(serial: u64) -> State {
    State {
        lineage: LINEAGE.to_owned(),
        serial,
        ..State::empty()
    }
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn frames_decode_to_the_records_encoded() {
    let records = vec![
        record(3, "i-bp1aaaaaaaaaaaaaaaaa"),
        record(4, "i-bp1bbbbbbbbbbbbbbbbb"),
    ];
    let bytes = journal_of(&records);
    let decoded = decode(&bytes).unwrap();
    assert_eq!(decoded.records, records);
    assert_eq!(decoded.valid_len, bytes.len() as u64);
    assert!(!decoded.torn);
}

#[test]
fn a_torn_tail_is_dropped_at_every_cut() {
    let first = record(3, "i-bp1aaaaaaaaaaaaaaaaa");
    let whole = journal_of(std::slice::from_ref(&first));
    let bytes = journal_of(&[first.clone(), record(4, "i-bp1bbbbbbbbbbbbbbbbb")]);
    for cut in whole.len() + 1..bytes.len() {
        let decoded = decode(&bytes[..cut]).unwrap();
        assert_eq!(decoded.records, vec![first.clone()], "cut at {cut}");
        assert_eq!(decoded.valid_len, whole.len() as u64);
        assert!(decoded.torn);
    }
    // A header cut short is a journal torn at its creation: no records.
    let decoded = decode(&HEADER[..5]).unwrap();
    assert!(decoded.records.is_empty() && decoded.torn);
}

#[test]
fn a_last_frame_with_a_bad_checksum_is_a_torn_tail() {
    let first = record(3, "i-bp1aaaaaaaaaaaaaaaaa");
    let mut bytes = journal_of(&[first.clone(), record(4, "i-bp1bbbbbbbbbbbbbbbbb")]);
    let last = bytes.len() - 2;
    bytes[last] ^= 0x55;
    let decoded = decode(&bytes).unwrap();
    assert_eq!(decoded.records, vec![first]);
    assert!(decoded.torn);
}

#[test]
fn a_bad_frame_before_others_is_corruption_not_a_tail() {
    let mut bytes = journal_of(&[
        record(3, "i-bp1aaaaaaaaaaaaaaaaa"),
        record(4, "i-bp1bbbbbbbbbbbbbbbbb"),
    ]);
    bytes[HEADER.len() + FRAME_HEAD + 3] ^= 0x55;
    let reason = decode(&bytes).unwrap_err();
    assert!(
        reason.contains("record 1") && reason.contains("checksum"),
        "{reason}"
    );
}

#[test]
fn a_file_without_the_header_is_refused() {
    let reason = decode(b"{\"version\": 1}").unwrap_err();
    assert!(reason.contains("sgform state journal 1"), "{reason}");
}

#[test]
fn replay_applies_the_records_that_continue_the_document() {
    let mut state = state_at(3);
    state
        .memberships
        .insert(membership("i-bp1ccccccccccccccccc"));
    let mut second = record(4, "i-bp1bbbbbbbbbbbbbbbbb");
    second.remove = vec![membership("i-bp1ccccccccccccccccc")];
    let done = replay(
        Some(&mut state),
        &[record(3, "i-bp1aaaaaaaaaaaaaaaaa"), second],
    )
    .unwrap();
    assert_eq!(
        done,
        Replayed {
            applied: 2,
            folded: 0
        }
    );
    assert_eq!(state.serial, 5);
    let keys: Vec<String> = state
        .memberships
        .iter()
        .map(|m| m.target.to_string())
        .collect();
    assert_eq!(keys, ["i-bp1aaaaaaaaaaaaaaaaa", "i-bp1bbbbbbbbbbbbbbbbb"]);
}

#[test]
fn records_the_document_already_holds_are_skipped() {
    let mut state = state_at(5);
    let records = [
        record(3, "i-bp1aaaaaaaaaaaaaaaaa"),
        record(4, "i-bp1bbbbbbbbbbbbbbbbb"),
    ];
    let done = replay(Some(&mut state), &records).unwrap();
    assert_eq!(
        done,
        Replayed {
            applied: 0,
            folded: 2
        }
    );
    assert_eq!(state, state_at(5));
}

#[test]
fn another_lineage_is_refused() {
    let mut other = record(3, "i-bp1aaaaaaaaaaaaaaaaa");
    other.lineage = "00000000-1f2d-4c3b-9a00-8e5f3c2d1a0b".to_owned();
    let reason = replay(Some(&mut state_at(3)), &[other]).unwrap_err();
    assert!(reason.contains("lineage 00000000-"), "{reason}");
}

#[test]
fn a_gap_in_the_chain_is_refused() {
    let reason = replay(
        Some(&mut state_at(3)),
        &[record(5, "i-bp1aaaaaaaaaaaaaaaaa")],
    )
    .unwrap_err();
    assert!(
        reason.contains("starts at serial 5") && reason.contains("at 3"),
        "{reason}"
    );
    let records = [
        record(3, "i-bp1aaaaaaaaaaaaaaaaa"),
        record(5, "i-bp1bbbbbbbbbbbbbbbbb"),
    ];
    assert!(replay(Some(&mut state_at(3)), &records).is_err());
}

#[test]
fn records_without_a_document_are_refused() {
    let reason = replay(None, &[record(3, "i-bp1aaaaaaaaaaaaaaaaa")]).unwrap_err();
    assert!(reason.contains("no state file"), "{reason}");
    assert!(replay(None, &[]).is_ok());
}
