//! Evaluation through the public API: two-phase loading (`load` then `expand` with data
//! results), functions, variable precedence, sensitive values; and `sgform validate` run as the
//! real binary.

use std::path::PathBuf;

use sgform::config::{
    self, Config, DataKind, DataRecord, DataResults, Declaration, Inputs, VarSource,
};
use sgform::diag::Diagnostic;

use crate::support::sgform;

fn load(text: &str, inputs: &Inputs) -> (Config, Vec<Diagnostic>) {
    config::load_sources(vec![(PathBuf::from("main.hcl"), text.to_owned())], inputs)
}

#[track_caller]
fn load_ok(text: &str, inputs: &Inputs) -> Config {
    let (config, diags) = load(text, inputs);
    assert!(diags.is_empty(), "unexpected diagnostics: {diags:#?}");
    config
}

fn pairs(decls: &[Declaration]) -> Vec<(String, String, String)> {
    decls
        .iter()
        .filter_map(|d| match d {
            Declaration::Membership(m) => Some((
                m.common.address.to_string(),
                m.security_group_id.to_string(),
                m.target.to_string(),
            )),
            _ => None,
        })
        .collect()
}

fn instance(id: &str) -> DataRecord {
    DataRecord {
        id: id.to_owned(),
        status: "Running".to_owned(),
        ..DataRecord::default()
    }
}

fn var(name: &str, value: &str) -> VarSource {
    VarSource::Var {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

const FOR_EACH_DATA: &str = r#"
locals {
  web_sg = "sg-bp1fg655nh68xyz9i4w1"
  ids    = toset(data.instances.web.ids)
}
data "instances" "web" {
  vpc_id = "vpc-bp1opxu1zkhn00gzv26cm"
  tags   = { role = "web" }
}
membership "web" {
  for_each          = local.ids
  security_group_id = local.web_sg
  instance_id       = each.value
}
membership "fixed" {
  security_group_id = local.web_sg
  instance_id       = "i-bp1fixed00000000000"
}
"#;

#[test]
fn for_each_over_data_results_is_deferred_then_expanded() {
    let config = load_ok(FOR_EACH_DATA, &Inputs::default());
    // Phase 1: the data request is known, the block that needs it waits.
    let reqs = config.data_requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].kind, DataKind::Instances);
    assert_eq!(reqs[0].tags.get("role").map(String::as_str), Some("web"));
    assert_eq!(
        reqs[0].vpc_id.as_ref().map(ToString::to_string).as_deref(),
        Some("vpc-bp1opxu1zkhn00gzv26cm")
    );
    assert_eq!(
        config
            .deferred()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["membership.web"]
    );
    assert_eq!(pairs(config.declarations()).len(), 1);

    // Phase 2: the planner read the data source; duplicates in the result collapse (a set).
    let mut data = DataResults::new();
    data.insert(
        DataKind::Instances,
        "web",
        vec![
            instance("i-bp1bbbbbbbbbbbbbbbb"),
            instance("i-bp1aaaaaaaaaaaaaaaa"),
            instance("i-bp1aaaaaaaaaaaaaaaa"),
        ],
    );
    let (decls, diags) = config.expand(&data);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(
        pairs(&decls),
        [
            (
                "membership.fixed".to_owned(),
                "sg-bp1fg655nh68xyz9i4w1".to_owned(),
                "i-bp1fixed00000000000".to_owned()
            ),
            (
                r#"membership.web["i-bp1aaaaaaaaaaaaaaaa"]"#.to_owned(),
                "sg-bp1fg655nh68xyz9i4w1".to_owned(),
                "i-bp1aaaaaaaaaaaaaaaa".to_owned()
            ),
            (
                r#"membership.web["i-bp1bbbbbbbbbbbbbbbb"]"#.to_owned(),
                "sg-bp1fg655nh68xyz9i4w1".to_owned(),
                "i-bp1bbbbbbbbbbbbbbbb".to_owned()
            ),
        ]
    );
}

#[test]
fn data_results_with_a_bad_id_report_it_at_expand_time() {
    let config = load_ok(FOR_EACH_DATA, &Inputs::default());
    let mut data = DataResults::new();
    data.insert(DataKind::Instances, "web", vec![instance("not-an-id")]);
    let (_, diags) = config.expand(&data);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].summary, "malformed instance ID `not-an-id`");
    assert_eq!(
        diags[0]
            .address
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some(r#"membership.web["not-an-id"]"#)
    );
}

