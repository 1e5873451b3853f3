//! No state file may make the reader panic, and whatever it accepts writes back to a file
//! that reads as the same state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sgform::state::State;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(state) = State::from_json("state.json", text) else {
        return;
    };
    let back = State::from_json("state.json", &state.to_json())
        .expect("a state the reader accepted must read back after writing");
    assert_eq!(state, back, "state changed in a write and read");
});
