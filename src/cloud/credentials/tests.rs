use std::collections::BTreeMap;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

fn home_with(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".aliyun")).unwrap();
    std::fs::write(dir.path().join(".aliyun/config.json"), config).unwrap();
    dir
}

const PROFILES: &str = r#"{
  "current": "default",
  "profiles": [
    {"name": "default", "mode": "AK", "access_key_id": "LTAIprofile", "access_key_secret": "profile-secret", "region_id": "cn-shanghai"},
    {"name": "sts", "mode": "StsToken", "access_key_id": "STS.abc", "access_key_secret": "sts-secret", "sts_token": "tok", "region_id": "cn-beijing"},
    {"name": "role", "mode": "RamRoleArn", "access_key_id": "LTAIx", "access_key_secret": "y"}
  ],
  "meta_path": ""
}"#;

#[test]
fn provider_settings_win_over_everything() {
    let home = home_with(PROFILES);
    let settings = ProviderSettings {
        access_key: Some("LTAIsettings".into()),
        secret_key: Some(Secret::new("s")),
        ..Default::default()
    };
    let env = env_of(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "e"),
    ]);
    let c = resolve_credentials(&settings, &env, Some(home.path())).unwrap();
    assert_eq!(c.access_key_id, "LTAIsettings");
    assert_eq!(c.source, CredentialSource::ProviderSettings);
}

#[test]
fn sdk_variables_win_over_terraform_variables_and_profile() {
    let home = home_with(PROFILES);
    let env = env_of(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIsdk"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sdk-secret"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "sdk-token"),
        ("ALICLOUD_ACCESS_KEY", "LTAItf"),
        ("ALICLOUD_SECRET_KEY", "tf-secret"),
    ]);
    let c = resolve_credentials(&ProviderSettings::default(), &env, Some(home.path())).unwrap();
    assert_eq!(c.access_key_id, "LTAIsdk");
    assert_eq!(
        c.security_token.as_ref().map(Secret::expose),
        Some("sdk-token")
    );
    let env = env_of(&[
        ("ALICLOUD_ACCESS_KEY", "LTAItf"),
        ("ALICLOUD_SECRET_KEY", "tf-secret"),
    ]);
    let c = resolve_credentials(&ProviderSettings::default(), &env, Some(home.path())).unwrap();
    assert_eq!(c.access_key_id, "LTAItf");
    assert_eq!(
        c.source,
        CredentialSource::Environment {
            id_var: "ALICLOUD_ACCESS_KEY"
        }
    );
}

