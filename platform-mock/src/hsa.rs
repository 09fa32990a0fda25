//! The HSA tree: which unit is the parent of which, for route and authorisation lookups
//! that climb from a logical address towards the root (`SE`).
//!
//! As in SKLTP's hsa-cache, a unit the tree does not know has the root `SE` as its
//! parent, and the root has none. Identifiers compare case-insensitively.
//!
//! File format (TOML), see `platform-mock/README.md`:
//!
//! ```toml
//! [[units]]
//! hsa_id = "SE2120009994-0001"   # the unit
//! parent = "SE2120009994-0000"   # optional; missing means the root `SE`
//! name = "Elevhälsan"            # optional, informational
//! ```

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::tak::{LoadError, check_hsa_id};

/// The root of the HSA tree.
pub const ROOT: &str = "SE";

/// One unit of the tree file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HsaUnit {
    /// The unit's HSA-ID.
    pub hsa_id: String,
    /// Its parent (missing: the root `SE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// A name, for people reading the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The tree file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HsaFile {
    /// Every unit.
    #[serde(default)]
    pub units: Vec<HsaUnit>,
}

/// The loaded tree: lower-cased unit → lower-cased parent.
#[derive(Debug, Clone, Default)]
pub struct HsaTree {
    parents: HashMap<String, String>,
}

impl HsaTree {
    /// Reads and checks a tree file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: HsaFile = toml::from_str(&text).map_err(|source| LoadError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        Self::from_file(&file).map_err(|reason| LoadError::Invalid {
            path: path.to_owned(),
            reason,
        })
    }

    /// Builds the tree; refuses bad HSA-IDs, a unit listed twice and cycles.
    pub fn from_file(file: &HsaFile) -> Result<Self, String> {
        let mut parents = HashMap::with_capacity(file.units.len());
        for unit in &file.units {
            check_hsa_id("units.hsa_id", &unit.hsa_id)?;
            let parent = match &unit.parent {
                Some(parent) => {
                    check_hsa_id("units.parent", parent)?;
                    parent.to_ascii_lowercase()
                }
                None => ROOT.to_ascii_lowercase(),
            };
            let id = unit.hsa_id.to_ascii_lowercase();
            if id == ROOT.to_ascii_lowercase() {
                return Err("the root `SE` cannot be listed as a unit".into());
            }
            if parents.insert(id, parent).is_some() {
                return Err(format!("unit {} is listed twice", unit.hsa_id));
            }
        }
        // Every climb must leave the listed units (to an unlisted one or the root).
        for unit in &file.units {
            let mut seen = std::collections::HashSet::new();
            let mut current = unit.hsa_id.to_ascii_lowercase();
            while let Some(parent) = parents.get(&current) {
                if !seen.insert(current.clone()) {
                    return Err(format!("the parents of {} form a cycle", unit.hsa_id));
                }
                current = parent.clone();
            }
        }
        Ok(HsaTree { parents })
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    /// Whether the tree has no units.
    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    /// The parent of `hsa_id` (lower-cased): its listed parent, the root for an unknown
    /// unit, none for the root itself.
    pub fn parent(&self, hsa_id: &str) -> Option<String> {
        let id = hsa_id.to_ascii_lowercase();
        if id == ROOT.to_ascii_lowercase() {
            return None;
        }
        Some(
            self.parents
                .get(&id)
                .cloned()
                .unwrap_or_else(|| ROOT.to_ascii_lowercase()),
        )
    }

    /// The parents of `hsa_id`, nearest first, ending with the root (lower-cased). At
    /// most `len() + 2` steps (listed units, one unlisted parent, the root).
    pub fn ancestors(&self, hsa_id: &str) -> Ancestors<'_> {
        Ancestors {
            tree: self,
            current: Some(hsa_id.to_ascii_lowercase()),
            left: self.parents.len() + 2,
        }
    }
}

/// Iterator over the parents of a unit; see [`HsaTree::ancestors`].
#[derive(Debug)]
pub struct Ancestors<'a> {
    tree: &'a HsaTree,
    current: Option<String>,
    left: usize,
}

impl Iterator for Ancestors<'_> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let parent = self.tree.parent(self.current.as_deref()?)?;
        self.current = Some(parent.clone());
        Some(parent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, parent: Option<&str>) -> HsaUnit {
        HsaUnit {
            hsa_id: id.into(),
            parent: parent.map(Into::into),
            name: None,
        }
    }

    #[test]
    fn climbs_to_the_root() {
        let tree = HsaTree::from_file(&HsaFile {
            units: vec![
                unit("SE1-LEAF", Some("SE1-MID")),
                unit("SE1-MID", Some("SE1-TOP")),
                unit("SE1-TOP", None),
            ],
        })
        .unwrap();
        let path: Vec<_> = tree.ancestors("se1-leaf").collect();
        assert_eq!(path, ["se1-mid", "se1-top", "se"]);
        assert_eq!(tree.ancestors("unknown").collect::<Vec<_>>(), ["se"]);
        assert_eq!(tree.ancestors("SE").count(), 0);
        assert_eq!(tree.len(), 3);
        let partial = HsaTree::from_file(&HsaFile {
            units: vec![unit("SE1-LEAF", Some("SE1-UNLISTED"))],
        })
        .unwrap();
        let path: Vec<_> = partial.ancestors("SE1-LEAF").collect();
        assert_eq!(path, ["se1-unlisted", "se"]);
    }

    #[test]
    fn refuses_cycles_duplicates_and_bad_ids() {
        let cycle = HsaFile {
            units: vec![unit("SE1-A", Some("SE1-B")), unit("SE1-B", Some("SE1-A"))],
        };
        assert!(HsaTree::from_file(&cycle).unwrap_err().contains("cycle"));
        let twice = HsaFile {
            units: vec![unit("SE1-A", None), unit("se1-a", None)],
        };
        assert!(HsaTree::from_file(&twice).unwrap_err().contains("twice"));
        let padded = HsaFile {
            units: vec![unit(" SE1-A", None)],
        };
        assert!(HsaTree::from_file(&padded).is_err());
    }
}
