//! Blocks fed by a data source that matched nothing (issue 14): which blocks read which data
//! sources, through locals, and the `allow_empty` attribute. The planner's side (the warning,
//! the errors) is in the golden plan cases `testdata/plan/empty_data_*`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use sgform::config::{self, Config, DataKind, Inputs};

fn load(text: &str) -> (Config, Vec<sgform::diag::Diagnostic>) {
    config::load_sources(
        vec![(PathBuf::from("main.hcl"), text.to_owned())],
        &Inputs::default(),
    )
}

const CONFIG: &str = r#"
data "instances" "web" {
  tags = { role = "wbe" }
}

data "instances" "db" {
  tags = { role = "db" }
}

locals {
  web_ids = data.instances.web.ids
  chosen  = [for i in local.web_ids : i if i != ""]
}

membership_set "through_locals" {
  for_each           = toset(local.chosen)
  instance_id        = each.value
  security_group_ids = ["sg-bp1web00000000"]
}

group_members "allowed" {
  security_group_id     = "sg-bp1web00000000"
  instance_ids          = data.instances.web.ids
  network_interface_ids = []
  allow_empty           = true
}

group_members "other" {
  security_group_id     = "sg-bp1app00000000"
  instance_ids          = data.instances.db.ids
  network_interface_ids = []
}

membership "literal" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
  depends_on        = [group_members.allowed]
}
"#;

fn empty(names: &[&str]) -> BTreeSet<(DataKind, String)> {
    names
        .iter()
        .map(|n| (DataKind::Instances, (*n).to_owned()))
        .collect()
}

#[test]
fn blocks_reading_an_empty_data_source_are_found_through_locals() {
    let (config, diags) = load(CONFIG);
    assert!(diags.is_empty(), "{diags:#?}");
    let feeds = config.empty_feeds(&empty(&["web"]));
    let found: Vec<(String, bool, Vec<String>)> = feeds
        .iter()
        .map(|f| {
            (
                f.block.to_string(),
                f.allow_empty,
                f.sources.iter().map(|r| r.address.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "membership_set.through_locals".to_owned(),
                false,
                vec!["data.instances.web".to_owned()]
            ),
            (
                "group_members.allowed".to_owned(),
                true,
                vec!["data.instances.web".to_owned()]
            ),
        ]
    );
    assert_eq!(feeds[0].sources[0].filters(), r#"tags = { role = "wbe" }"#);
    // `db` matched something: nothing reads an empty data source.
    assert!(config.empty_feeds(&BTreeSet::new()).is_empty());
    let db = config.empty_feeds(&empty(&["db"]));
    assert_eq!(db.len(), 1);
    assert_eq!(db[0].block.to_string(), "group_members.other");
}

#[test]
fn allow_empty_must_be_a_literal_bool() {
    let (_, diags) = load(
        r#"
group_members "web" {
  security_group_id     = "sg-bp1web00000000"
  instance_ids          = []
  network_interface_ids = []
  allow_empty           = "yes"
}
"#,
    );
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].summary, "wrong type for `allow_empty`");
}

#[test]
fn allow_empty_is_an_attribute_of_every_block_kind() {
    for kind in config::DeclarationKind::ALL {
        assert!(kind.attributes().contains(&"allow_empty"), "{kind}");
    }
}
