//! Sensitive values stay out of `SGFORM_LOG=debug` lines: a sensitive variable's instance ID is
//! in every request and answer of the refresh and the apply, and no log line shows it (the
//! other instance's ID, not sensitive, shows that the lines are there and would show it).

use crate::support::cli_env::{CliEnv, group, instance, world};

const HIDDEN: &str = "i-bp1dir00000001";
const SHOWN: &str = "i-bp1dir00000002";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_mask_sensitive_values() {
    let env = CliEnv::start(
        world(
            vec![group("sg-bp1dirbase0000"), group("sg-bp1dirgrpa0000")],
            [HIDDEN, SHOWN]
                .iter()
                .map(|id| instance(id, &["sg-bp1dirbase0000"]))
                .collect(),
            vec![],
        ),
        &format!(
            "variable \"web\" {{\n  type      = string\n  sensitive = true\n  default   = \"{HIDDEN}\"\n}}\n\nmembership \"web\" {{\n  security_group_id = \"sg-bp1dirgrpa0000\"\n  instance_id       = var.web\n}}\n\nmembership \"other\" {{\n  security_group_id = \"sg-bp1dirgrpa0000\"\n  instance_id       = \"{SHOWN}\"\n}}\n"
        ),
    )
    .await;
    for args in [&["plan"][..], &["apply", "--auto-approve"], &["plan"]] {
        let out = tokio::process::Command::from(crate::support::sgform())
            .args(args)
            .current_dir(env.dir.path())
            .envs(env.envs())
            .env("SGFORM_LOG", "debug")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}:\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("POST Signature=***"),
            "{args:?}: no debug lines:\n{stderr}"
        );
        assert!(
            stderr.contains(SHOWN),
            "{args:?}: the control ID is not logged:\n{stderr}"
        );
        let leaked: Vec<&str> = stderr.lines().filter(|l| l.contains(HIDDEN)).collect();
        assert!(
            leaked.is_empty(),
            "{args:?}: the sensitive value in the log:\n{}",
            leaked.join("\n")
        );
        assert!(!stdout.contains(HIDDEN), "{args:?}:\n{stdout}");
    }
    assert_eq!(
        env.groups_of(HIDDEN).await,
        ["sg-bp1dirbase0000", "sg-bp1dirgrpa0000"],
        "the sensitive pair was joined all the same"
    );
}
