//! `schema.graphql` is generated from the code and must not drift from it.

#[test]
fn schema_graphql_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let generated = spoke_bandwidth::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).expect("write schema.graphql");
        return;
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "schema.graphql differs from the schema in the code; regenerate it with:\n    UPDATE_SCHEMA=1 cargo test --test api schema_graphql_is_up_to_date"
    );
}