#[test]
fn for_each_over_data_objects_reads_their_attributes() {
    let text = r#"
data "network_interfaces" "db" {
  tags = { tier = "db" }
}
membership "db" {
  for_each             = { for eni in data.network_interfaces.db.network_interfaces : eni.id => eni if eni.status == "InUse" }
  security_group_id    = lookup(each.value.tags, "sg", "sg-bp1default000000000")
  network_interface_id = each.key
}
"#;
    let config = load_ok(text, &Inputs::default());
    let mut data = DataResults::new();
    let mut a = DataRecord {
        id: "eni-bp1aaaaaaaaaaaaaaaa".into(),
        status: "InUse".into(),
        ..DataRecord::default()
    };
    a.tags.insert("sg".into(), "sg-bp1tagged0000000000".into());
    let b = DataRecord {
        id: "eni-bp1bbbbbbbbbbbbbbbb".into(),
        status: "Available".into(),
        ..DataRecord::default()
    };
    data.insert(DataKind::NetworkInterfaces, "db", vec![a, b]);
    let (decls, diags) = config.expand(&data);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(
        pairs(&decls),
        [(
            r#"membership.db["eni-bp1aaaaaaaaaaaaaaaa"]"#.to_owned(),
            "sg-bp1tagged0000000000".to_owned(),
            "eni-bp1aaaaaaaaaaaaaaaa".to_owned()
        )]
    );
}

