//! `fmt` never panics, is idempotent, and keeps the meaning of whatever parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sgform::config::format::format_source;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(once) = format_source(text) else {
        return;
    };
    let twice = format_source(&once).expect("formatted output must parse");
    assert_eq!(once, twice, "fmt is not idempotent");
    if let (Ok(before), Ok(after)) = (hcl::parse(text), hcl::parse(&once)) {
        assert_eq!(before, after, "fmt changed the meaning");
    }
});
