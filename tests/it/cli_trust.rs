//! Edges of the CLI where an ordinary mistake must not read as "nothing is managed" or "asks
//! for a flag": an explicit `--state` that does not exist, a directory with no configuration
//! given to `apply`, and text from a configuration or a world that tries to drive the terminal.

use std::path::Path;

use crate::support::run_sgform;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn quickstart_copy() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let dir = tempfile::tempdir().unwrap();
    for name in ["main.hcl", "world.json"] {
        std::fs::copy(root.join(name), dir.path().join(name)).unwrap();
    }
    dir
}

#[tokio::test]
async fn a_read_only_state_command_given_a_missing_state_file_names_it() {
    let dir = quickstart_copy();
    let d = dir.path().to_str().unwrap();
    let missing = dir.path().join("missing.json");
    let m = missing.to_str().unwrap();
    for args in [
        vec!["state", "list", d, "--state", m],
        vec![
            "state",
            "show",
            "membership.db_replication",
            d,
            "--state",
            m,
        ],
        vec!["show", d, "--state", m],
    ] {
        let out = run_sgform(&args, &[]).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with(&format!("error: state file `{m}` does not exist\n")),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!missing.exists(), "{args:?} created the state");
    }
    // Without `--state`, a directory with no state yet manages nothing: that is no error.
    let out = run_sgform(&["state", "list", d], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    // A command that writes the state creates the file `--state` names.
    let out = run_sgform(&["apply", d, "--auto-approve", "--state", m], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run_sgform(&["state", "list", d, "--state", m], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!out.stdout.is_empty());
}

#[tokio::test]
async fn apply_in_a_directory_without_configuration_says_so_whatever_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let e = empty.to_str().unwrap();
    for command in ["apply", "destroy"] {
        for flags in [&[][..], &["--json"][..], &["--auto-approve"][..]] {
            let mut args = vec![command, e];
            args.extend_from_slice(flags);
            let out = run_sgform(&args, &[]).await;
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let err = stderr(&out);
            assert!(
                err.starts_with(&format!("error: no configuration in `{e}")),
                "{args:?}: {err}"
            );
            assert!(!err.contains("--auto-approve"), "{args:?}: {err}");
        }
    }
    assert_eq!(
        std::fs::read_dir(&empty).unwrap().count(),
        0,
        "nothing created"
    );
}

/// Escape sequences, a carriage return and a bidirectional override: in a `for_each` key of the
/// configuration, and in the world's group names, instance names and tags (which a data source
/// filters on).
#[tokio::test]
async fn text_from_the_configuration_or_the_cloud_never_drives_the_terminal() {
    let dir = quickstart_copy();
    let path = dir.path().join("world.json");
    let mut world: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let evil = "\u{1b}[31mRED\u{1b}]0;title\u{7}\r\u{202e}x\u{9b}2J";
    for g in world["security_groups"].as_array_mut().unwrap() {
        let name = format!("{}{evil}", g["name"].as_str().unwrap());
        g["name"] = name.into();
        g["tags"] = serde_json::json!({ format!("k{evil}"): evil });
    }
    for i in world["instances"].as_array_mut().unwrap() {
        i["name"] = evil.into();
        i["tags"][format!("role{evil}")] = evil.into();
    }
    std::fs::write(&path, world.to_string()).unwrap();
    std::fs::write(
        dir.path().join("main.hcl"),
        r#"provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}

locals {
  keyed = { "a\u001b[31mred\r\u202eb" = "i-bp1web0example01" }
}

membership "keyed" {
  for_each          = local.keyed
  security_group_id = "sg-bp1dbexample001"
  instance_id       = each.value
}

data "instances" "tagged" {
  vpc_id = "vpc-bp1example0001"
  tags   = { "role\u001b[31m\r\u202e" = "x\u001b[2J" }
}

membership "tagged" {
  for_each          = toset(data.instances.tagged.ids)
  security_group_id = "sg-bp1appexample01"
  instance_id       = each.value
}
"#,
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let plan_file = dir.path().join("p.plan");
    let p = plan_file.to_str().unwrap();
    // The key shows, escaped: the reviewer sees what the address is.
    let out = run_sgform(&["plan", d], &[]).await;
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(r#"membership.keyed["a\u{1b}[31mred\r\u{202e}b"]"#),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // (Before the apply: once applied, the state keeps the key and the plan has no changes.)
    for args in [
        vec!["plan", d],
        vec!["plan", d, "--verbose"],
        vec!["plan", d, "--format", "markdown"],
        vec!["plan", d, "--out", p],
        vec!["show", p],
        vec!["show", p, "--verbose"],
        vec!["graph", d],
        vec!["validate", d],
        vec!["apply", d, "--auto-approve"],
        vec!["state", "list", d],
        vec!["show", d],
    ] {
        let out = run_sgform(&args, &[]).await;
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            let bad: Vec<char> = text
                .chars()
                .filter(|c| {
                    (c.is_control() && !matches!(c, '\n' | '\t'))
                        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
                })
                .collect();
            assert!(bad.is_empty(), "{args:?} {stream}: {bad:?} in\n{text}");
        }
    }
}