#[test]
fn setproduct_gives_every_pair() {
    let text = r#"
variable "groups" {
  type    = set(string)
  default = ["sg-bp1bbbbbbbbbbbbbbbb", "sg-bp1aaaaaaaaaaaaaaaa"]
}
locals {
  instances = ["i-bp1aaaaaaaaaaaaaaaa", "i-bp1bbbbbbbbbbbbbbbb", "i-bp1aaaaaaaaaaaaaaaa"]
  pairs     = setproduct(var.groups, distinct(local.instances))
}
membership "all" {
  for_each          = { for p in local.pairs : "${p[0]}:${p[1]}" => p }
  security_group_id = each.value[0]
  instance_id       = each.value[1]
}
"#;
    let config = load_ok(text, &Inputs::default());
    assert!(config.deferred().is_empty());
    let got: Vec<(String, String)> = pairs(config.declarations())
        .into_iter()
        .map(|(_, g, t)| (g, t))
        .collect();
    let want: Vec<(String, String)> = [
        ("sg-bp1aaaaaaaaaaaaaaaa", "i-bp1aaaaaaaaaaaaaaaa"),
        ("sg-bp1aaaaaaaaaaaaaaaa", "i-bp1bbbbbbbbbbbbbbbb"),
        ("sg-bp1bbbbbbbbbbbbbbbb", "i-bp1aaaaaaaaaaaaaaaa"),
        ("sg-bp1bbbbbbbbbbbbbbbb", "i-bp1bbbbbbbbbbbbbbbb"),
    ]
    .iter()
    .map(|(g, t)| (g.to_string(), t.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn functions_cover_membership_work() {
    let text = r#"
locals {
  a = concat(["x"], ["y", "x"])
  b = flatten([["a", ["b"]], "c"])
  c = keys({ z = 1, a = 2 })
  d = values({ z = 1, a = 2 })
  e = merge({ a = "1" }, { b = "2" }, { a = "3" })
  f = contains(["a", "b"], "b")
  g = coalesce("", "first", "second")
  h = format("%s-%d-%%", "web", 3)
  i = join(",", split("/", "a/b/c"))
  j = [lower("ABC"), upper("abc")]
  k = zipmap(["b", "a"], [1, 2])
  l = [length("héllo"), length([1, 2]), length({ a = 1 })]
  m = tolist(toset(["b", "a", "b"]))
  n = lookup({ a = "x" }, "missing", "default")
}
membership_set "check" {
  instance_id        = "i-bp1aaaaaaaaaaaaaaaa"
  security_group_ids = [for v in [
    join("|", local.a), join("|", local.b), join("|", local.c), join("|", [for x in local.d : format("%v", x)]),
    join("|", [for k, v in local.e : "${k}=${v}"]), local.f ? "yes" : "no", local.g, local.h, local.i,
    join("|", local.j), join("|", [for k, v in local.k : "${k}=${v}"]),
    join("|", [for x in local.l : format("%v", x)]), join("|", local.m), local.n,
  ] : "sg-${replace_me}" if false]
}
"#;
    // `replace_me` is unknown: the check is that every function evaluates, which the loader
    // reports through the locals; the block is rejected for its own unknown reference only.
    let (config, diags) = load(text, &Inputs::default());
    let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(summaries, ["unknown reference `replace_me`"], "{diags:#?}");
    let _ = config;

    // Evaluate the same locals through a membership_set whose groups encode the results.
    let text = text.replace("\"sg-${replace_me}\" if false", "v");
    let (_, diags) = load(&text, &Inputs::default());
    let labels: Vec<String> = diags
        .iter()
        .filter(|d| d.summary.starts_with("malformed security group ID"))
        .map(|d| d.summary.clone())
        .collect();
    let want = [
        "x|y|x", "a|b|c", "a|z", "2|1", "a=3|b=2", "yes", "first", "web-3-%", "a,b,c", "abc|ABC",
        "a=2|b=1", "5|2|1", "a|b", "default",
    ];
    for w in want {
        assert!(
            labels
                .iter()
                .any(|l| l == &format!("malformed security group ID `{w}`")),
            "no result `{w}` in {labels:#?}"
        );
    }
}

const PRECEDENCE: &str = r#"
variable "sg" {
  type    = string
  default = "sg-bp1default000000000"
}
membership "web" {
  security_group_id = var.sg
  instance_id       = "i-bp1aaaaaaaaaaaaaaaa"
}
"#;

fn sg_of(config: &Config) -> String {
    pairs(config.declarations())[0].1.clone()
}

#[test]
fn variable_precedence_follows_terraform() {
    // Default only.
    let c = load_ok(PRECEDENCE, &Inputs::default());
    assert_eq!(sg_of(&c), "sg-bp1default000000000");
    // Environment beats the default.
    let env = vec![("sg".to_owned(), "sg-bp1fromenv000000000".to_owned())];
    let c = load_ok(
        PRECEDENCE,
        &Inputs {
            env: env.clone(),
            ..Inputs::default()
        },
    );
    assert_eq!(sg_of(&c), "sg-bp1fromenv000000000");
    // A var file beats the environment; a later --var beats the file.
    let file = VarSource::File {
        path: "vars.hcl".into(),
        text: "sg = \"sg-bp1fromfile00000000\"\n".to_owned(),
    };
    let c = load_ok(
        PRECEDENCE,
        &Inputs {
            env: env.clone(),
            sources: vec![file.clone()],
            ..Inputs::default()
        },
    );
    assert_eq!(sg_of(&c), "sg-bp1fromfile00000000");
    let c = load_ok(
        PRECEDENCE,
        &Inputs {
            env: env.clone(),
            sources: vec![file.clone(), var("sg", "sg-bp1fromflag00000000")],
            ..Inputs::default()
        },
    );
    assert_eq!(sg_of(&c), "sg-bp1fromflag00000000");
    // Order among command-line sources decides: a file after the flag wins.
    let c = load_ok(
        PRECEDENCE,
        &Inputs {
            env,
            sources: vec![var("sg", "sg-bp1fromflag00000000"), file],
            ..Inputs::default()
        },
    );
    assert_eq!(sg_of(&c), "sg-bp1fromfile00000000");
}

#[test]
fn typed_variables_parse_text_values_as_hcl() {
    let text = r#"
variable "groups" { type = list(string) }
variable "max" { type = number }
membership_set "api" {
  instance_id        = "i-bp1aaaaaaaaaaaaaaaa"
  security_group_ids = slice_free(var.groups)
}
"#
    .replace("slice_free(var.groups)", "var.groups");
    let inputs = Inputs {
        sources: vec![
            var(
                "groups",
                r#"["sg-bp1aaaaaaaaaaaaaaaa", "sg-bp1bbbbbbbbbbbbbbbb"]"#,
            ),
            var("max", "3"),
        ],
        ..Inputs::default()
    };
    let c = load_ok(&text, &inputs);
    let Declaration::MembershipSet(s) = &c.declarations()[0] else {
        panic!("expected a membership_set");
    };
    assert_eq!(s.security_group_ids.len(), 2);

    let bad = Inputs {
        sources: vec![var("groups", "[1, 2"), var("max", "three")],
        ..Inputs::default()
    };
    let (_, diags) = load(&text, &bad);
    let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
    assert!(
        summaries.contains(&"invalid value for `var.groups` from `--var`"),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"invalid value for `var.max` from `--var`"),
        "{summaries:?}"
    );
}

#[test]
fn missing_required_variable_is_an_error_except_under_validate() {
    let text = "variable \"sg\" { type = string }\nmembership \"web\" {\n  security_group_id = var.sg\n  instance_id = \"i-bp1aaaaaaaaaaaaaaaa\"\n}\n";
    let (_, diags) = load(text, &Inputs::default());
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].summary, "no value for required variable `sg`");
    let (config, diags) = load(
        text,
        &Inputs {
            validate_only: true,
            ..Inputs::default()
        },
    );
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(config.deferred().len(), 1);
}

