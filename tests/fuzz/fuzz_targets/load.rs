//! No input may make the loader, the second evaluation phase or the renderer panic.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use sgform::config::{self, DataKind, DataRecord, DataResults, Inputs};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A NUL byte splits the input into two files, so cross-file checks run too.
    let files: Vec<(PathBuf, String)> = text
        .splitn(2, '\0')
        .enumerate()
        .map(|(i, t)| (PathBuf::from(format!("f{i}.hcl")), t.to_owned()))
        .collect();
    for validate_only in [false, true] {
        let inputs = Inputs {
            validate_only,
            ..Inputs::default()
        };
        let (config, diags) = config::load_sources(files.clone(), &inputs);
        let _ = sgform::cli::printer::render_diagnostics(&diags, config.sources(), false);
        let _ = sgform::cli::printer::diagnostics_json(&diags, config.sources());
        let mut results = DataResults::new();
        for req in config.data_requests() {
            let record = DataRecord {
                id: format!(
                    "{}-bp1fuzz0000000000",
                    if req.kind == DataKind::Instances {
                        "i"
                    } else {
                        "eni"
                    }
                ),
                ..DataRecord::default()
            };
            results.insert(req.kind, req.name.clone(), vec![record]);
        }
        let (_, diags) = config.expand(&results);
        let _ = sgform::cli::printer::render_diagnostics(&diags, config.sources(), true);
    }
});
