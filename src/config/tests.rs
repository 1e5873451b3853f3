//! Unit tests of the pieces behind `config::load`; whole-configuration behaviour is tested in
//! `tests/it/config_eval.rs` and the golden cases.

use std::path::PathBuf;

use hcl::Value;

use super::cost::{self, Counts};
use super::functions::to_set;
use super::refs::cycles;
use super::{DataKind, DataRecord, DataResults, Inputs, load_sources, suggest};

#[test]
fn suggest_finds_close_names_only() {
    let names = ["security_group_id", "instance_id", "network_interface_id"];
    assert_eq!(
        suggest("security_grop_id", names),
        Some("security_group_id")
    );
    assert_eq!(suggest("instanceid", names), Some("instance_id"));
    assert_eq!(suggest("colour", names), None);
}

#[test]
fn cycles_name_every_member_and_self_loops() {
    // 0 → 1 → 2 → 0, 3 → 3, 4 → 0 (not in a cycle).
    let edges = vec![vec![1], vec![2], vec![0], vec![3], vec![0]];
    assert_eq!(cycles(&edges), vec![vec![0, 1, 2], vec![3]]);
    assert!(cycles(&[vec![1], vec![]]).is_empty());
}

#[test]
fn a_very_long_reference_chain_does_not_overflow_the_stack() {
    // 0 → 1 → … → n-1 → 0: one cycle of every node; a recursive search would overflow here.
    let n = 200_000;
    let edges: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
    let found = cycles(&edges);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), n);
}