#[test]
fn sensitive_values_never_appear_in_diagnostics_or_debug() {
    let secret = "sg-TOPSECRETVALUE99";
    let text = r#"
variable "sg" {
  type      = string
  sensitive = true
}
variable "list" {
  type      = list(number)
  sensitive = true
}
membership "web" {
  security_group_id = var.sg
  instance_id       = "i-bp1aaaaaaaaaaaaaaaa"
}
"#;
    let inputs = Inputs {
        sources: vec![var("sg", secret), var("list", "[\"TOPSECRETLIST\"]")],
        ..Inputs::default()
    };
    let (config, diags) = load(text, &inputs);
    assert_eq!(diags.len(), 2, "{diags:#?}");
    let all = format!("{diags:?} {:?} {config:?}", config.variables());
    assert!(!all.contains("TOPSECRET"), "a secret leaked: {all}");
    let rendered = sgform::cli::printer::render_diagnostics(&diags, config.sources(), false);
    assert!(!rendered.contains("TOPSECRET"), "{rendered}");
    assert!(rendered.contains("(sensitive value)"), "{rendered}");
    assert_eq!(
        config.variables()["sg"].display_value(),
        "(sensitive value)"
    );
}

#[test]
fn providers_default_and_aliases() {
    let text = r#"
provider "alicloud" {
  alias                 = "sh"
  region                = "cn-shanghai"
  max_groups_per_target = 10
  rate_limit            = 20
  sandbox               = "world.json"
}
"#;
    let c = load_ok(text, &Inputs::default());
    assert_eq!(c.providers().len(), 2);
    assert_eq!(c.provider(None).unwrap().max_groups_per_target, 5);
    let sh = c.provider(Some("sh")).unwrap();
    assert_eq!(sh.max_groups_per_target, 10);
    assert_eq!(sh.rate_limit, Some(20));
    assert_eq!(sh.region.as_ref().unwrap().as_str(), "cn-shanghai");
}

