//! No expression may make evaluation panic: arithmetic, functions, `for`, templates and
//! conversions, as a local, inside a block (with `each` and data), and as a `--var` value.
//! The input is one expression; a NUL byte splits off a second one, given as `--var n=…`.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use sgform::config::{self, DataKind, DataRecord, DataResults, Inputs, VarSource};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (expr, var) = text.split_once('\0').unwrap_or((text, "1 + 1"));
    // The expression stays on one line of its own, so it cannot close the block early
    // without being a syntax error.
    if expr.contains('\n') {
        return;
    }
    let source = format!(
        r#"variable "n" {{
  type = number
}}
variable "any" {{
  default = {{ a = [1, 2.5, -3], b = "x", c = null }}
}}
data "instances" "web" {{
  tags = {{ role = "web" }}
}}
locals {{
  e = {expr}
  w = [for i in data.instances.web.instances : i.id]
}}
membership "each" {{
  for_each          = toset(["a", "b"])
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = "i-${{length(format("%v", {expr}))}}"
}}
membership_set "x" {{
  instance_id        = "i-bp1gtjxuuvwj17zr8s5f"
  security_group_ids = [for x in local.w : "${{x}}-${{local.e}}"]
}}
"#
    );
    for validate_only in [false, true] {
        let inputs = Inputs {
            validate_only,
            sources: vec![VarSource::Var {
                name: "n".to_owned(),
                value: var.to_owned(),
            }],
            ..Inputs::default()
        };
        let (config, diags) =
            config::load_sources(vec![(PathBuf::from("main.hcl"), source.clone())], &inputs);
        let _ = sgform::cli::printer::render_diagnostics(&diags, config.sources(), false);
        let mut results = DataResults::new();
        results.insert(
            DataKind::Instances,
            "web",
            vec![DataRecord {
                id: "i-bp1fuzz0000000000".to_owned(),
                ..DataRecord::default()
            }],
        );
        let (_, diags) = config.expand(&results);
        let _ = sgform::cli::printer::render_diagnostics(&diags, config.sources(), true);
    }
});