/// A configuration of `2n` memberships (each ID listed twice): `n` from a `set(string)`
/// variable's default, `n` from a data source's results through a local; then the counters of
/// `load_sources` and `expand` together.
fn load_and_expand_counts(n: usize) -> (usize, Counts) {
    let id = |k: usize| format!("i-bp1{k:017}");
    let listed: Vec<String> = (0..n).flat_map(|k| [id(k), id(k)]).collect();
    let text = format!(
        r#"
variable "ids" {{
  type    = set(string)
  default = [{}]
}}
locals {{
  web_sg   = "sg-bp1fg655nh68xyz9i4w1"
  data_ids = distinct(data.instances.web.ids)
}}
data "instances" "web" {{
  vpc_id = "vpc-bp1opxu1zkhn00gzv26cm"
}}
membership "from_var" {{
  for_each          = toset(var.ids)
  security_group_id = local.web_sg
  instance_id       = each.value
}}
membership "from_data" {{
  for_each          = toset(local.data_ids)
  security_group_id = "sg-bp1fg655nh68xyz9i4w2"
  instance_id       = each.key
}}
membership "fixed" {{
  security_group_id = local.web_sg
  instance_id       = "i-bp1fixed00000000000"
}}
"#,
        listed
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let records = listed
        .iter()
        .map(|s| DataRecord {
            id: s.clone(),
            ..DataRecord::default()
        })
        .collect();
    let mut data = DataResults::new();
    data.insert(DataKind::Instances, "web", records);

    cost::reset();
    let (config, diags) = load_sources(vec![(PathBuf::from("main.hcl"), text)], &Inputs::default());
    assert!(diags.is_empty(), "{diags:#?}");
    let (decls, diags) = config.expand(&data);
    assert!(diags.is_empty(), "{diags:#?}");
    (decls.len(), cost::counts())
}

#[test]
fn issue_7_expansion_work_grows_linearly_with_for_each_instances() {
    let (small_n, small) = load_and_expand_counts(300);
    let (big_n, big) = load_and_expand_counts(3_000);
    assert_eq!(small_n, 2 * 300 + 1);
    assert_eq!(big_n, 2 * 3_000 + 1);
    // Contexts are built per stage (locals, providers, data filters, blocks), never per
    // instance: their number does not depend on n at all. A copy per `for_each` instance
    // (the quadratic load of issue 7) would make it 6,000 here.
    assert_eq!(
        big.context_copies, small.context_copies,
        "{small:?} {big:?}"
    );
    assert!(small.context_copies <= 16, "{small:?}");
    // What those copies clone grows with the values they hold (the IDs), so 10× the
    // instances may clone about 10× the values, never 100×.
    assert!(
        big.context_values <= 11 * small.context_values,
        "{small:?} {big:?}"
    );
    // `toset` and `distinct` compare each element with the few that share its sort key
    // (here its one duplicate), not with every element kept so far.
    assert!(small.set_comparisons > 0, "{small:?}");
    assert!(
        big.set_comparisons <= 11 * small.set_comparisons,
        "{small:?} {big:?}"
    );
    assert!(big.set_comparisons <= 8 * 2 * 3_000, "{big:?}");
}

#[test]
fn to_set_sorts_distinct_values_and_keeps_first_occurrence_among_equal_keys() {
    let s = |v: &str| Value::String(v.to_owned());
    let n = |v: u64| Value::from(v);
    // `"1"` and `1` are different values with the same sort key: both stay, in their order
    // of first occurrence; repeats of either go.
    let items = [s("b"), n(1), s("a"), s("1"), s("b"), n(1), s("1")];
    assert_eq!(to_set(&items), vec![n(1), s("1"), s("a"), s("b")]);
    let items = [s("1"), n(1)];
    assert_eq!(to_set(&items), vec![s("1"), n(1)]);
    assert!(to_set(&[]).is_empty());
}

#[test]
fn distinct_keeps_the_order_of_first_occurrence() {
    let eval = |text: &str| -> Value {
        let expr: hcl::Expression = text.parse().unwrap();
        hcl::eval::Evaluate::evaluate(&expr, &super::expr::base_context()).unwrap()
    };
    assert_eq!(
        eval(r#"distinct(["b", 1, "a", "1", "b", 1])"#),
        eval(r#"["b", 1, "a", "1"]"#)
    );
    assert_eq!(
        eval(r#"toset(["b", 1, "a", "1", "b", 1])"#),
        eval(r#"[1, "1", "a", "b"]"#)
    );
}

/// The counters of loading a configuration with a variable of 1,000 IDs and `locals` locals,
/// each using the variable and the previous local.
fn locals_counts(locals: usize) -> Counts {
    let ids: Vec<String> = (0..1_000).map(|k| format!("\"i-bp1{k:017}\"")).collect();
    let mut text = format!(
        "variable \"ids\" {{\n  default = [{}]\n}}\nlocals {{\n  l0 = 0\n",
        ids.join(", ")
    );
    for k in 1..locals {
        text.push_str(&format!("  l{k} = length(var.ids) + local.l{}\n", k - 1));
    }
    text.push_str("}\n");
    cost::reset();
    let (config, diags) = load_sources(vec![(PathBuf::from("main.hcl"), text)], &Inputs::default());
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(config.declarations().len(), 0);
    cost::counts()
}

#[test]
fn issue_7_locals_are_evaluated_in_one_context() {
    let small = locals_counts(10);
    let big = locals_counts(100);
    // One context for all locals: 10× the locals copy the 1,000 IDs no more often. A context
    // per local would copy them 100 times.
    assert_eq!(
        big.context_copies, small.context_copies,
        "{small:?} {big:?}"
    );
    assert!(
        big.context_values < small.context_values + 1_000,
        "{small:?} {big:?}"
    );
}

/// Every traversal rooted at `var`, `local` or `data` left in an expression (as text).
fn roots_left(expr: &hcl::Expression, out: &mut Vec<String>) {
    use hcl::expr::{Expression as E, Operation, TraversalOperator as Op};
    match expr {
        E::Traversal(t) => {
            if let E::Variable(v) = &t.expr
                && matches!(v.as_str(), "var" | "local" | "data")
            {
                out.push(v.as_str().to_owned());
            }
            roots_left(&t.expr, out);
            for op in &t.operators {
                if let Op::Index(i) = op {
                    roots_left(i, out);
                }
            }
        }
        E::Variable(v) if matches!(v.as_str(), "var" | "local" | "data") => {
            out.push(v.as_str().to_owned());
        }
        E::Array(items) => items.iter().for_each(|e| roots_left(e, out)),
        E::Object(o) => o.values().for_each(|e| roots_left(e, out)),
        E::FuncCall(f) => f.args.iter().for_each(|e| roots_left(e, out)),
        E::Parenthesis(e) => roots_left(e, out),
        E::Conditional(c) => {
            roots_left(&c.cond_expr, out);
            roots_left(&c.true_expr, out);
            roots_left(&c.false_expr, out);
        }
        E::Operation(op) => match op.as_ref() {
            Operation::Unary(u) => roots_left(&u.expr, out),
            Operation::Binary(b) => {
                roots_left(&b.lhs_expr, out);
                roots_left(&b.rhs_expr, out);
            }
        },
        E::ForExpr(f) => {
            roots_left(&f.collection_expr, out);
            if let Some(k) = &f.key_expr {
                roots_left(k, out);
            }
            roots_left(&f.value_expr, out);
            if let Some(c) = &f.cond_expr {
                roots_left(c, out);
            }
        }
        _ => {}
    }
}

/// hcl-rs evaluates `local.web[k]` by cloning all of `local` first; inside a `for` over the
/// records of a data source that was quadratic (a 10,000-membership configuration took 90 s).
/// Every reference must read its own flattened variable instead.
#[test]
fn issue_7_references_read_one_value_not_their_whole_root() {
    let text = r#"x = { for t in local.records : t.id => local.group[t.tags.role] if var.on && length(data.instances.web.ids) > 0 }"#;
    let body: hcl_edit::structure::Body = text.parse().unwrap();
    let attr = body.get_attribute("x").unwrap();
    let mut expr: hcl::Expression = attr.value.clone().into();
    let flat: std::collections::HashSet<String> = [
        "local.records",
        "local.group",
        "var.on",
        "data.instances.web",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    super::expr::flatten(&mut expr, &flat);
    let mut left = Vec::new();
    roots_left(&expr, &mut left);
    assert!(
        left.is_empty(),
        "references still read their whole root: {left:?}"
    );

    // And evaluation with only the flattened variables declared gives the same value.
    let mut ctx = super::expr::base_context();
    let rec = |id: &str, role: &str| hcl::value!({ id = (id), tags = { role = (role) } });
    ctx.declare_var(
        hcl::Identifier::unchecked("local.records"),
        Value::Array(vec![rec("i-1", "web"), rec("i-2", "db")]),
    );
    ctx.declare_var(
        hcl::Identifier::unchecked("local.group"),
        hcl::value!({ web = "sg-web", db = "sg-db" }),
    );
    ctx.declare_var(hcl::Identifier::unchecked("var.on"), Value::Bool(true));
    ctx.declare_var(
        hcl::Identifier::unchecked("data.instances.web"),
        hcl::value!({ ids = ["i-1"] }),
    );
    let v = hcl::eval::Evaluate::evaluate(&expr, &ctx).unwrap();
    assert_eq!(v, hcl::value!({ "i-1" = "sg-web", "i-2" = "sg-db" }));
}