#[test]
fn validate_exit_codes_and_json() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ok = sgform()
        .current_dir(root.join("testdata/diag/valid_every_block/config"))
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(ok.stderr.is_empty());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("The configuration is valid"));

    let bad = sgform()
        .current_dir(&root)
        .args(["validate", "testdata/diag/both_targets/config"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(
        stderr,
        std::fs::read_to_string(root.join("testdata/diag/both_targets/stderr.txt")).unwrap()
    );

    let json = sgform()
        .current_dir(&root)
        .args(["validate", "--json", "testdata/diag/both_targets/config"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["error_count"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["address"], "membership.web");
    assert_eq!(d["range"]["start"]["line"], 4);
    assert_eq!(d["range"]["start"]["column"], 3);
    assert_eq!(
        d["range"]["filename"],
        "testdata/diag/both_targets/config/main.hcl"
    );

    let missing = sgform()
        .args(["validate", "/nonexistent/sgform-config"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/sgform-config"));
}

#[test]
fn validate_reads_vars_from_flags_files_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.hcl"),
        PRECEDENCE.replace("  default = \"sg-bp1default000000000\"\n", ""),
    )
    .unwrap();
    // Under validate a missing variable is unknown, not an error.
    let out = sgform().arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sgform()
        .arg("validate")
        .arg(dir.path())
        .env("SGFORM_VAR_sg", "sg-BAD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("malformed security group ID `sg-BAD`"));
    let vars = dir.path().join("vars.tfvars");
    std::fs::write(&vars, "sg = \"sg-bp1fromfile00000000\"\n").unwrap();
    let out = sgform()
        .arg("validate")
        .arg(dir.path())
        .env("SGFORM_VAR_sg", "sg-BAD")
        .arg("--var-file")
        .arg(&vars)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sgform()
        .arg("validate")
        .arg(dir.path())
        .args(["--var", "sg=sg-ALSOBAD"])
        .arg("--var-file")
        .arg(&vars)
        .output()
        .unwrap();
    // Command-line order decides between `--var` and `--var-file`, as in Terraform: the file
    // comes last here and wins; the other way round, the flag wins.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sgform()
        .arg("validate")
        .arg(dir.path())
        .arg("--var-file")
        .arg(&vars)
        .args(["--var", "sg=sg-ALSOBAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sg-ALSOBAD"));
}

// ---- no input makes the loader panic (the CI-sized sibling of the cargo-fuzz target) ------

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    /// Fragments that reach deep into the loader: blocks, references, functions, for_each.
    const TOKENS: &[&str] = &[
        "membership",
        "membership_set",
        "group_members",
        "locals",
        "variable",
        "provider",
        "data",
        "\"instances\"",
        "\"network_interfaces\"",
        "\"web\"",
        "\"alicloud\"",
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "=",
        ",",
        "\n",
        "  ",
        ":",
        "=>",
        "?",
        "...",
        "for_each",
        "security_group_id",
        "security_group_ids",
        "instance_id",
        "network_interface_id",
        "instance_ids",
        "ignore_security_group_ids",
        "depends_on",
        "alias",
        "region",
        "max_groups_per_target",
        "type",
        "default",
        "sensitive",
        "toset(",
        "setproduct(",
        "format(\"%s%d%q%v%%\",",
        "lookup(",
        "zipmap(",
        "split(\"\",",
        "length(",
        "flatten(",
        "merge(",
        "coalesce(",
        "keys(",
        "values(",
        "distinct(",
        "concat(",
        "join(\"-\",",
        "each.key",
        "each.value",
        "local.a",
        "local.b",
        "var.v",
        "data.instances.web.ids",
        "data.instances.web.instances",
        "membership.web",
        "alicloud.x",
        "for x in",
        "if",
        "\"sg-bp1fg655nh68xyz9i4w1\"",
        "\"i-bp1gtjxuuvwj17zr8s5f\"",
        "\"eni-bp13kd656hxambfe1234\"",
        "\"${local.a}\"",
        "0",
        "1",
        "-1",
        "1e308",
        "true",
        "null",
        "list(string)",
        "set(string)",
        "a",
        "b",
        "v",
        "x",
        "# c\n",
        "/* c */",
        "<<EOT\nx\nEOT\n",
        "é",
        "\u{0}",
    ];

    fn expression() -> impl Strategy<Value = String> {
        let leaf = prop::sample::select(vec![
            "0",
            "1",
            "-1",
            "2",
            "0.5",
            "-0.0",
            "x",
            "var.n",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "18446744073709551615",
            "4611686018427387904",
            "1e308",
            "-1e308",
            "\"s\"",
            "null",
            "true",
            "[0]",
        ])
        .prop_map(str::to_owned);
        leaf.prop_recursive(6, 64, 4, |inner| {
            let op = prop::sample::select(vec!["+", "-", "*", "/", "%", "==", "<", "&&"]);
            prop_oneof![
                (inner.clone(), op, inner.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
                inner.clone().prop_map(|a| format!("-{a}")),
                inner
                    .clone()
                    .prop_map(|a| format!("[for x in [0, 1, -1] : {a}]")),
                inner.clone().prop_map(|a| format!("\"<${{{a}}}>\"")),
                inner
                    .clone()
                    .prop_map(|a| format!("\"%{{ for x in [0, 2] }}${{{a}}}%{{ endfor }}\"")),
                inner.clone().prop_map(|a| format!("length([{a}])")),
                inner.clone().prop_map(|a| format!("[1, 2][{a}]")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(x == 0 ? {a} : {b})")),
                (inner.clone(), inner).prop_map(|(a, b)| format!("{{ k = {a}, ({b}) = 1 }}")),
            ]
        })
    }

    fn soup() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|t| t.join(" "))
    }

    proptest! {
        // `PROPTEST_CASES=N` runs more (the default config reads it); never fewer than 512.
        #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases.max(512), ..ProptestConfig::default() })]

        #[test]
        fn loader_never_panics(a in soup(), b in soup(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let raw = String::from_utf8_lossy(&bytes).into_owned();
            for validate_only in [false, true] {
                let inputs = Inputs { validate_only, ..Inputs::default() };
                let files = vec![
                    (PathBuf::from("a.hcl"), a.clone()),
                    (PathBuf::from("b.hcl"), b.clone()),
                    (PathBuf::from("c.hcl"), raw.clone()),
                ];
                let (config, diags) = config::load_sources(files, &inputs);
                let text = sgform::cli::printer::render_diagnostics(&diags, config.sources(), false);
                prop_assert_eq!(diags.is_empty(), text.is_empty());
                let mut data = DataResults::new();
                for req in config.data_requests() {
                    data.insert(req.kind, req.name.clone(), vec![instance("i-bp1aaaaaaaaaaaaaaaa")]);
                }
                let (_, more) = config.expand(&data);
                let _ = sgform::cli::printer::render_diagnostics(&more, config.sources(), true);
                let _ = sgform::config::format::format_source(&a);
            }
        }

        /// Well-formed expressions around the edges of arithmetic: every operator over zero,
        /// the 64-bit limits and huge floats, nested in `for`, conditionals, templates, function
        /// calls and indexes; as a local and as a `--var` value.
        #[test]
        fn expressions_never_panic(e in expression(), v in expression()) {
            let text = format!("variable \"n\" {{\n  type = number\n}}\nlocals {{\n  e = {e}\n  f = [for x in [0, 1, -1] : {e}]\n}}\n");
            let inputs = Inputs { sources: vec![var("n", &v)], ..Inputs::default() };
            let (config, diags) = load(&text, &inputs);
            let _ = sgform::cli::printer::render_diagnostics(&diags, config.sources(), false);
        }
    }
}

/// The sensitive attributes of the declaration at `address`, sorted.
fn sensitive_of(decls: &[Declaration], address: &str) -> Vec<String> {
    let d = decls
        .iter()
        .find(|d| d.address().to_string() == address)
        .unwrap_or_else(|| panic!("no declaration {address} in {decls:?}"));
    d.common().sensitive.iter().cloned().collect()
}

const SENSITIVE: &str = r#"
variable "secret_sg" {
  type      = string
  sensitive = true
}
variable "secret_ids" {
  type      = list(string)
  sensitive = true
}
variable "plain_sg" {
  type = string
}
locals {
  direct   = var.secret_sg
  chained  = [local.direct, "sg-bp1plain000000000000"]
  ids      = concat(var.secret_ids, [])
  plain    = [var.plain_sg]
}
membership "direct" {
  security_group_id = var.secret_sg
  instance_id       = "i-bp1aaaaaaaaaaaaaaaa"
}
membership "plain" {
  security_group_id = var.plain_sg
  instance_id       = "i-bp1aaaaaaaaaaaaaaaa"
}
membership "eni" {
  security_group_id = "sg-bp1plain000000000000"
  network_interface_id = "eni-bp1aaaaaaaaaaaaaaaa"
}
membership_set "chained" {
  instance_id               = "i-bp1bbbbbbbbbbbbbbbb"
  security_group_ids        = local.chained
  ignore_security_group_ids = local.plain
}
group_members "through_local" {
  security_group_id     = "sg-bp1members0000000000"
  instance_ids          = local.ids
  network_interface_ids = []
}
"#;

fn sensitive_inputs() -> Inputs {
    Inputs {
        sources: vec![
            var("secret_sg", "sg-bp1topsecret0000000"),
            var("secret_ids", "[\"i-bp1topsecret00000000\"]"),
            var("plain_sg", "sg-bp1plain000000000000"),
        ],
        ..Inputs::default()
    }
}

#[test]
fn sensitive_mark_follows_variables_directly_and_through_locals() {
    let config = load_ok(SENSITIVE, &sensitive_inputs());
    let decls = config.declarations();
    assert_eq!(
        sensitive_of(decls, "membership.direct"),
        ["security_group_id"]
    );
    assert!(
        decls
            .iter()
            .find(|d| d.address().to_string() == "membership.direct")
            .unwrap()
            .is_sensitive("security_group_id")
    );
    assert!(sensitive_of(decls, "membership.plain").is_empty());
    assert!(sensitive_of(decls, "membership.eni").is_empty());
    // Two locals deep: local.chained → local.direct → var.secret_sg; the ignore list is plain.
    assert_eq!(
        sensitive_of(decls, "membership_set.chained"),
        ["security_group_ids"]
    );
    assert_eq!(
        sensitive_of(decls, "group_members.through_local"),
        ["instance_ids"]
    );
    // The values are there for the planner, but `Debug` never shows them.
    let shown = format!("{decls:?} {decls:#?} {config:?}");
    assert!(!shown.contains("topsecret"), "a secret leaked: {shown}");
    assert!(shown.contains("(sensitive value)"), "{shown}");
    assert!(shown.contains("sg-bp1plain000000000000"), "{shown}");
}

#[test]
fn a_sensitive_target_is_marked_and_hidden_from_debug() {
    let text = r#"
variable "enis" {
  type      = map(string)
  sensitive = true
}
membership "eni" {
  security_group_id    = "sg-bp1plain000000000000"
  network_interface_id = var.enis["web"]
}
"#;
    let inputs = Inputs {
        sources: vec![var("enis", "{ web = \"eni-bp1topsecret0000000\" }")],
        ..Inputs::default()
    };
    let config = load_ok(text, &inputs);
    let decls = config.declarations();
    assert_eq!(
        sensitive_of(decls, "membership.eni"),
        ["network_interface_id"]
    );
    let shown = format!("{decls:?}");
    assert!(!shown.contains("topsecret"), "{shown}");
    assert!(shown.contains("sg-bp1plain000000000000"), "{shown}");
}

#[test]
fn deferred_declarations_are_sensitive_only_when_they_use_a_sensitive_variable() {
    let text = r#"
variable "secret_sg" {
  type      = string
  sensitive = true
}
locals {
  secret = var.secret_sg
}
data "instances" "web" {
  vpc_id = "vpc-bp1opxu1zkhn00gzv26cm"
}
membership "from_data" {
  for_each          = toset(data.instances.web.ids)
  security_group_id = "sg-bp1plain000000000000"
  instance_id       = each.value
}
membership "from_data_secret_group" {
  for_each          = toset(data.instances.web.ids)
  security_group_id = local.secret
  instance_id       = each.value
}
"#;
    let inputs = Inputs {
        sources: vec![var("secret_sg", "sg-bp1topsecret0000000")],
        ..Inputs::default()
    };
    let config = load_ok(text, &inputs);
    assert_eq!(config.deferred().len(), 2);
    let mut data = DataResults::new();
    data.insert(
        DataKind::Instances,
        "web",
        vec![instance("i-bp1aaaaaaaaaaaaaaaa")],
    );
    let (decls, diags) = config.expand(&data);
    assert!(diags.is_empty(), "{diags:#?}");
    assert!(sensitive_of(&decls, "membership.from_data[\"i-bp1aaaaaaaaaaaaaaaa\"]").is_empty());
    assert_eq!(
        sensitive_of(
            &decls,
            "membership.from_data_secret_group[\"i-bp1aaaaaaaaaaaaaaaa\"]"
        ),
        ["security_group_id"]
    );
    let shown = format!("{decls:?}");
    assert!(!shown.contains("topsecret"), "{shown}");
}

const SENSITIVE_FOR_EACH: &str = r#"
variable "secret_ids" {
  type      = set(string)
  sensitive = true
}
variable "names" {
  type = set(string)
}
variable "groups" {
  type      = map(string)
  sensitive = true
}
locals {
  ids = toset(var.secret_ids)
}
membership "direct" {
  for_each          = var.secret_ids
  security_group_id = "sg-bp1plain000000000000"
  instance_id       = each.value
}
membership "via_local" {
  for_each          = local.ids
  security_group_id = "sg-bp1plain000000000000"
  instance_id       = each.value
}
membership "keys_not_secret" {
  for_each          = var.names
  security_group_id = var.groups[each.key]
  instance_id       = "i-bp1aaaaaaaaaaaaaaaa"
}
"#;

#[test]
fn for_each_over_a_sensitive_value_is_an_error_with_the_address() {
    let inputs = Inputs {
        sources: vec![
            var("secret_ids", "[\"i-bp1topsecret00000000\"]"),
            var("names", "[\"web\"]"),
            var("groups", "{ web = \"sg-bp1topsecret0000000\" }"),
        ],
        ..Inputs::default()
    };
    let (config, diags) = load(SENSITIVE_FOR_EACH, &inputs);
    let found: Vec<(String, String)> = diags
        .iter()
        .map(|d| {
            (
                d.summary.clone(),
                d.address
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
        })
        .collect();
    let summary = "invalid `for_each` argument: it is derived from a sensitive value";
    assert_eq!(
        found,
        [
            (summary.to_owned(), "membership.direct".to_owned()),
            (summary.to_owned(), "membership.via_local".to_owned()),
        ],
        "{diags:#?}"
    );
    let rendered = sgform::cli::printer::render_diagnostics(&diags, config.sources(), false);
    assert!(rendered.contains("uses `var.secret_ids`"), "{rendered}");
    assert!(
        rendered.contains("uses `local.ids`, which is derived from `var.secret_ids`"),
        "{rendered}"
    );
    assert!(!rendered.contains("topsecret"), "{rendered}");
    // Iterating over plain keys and looking the secret up inside the block is fine, and marked.
    let decls = config.declarations();
    assert_eq!(decls.len(), 1, "{decls:?}");
    assert_eq!(
        sensitive_of(decls, "membership.keys_not_secret[\"web\"]"),
        ["security_group_id"]
    );
}

#[test]
fn for_each_over_a_sensitive_value_is_reported_before_data_is_read() {
    // Under `validate` the variable has no value and the block also waits for data: the
    // problem is still found now, from the declaration alone.
    let text = r#"
variable "secret_ids" {
  type      = list(string)
  sensitive = true
}
data "instances" "web" {
  vpc_id = "vpc-bp1opxu1zkhn00gzv26cm"
}
membership "web" {
  for_each          = toset(concat(var.secret_ids, data.instances.web.ids))
  security_group_id = "sg-bp1plain000000000000"
  instance_id       = each.value
}
"#;
    let inputs = Inputs {
        validate_only: true,
        ..Inputs::default()
    };
    let (_, diags) = load(text, &inputs);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(
        diags[0]
            .address
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("membership.web")
    );
}

/// The one diagnostic of `text`: its summary, its label, and the source text its span covers.
#[track_caller]
fn one_error(text: &str, inputs: &Inputs) -> (String, String, String) {
    let (_, diags) = load(text, inputs);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    let span = d.primary.expect("a span");
    (
        d.summary.clone(),
        d.primary_label.clone().unwrap_or_default(),
        text[span.start..span.end].to_owned(),
    )
}

#[test]
fn issue_14_arithmetic_errors_are_diagnostics_with_the_attribute_span() {
    let none = Inputs::default();
    assert_eq!(
        one_error("locals {\n  a = 5 % 0\n}\n", &none),
        (
            "cannot evaluate `local.a`".to_owned(),
            "division by zero in `5 % 0`".to_owned(),
            "5 % 0".to_owned()
        )
    );
    for (expr, shown) in [
        ("9223372036854775807 + 1", "`9223372036854775807 + 1`"),
        ("-9223372036854775808 / -1", "`-9223372036854775808 / -1`"),
        ("4611686018427387904 * 2", "`4611686018427387904 * 2`"),
        ("-9223372036854775807 - 2", "`-9223372036854775807 - 2`"),
    ] {
        let (summary, label, span) = one_error(&format!("locals {{\n  a = {expr}\n}}\n"), &none);
        assert_eq!(summary, "cannot evaluate `local.a`");
        assert_eq!(
            label,
            format!("integer overflow in {shown}: the result does not fit in a 64-bit integer")
        );
        assert_eq!(span, expr);
    }
    // Inside a block, a function call, a `for` and a template, through a local.
    let text = r#"
locals {
  zero = 0
}
membership "web" {
  security_group_id = "sg-${length([for x in [1] : x % local.zero])}"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
}
"#;
    let (summary, label, span) = one_error(text, &none);
    assert_eq!(summary, "cannot evaluate `security_group_id`");
    assert_eq!(label, "division by zero in `1 % 0`");
    assert_eq!(span, r#""sg-${length([for x in [1] : x % local.zero])}""#);
    // A value computed in range is what it always was.
    let text = "locals {\n  a = 9223372036854775806 + 1\n  b = -7 % 2\n  c = 7 / 2\n}\n";
    assert!(load(text, &none).1.is_empty());
}

#[test]
fn issue_14_arithmetic_in_a_var_is_a_diagnostic() {
    let text = r#"
variable "n" {
  type = number
}
locals {
  m = var.n
}
"#;
    let inputs = Inputs {
        sources: vec![var("n", "5 % 0")],
        ..Inputs::default()
    };
    let (_, diags) = load(text, &inputs);
    let shown = format!("{diags:#?}");
    assert!(shown.contains("division by zero in `5 % 0`"), "{shown}");
}

#[test]
fn issue_14_validate_reports_division_by_zero_instead_of_panicking() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.hcl"), "locals {\n  a = 5 % 0\n}\n").unwrap();
    let out = sgform().arg("validate").arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("error: cannot evaluate `local.a`"),
        "{stderr}"
    );
    assert!(stderr.contains("division by zero in `5 % 0`"), "{stderr}");
    assert!(stderr.contains("main.hcl:2:7"), "{stderr}");

    // The same through `--var` on the command line.
    std::fs::write(
        dir.path().join("main.hcl"),
        "variable \"n\" {\n  type = number\n}\n",
    )
    .unwrap();
    let out = sgform()
        .arg("validate")
        .arg(dir.path())
        .args(["--var", "n=-9223372036854775808 / -1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("integer overflow in `-9223372036854775808 / -1`"),
        "{stderr}"
    );
}
