//! The project's own WSDL and XSD files (from `schemas/`), embedded at build time, and
//! the lookups a service needs to publish them: `GET <endpoint>?wsdl` and the schema
//! files its relative imports name.

use crate::registry::Contract;

include!(concat!(env!("OUT_DIR"), "/schema_files.rs"));

/// The WSDL of a contract, as `(path, contents)`.
pub fn wsdl(contract: Contract) -> Option<(&'static str, &'static str)> {
    let prefix = format!("{}Interaction_", contract.name());
    SCHEMA_FILES.iter().copied().find(|(path, _)| {
        path.ends_with(".wsdl")
            && path
                .rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with(&prefix))
    })
}

/// A file in a contract's WSDL folder (`GetDiagnosisResponder_2.0.xsd`), which a
/// client resolves relative to the endpoint URL `/<Contract>/<major>/rivtabp21`.
pub fn interaction_file(contract: Contract, name: &str) -> Option<&'static str> {
    if name.contains('/') || name.contains('\\') {
        return None;
    }
    let (wsdl_path, _) = wsdl(contract)?;
    let wanted = format!("{}/{name}", wsdl_path.rsplit_once('/')?.0);
    SCHEMA_FILES
        .iter()
        .find(|(path, _)| *path == wanted)
        .map(|(_, text)| *text)
}

/// A core component by file name. The WSDLs and Responder schemas import them as
/// `../../core_components/<name>`, which a client resolves to `/core_components/<name>`
/// on the server; the names are unique across domain releases (the registry header
/// schema, the one name shared, has the same contents everywhere; a test checks it).
pub fn core_component(name: &str) -> Option<&'static str> {
    if name.contains('/') || name.contains('\\') {
        return None;
    }
    let suffix = format!("/core_components/{name}");
    SCHEMA_FILES
        .iter()
        .find(|(path, _)| path.ends_with(&suffix))
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resolves `location` (a `schemaLocation` as written in a file served at `/<dir>/`)
    /// to the server path a client asks for: `../../core_components/x` → `core_components/x`.
    fn resolve(location: &str) -> (bool, &str) {
        match location.rsplit_once("core_components/") {
            Some((_, name)) => (true, name),
            None => (false, location),
        }
    }

    #[test]
    fn every_contract_has_an_embedded_wsdl_whose_imports_resolve() {
        for contract in Contract::ALL {
            let (_, wsdl_text) = wsdl(contract).expect("wsdl");
            let mut pending: Vec<(bool, String)> = vec![];
            let push_imports = |text: &str, in_core: bool, pending: &mut Vec<(bool, String)>| {
                for location in text.split("schemaLocation=\"").skip(1) {
                    let location = location.split('"').next().unwrap_or_default();
                    let (core, name) = resolve(location);
                    pending.push((core || in_core, name.to_owned()));
                }
            };
            push_imports(wsdl_text, false, &mut pending);
            let mut seen = std::collections::BTreeSet::new();
            while let Some((core, name)) = pending.pop() {
                if !seen.insert((core, name.clone())) {
                    continue;
                }
                let text = if core {
                    core_component(&name)
                } else {
                    interaction_file(contract, &name)
                };
                let text = text.unwrap_or_else(|| panic!("{contract}: {name} does not resolve"));
                push_imports(text, core, &mut pending);
            }
            assert!(seen.len() >= 2, "{contract}: imports followed: {seen:?}");
        }
    }

    #[test]
    fn core_component_names_are_unambiguous() {
        let mut by_name = std::collections::BTreeMap::new();
        for (path, text) in SCHEMA_FILES {
            if let Some((_, name)) = path.rsplit_once("/core_components/") {
                let previous = by_name.insert(name, *text);
                assert!(
                    previous.is_none_or(|p| p == *text),
                    "{name} differs between releases"
                );
            }
        }
    }

    #[test]
    fn path_traversal_is_refused() {
        assert!(interaction_file(Contract::GetDiagnosis, "../../../Cargo.toml").is_none());
        assert!(core_component("../Cargo.toml").is_none());
    }
}
