//! No plan file may make the reader, the planner's checks over the saved plan or the preview
//! (`sgform show`) panic; whatever the reader accepts writes back to the same file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sgform::plan::planfile::{PlanFile, check_derived};
use sgform::plan::render::{self, TextOptions};
use sgform::plan::PlanOptions;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("saved.plan");
    let Ok(file) = PlanFile::from_bytes(path, data) else {
        return;
    };
    let options = PlanOptions::from(&file.options);
    let _ = sgform::plan::check(&file.plan, &options);
    let _ = check_derived(&file, &file.plan);
    for verbose in [false, true] {
        let _ = render::text::render(&file.plan, TextOptions { verbose, color: false });
    }
    let _ = render::json::render_string(&file.plan);
    let _ = render::markdown::render(&file.plan, None);
    let _ = render::dot::render(&file.plan);
    let back = PlanFile::from_bytes(path, &file.to_bytes())
        .expect("a plan file the reader accepted must read back after writing");
    assert_eq!(file, back, "plan file changed in a write and read");
});
