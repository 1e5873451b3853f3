use super::*;

fn vars(list: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        list.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn the_location_names_user_host_port_database_schema_and_workspace_but_never_the_password() {
    let loc = PgLocation::new(
        Some("postgres://alice:s3cret-pw@db.internal:6543/states"),
        &vars(&[]),
        "sgform",
        "prod",
    )
    .unwrap();
    assert_eq!(
        loc.to_string(),
        "pg://alice@db.internal:6543/states (schema sgform, workspace prod)"
    );
    assert!(!format!("{loc:?}").contains("s3cret-pw"));
    assert_eq!(loc.scrub("x s3cret-pw y".to_owned()), "x *** y");
    let backend = Pg::new(loc);
    assert!(!format!("{backend:?}").contains("s3cret-pw"));
    assert_eq!(
        backend.location(),
        "pg://alice@db.internal:6543/states (schema sgform, workspace prod)"
    );
}

#[test]
fn libpq_variables_fill_in_what_the_string_leaves_out() {
    let env = vars(&[
        ("PGHOST", "pg.example"),
        ("PGPORT", "5433"),
        ("PGUSER", "bob"),
        ("PGPASSWORD", "from-env-pw"),
        ("PGDATABASE", "envdb"),
    ]);
    let loc = PgLocation::new(None, &env, "s", "w").unwrap();
    assert_eq!(
        loc.to_string(),
        "pg://bob@pg.example:5433/envdb (schema s, workspace w)"
    );
    assert_eq!(loc.scrub("from-env-pw".to_owned()), "***");
    // The string wins over the variables.
    let loc = PgLocation::new(Some("host=h user=carol dbname=d"), &env, "s", "w").unwrap();
    assert_eq!(
        loc.to_string(),
        "pg://carol@h:5433/d (schema s, workspace w)"
    );
}

#[test]
fn sslmode_picks_rustls_for_require_and_the_verifying_modes() {
    for (text, tls) in [
        ("postgres://u@h/d", Tls::Off),
        ("postgres://u@h/d?sslmode=disable", Tls::Off),
        ("postgres://u@h/d?sslmode=prefer", Tls::Off),
        ("postgres://u@h/d?sslmode=require", Tls::Verified),
        ("postgres://u@h/d?sslmode=verify-ca", Tls::Verified),
        ("host=h user=u sslmode=verify-full", Tls::Verified),
    ] {
        let loc = PgLocation::new(Some(text), &vars(&[]), "s", "w").unwrap();
        assert_eq!(loc.tls(), tls, "{text}");
    }
    let from_env = PgLocation::new(Some("host=h"), &vars(&[("PGSSLMODE", "require")]), "s", "w");
    assert_eq!(from_env.unwrap().tls(), Tls::Verified);
}

#[test]
fn a_bad_connection_string_is_refused_without_quoting_it() {
    for text in [
        "postgres://u:hunter2-pw@h/d?sslmode=hunter2-pw",
        "host=h password=hunter2-pw bogus_option=1",
    ] {
        let err = PgLocation::new(Some(text), &vars(&[]), "s", "w").unwrap_err();
        assert!(!err.to_string().contains("hunter2-pw"), "{err}");
    }
}

#[test]
fn lock_keys_differ_by_schema_and_by_workspace() {
    let a = sql::Sql::new("a", "default").lock_key;
    let b = sql::Sql::new("b", "default").lock_key;
    let a2 = sql::Sql::new("a", "other").lock_key;
    assert_ne!(a, b);
    assert_ne!(a, a2);
    assert_eq!(a, sql::Sql::new("a", "default").lock_key);
    // Not the separator's doing: ("ab", "c") and ("a", "bc") are different states.
    assert_ne!(
        sql::Sql::new("ab", "c").lock_key,
        sql::Sql::new("a", "bc").lock_key
    );
    assert!(a.0 >= 0 && a.1 >= 0);
}
