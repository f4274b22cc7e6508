//! `docs/rules.md` must equal the catalogue rendered from the rule registry.
//! `UPDATE_CATALOGUE=1 cargo test -p warden-rules --test catalogue` rewrites it.

use std::path::Path;

#[test]
fn docs_rules_md_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let rendered = warden_rules::rules::catalogue_markdown();
    if std::env::var_os("UPDATE_CATALOGUE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &rendered).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == rendered,
        "docs/rules.md is stale: run UPDATE_CATALOGUE=1 cargo test -p warden-rules --test catalogue"
    );
}