#[test]
fn half_set_environment_is_an_error_not_a_fall_through() {
    let env = env_of(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIsdk")]);
    let err = resolve_credentials(&ProviderSettings::default(), &env, None).unwrap_err();
    assert!(
        err.to_string()
            .contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET is not"),
        "{err}"
    );
}

#[test]
fn profile_current_then_named_by_env_then_by_setting() {
    let home = home_with(PROFILES);
    let none = env_of(&[]);
    let c = resolve_credentials(&ProviderSettings::default(), &none, Some(home.path())).unwrap();
    assert_eq!(c.access_key_id, "LTAIprofile");
    assert!(c.security_token.is_none());
    let env = env_of(&[("ALIBABA_CLOUD_PROFILE", "sts")]);
    let c = resolve_credentials(&ProviderSettings::default(), &env, Some(home.path())).unwrap();
    assert_eq!(c.access_key_id, "STS.abc");
    assert_eq!(c.security_token.as_ref().map(Secret::expose), Some("tok"));
    let settings = ProviderSettings {
        profile: Some("default".into()),
        ..Default::default()
    };
    let c = resolve_credentials(&settings, &env, Some(home.path())).unwrap();
    assert_eq!(c.access_key_id, "LTAIprofile");
    assert_eq!(
        resolve_region(&settings, &env, Some(home.path()))
            .unwrap()
            .as_str(),
        "cn-shanghai"
    );
}

#[test]
fn unsupported_mode_and_missing_profile_are_clear_errors() {
    let home = home_with(PROFILES);
    let settings = ProviderSettings {
        profile: Some("role".into()),
        ..Default::default()
    };
    let err = resolve_credentials(&settings, &env_of(&[]), Some(home.path())).unwrap_err();
    assert!(
        err.to_string()
            .contains("mode `RamRoleArn` is not supported"),
        "{err}"
    );
    let settings = ProviderSettings {
        profile: Some("nope".into()),
        ..Default::default()
    };
    let err = resolve_credentials(&settings, &env_of(&[]), Some(home.path())).unwrap_err();
    assert!(
        err.to_string()
            .contains("profile `nope` (from `--profile`) is not in the file"),
        "{err}"
    );
}

#[test]
fn missing_credentials_name_only_the_sources_that_exist() {
    let home = tempfile::tempdir().unwrap();
    let err = resolve_credentials(
        &ProviderSettings::default(),
        &env_of(&[]),
        Some(home.path()),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("no Alibaba Cloud credentials found: no credential environment variable is set and there is no aliyun CLI profile file\nhint: set ALIBABA_CLOUD_ACCESS_KEY_ID"),
        "{text}"
    );
    let head = text.split("\nhint:").next().unwrap();
    for absent in ["provider settings", "ALICLOUD_ACCESS_KEY", "config.json"] {
        assert!(!head.contains(absent), "{absent} in: {text}");
    }

    // What is there but gives nothing is listed: an empty variable, a lone token, a profile
    // file without a current profile (and then the hint says how to name one).
    let home = home_with(r#"{"profiles": [{"name": "a", "mode": "AK"}]}"#);
    let settings = ProviderSettings {
        origin: Origin::Provider {
            name: "alicloud.west".into(),
            declared: true,
        },
        ..Default::default()
    };
    let env = env_of(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
        ("ALICLOUD_SECURITY_TOKEN", "tok"),
    ]);
    let text = resolve_credentials(&settings, &env, Some(home.path()))
        .unwrap_err()
        .to_string();
    for found in [
        "- environment ALIBABA_CLOUD_ACCESS_KEY_ID: set but empty",
        "- environment ALICLOUD_SECURITY_TOKEN: set, but ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY are not",
        "config.json: no profile requested and no `current` profile",
        "hint: set `profile = \"NAME\"` in the block of provider `alicloud.west`, set ALIBABA_CLOUD_PROFILE, or set",
    ] {
        assert!(text.contains(found), "{found} missing from: {text}");
    }
    assert!(
        !text.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET: "),
        "{text}"
    );
}

#[test]
fn region_hint_names_the_flag_or_the_provider_block() {
    let none = env_of(&[]);
    let hint = |origin: Origin| {
        let settings = ProviderSettings {
            origin,
            ..Default::default()
        };
        resolve_region(&settings, &none, None)
            .unwrap_err()
            .to_string()
    };
    let text = hint(Origin::Flags);
    assert!(text.contains("- `--region`: not set"), "{text}");
    assert!(
        text.ends_with("hint: pass `--region cn-hangzhou`, or set ALIBABA_CLOUD_REGION_ID"),
        "{text}"
    );
    let text = hint(Origin::Provider {
        name: "alicloud".into(),
        declared: true,
    });
    assert!(
        text.contains("- `region` of provider `alicloud`: not set"),
        "{text}"
    );
    assert!(
        text.ends_with("hint: set `region = \"cn-hangzhou\"` in the block of provider `alicloud`, or set ALIBABA_CLOUD_REGION_ID"),
        "{text}"
    );
    let text = hint(Origin::Provider {
        name: "alicloud".into(),
        declared: false,
    });
    assert!(
        text.contains(
            "hint: add `provider \"alicloud\" { region = \"cn-hangzhou\" }` to the configuration"
        ),
        "{text}"
    );
    assert!(!text.contains("--region"), "{text}");
}

#[test]
fn region_chain_order() {
    let home = home_with(PROFILES);
    let env = env_of(&[
        ("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou"),
        ("ALICLOUD_REGION", "cn-beijing"),
    ]);
    let settings = ProviderSettings {
        region: Some("eu-central-1".into()),
        ..Default::default()
    };
    assert_eq!(
        resolve_region(&settings, &env, Some(home.path()))
            .unwrap()
            .as_str(),
        "eu-central-1"
    );
    let d = ProviderSettings::default();
    assert_eq!(
        resolve_region(&d, &env, Some(home.path()))
            .unwrap()
            .as_str(),
        "cn-hangzhou"
    );
    let env = env_of(&[("ALICLOUD_REGION", "cn-beijing")]);
    assert_eq!(
        resolve_region(&d, &env, Some(home.path()))
            .unwrap()
            .as_str(),
        "cn-beijing"
    );
    assert_eq!(
        resolve_region(&d, &env_of(&[]), Some(home.path()))
            .unwrap()
            .as_str(),
        "cn-shanghai"
    );
    let err = resolve_region(&d, &env_of(&[]), None).unwrap_err();
    assert!(
        err.to_string().contains("ALICLOUD_REGION: not set"),
        "{err}"
    );
}

#[test]
fn endpoint_chain_order() {
    let region = RegionId::parse("cn-hangzhou").unwrap();
    let env = env_of(&[("ALIBABA_CLOUD_ENDPOINT_ECS", "http://env")]);
    let with = ProviderSettings {
        endpoint: Some("http://setting".into()),
        ..Default::default()
    };
    assert_eq!(
        resolve_endpoint(Some("http://flag"), &with, &env, &region),
        "http://flag"
    );
    assert_eq!(
        resolve_endpoint(None, &with, &env, &region),
        "http://setting"
    );
    assert_eq!(
        resolve_endpoint(None, &ProviderSettings::default(), &env, &region),
        "http://env"
    );
    assert_eq!(
        resolve_endpoint(None, &ProviderSettings::default(), &env_of(&[]), &region),
        "https://ecs.cn-hangzhou.aliyuncs.com"
    );
}

#[test]
fn debug_of_credentials_hides_secret_and_token() {
    let c = Credentials::new("LTAIid", Secret::new("very-secret"))
        .with_security_token(Secret::new("very-token"));
    let text = format!("{c:?}");
    assert!(
        !text.contains("very-secret") && !text.contains("very-token"),
        "{text}"
    );
}
