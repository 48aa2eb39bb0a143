//! Recipe folders stacked in layers: kiln's built-in recipes at the bottom, then the
//! project's own `recipes/`, then each `--recipe-dir` in the order given. A name in an upper
//! folder overrides the same name below it, so a user folder holding one recipe builds on
//! kiln's runtime and libraries, and a project can replace a built-in recipe by writing its
//! own. [`Layers::list`] says where each recipe comes from (`kiln recipe list`).
//!
//! Names are matched against each folder's listing, never joined onto it (as in
//! [`super::load_named`]), and every folder follows the same rules as one recipe folder.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::{Recipe, RecipeError, close_matches, collect, load, normalize_name, recipe_folders};

/// Where a recipe folder comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// kiln's own recipes, carried in the binary ([`crate::builtin`]).
    BuiltIn,
    /// `recipes/` in the project folder.
    Project,
    /// A `--recipe-dir` on the command line.
    CommandLine,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::BuiltIn => "built-in",
            Origin::Project => "project",
            Origin::CommandLine => "--recipe-dir",
        })
    }
}

/// One recipe folder of the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub origin: Origin,
    pub dir: PathBuf,
}

/// Where one recipe name resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub origin: Origin,
    /// The recipe's folder (`<layer>/<name>`).
    pub dir: PathBuf,
    /// The lower layers that also have this name, lowest first.
    pub overrides: Vec<Origin>,
}

/// The recipe folders, lowest first.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    layers: Vec<Layer>,
}

impl Layers {
    /// `layers` lowest first. A folder listed twice (a project that is kiln's own checkout,
    /// whose `recipes/` is also built in) counts once, at its upper place.
    pub fn new(layers: Vec<Layer>) -> Self {
        let mut unique: Vec<Layer> = Vec::new();
        for layer in layers {
            let same = |other: &Layer| same_folder(&other.dir, &layer.dir);
            unique.retain(|other| !same(other));
            unique.push(layer);
        }
        Self { layers: unique }
    }

    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Every name and the folder it resolves to, sorted by name. A layer that is not a
    /// readable folder is an error naming it.
    pub fn list(&self) -> Result<Vec<Listed>, RecipeError> {
        let mut names: BTreeMap<String, Listed> = BTreeMap::new();
        for layer in &self.layers {
            for (name, dir) in recipe_folders(&layer.dir)? {
                let overrides = match names.remove(&name) {
                    Some(lower) => {
                        let mut overrides = lower.overrides;
                        overrides.push(lower.origin);
                        overrides
                    }
                    None => Vec::new(),
                };
                names.insert(
                    name.clone(),
                    Listed {
                        name,
                        origin: layer.origin,
                        dir,
                        overrides,
                    },
                );
            }
        }
        Ok(names.into_values().collect())
    }

    /// The recipe names of every layer, without loading them.
    pub fn names(&self) -> Result<Vec<String>, RecipeError> {
        Ok(self.list()?.into_iter().map(|listed| listed.name).collect())
    }

    /// Loads the recipe each name resolves to, sorted by name; every error is collected.
    pub fn load_all(&self) -> Result<Vec<Recipe>, Vec<RecipeError>> {
        let listed = self.list().map_err(|error| vec![error])?;
        collect(listed.iter().map(|listed| load(&listed.dir)))
    }

    /// Loads the recipes named (normalised, each once, in the order given).
    pub fn load_named<S: AsRef<str>>(&self, names: &[S]) -> Result<Vec<Recipe>, Vec<RecipeError>> {
        let listed = self.list().map_err(|error| vec![error])?;
        let mut seen = Vec::new();
        let results = names.iter().filter_map(|name| {
            let name = name.as_ref();
            let normalized = normalize_name(name);
            if seen.contains(&normalized) {
                return None;
            }
            seen.push(normalized.clone());
            Some(
                match listed.iter().find(|listed| listed.name == normalized) {
                    Some(listed) => load(&listed.dir),
                    None => Err(RecipeError::UnknownRecipe {
                        name: name.to_string(),
                        recipe_dirs: self.layers.iter().map(|layer| layer.dir.clone()).collect(),
                        close_matches: close_matches(
                            &normalized,
                            listed.iter().map(|listed| listed.name.as_str()),
                        )
                        .into_iter()
                        .take(3)
                        .map(str::to_string)
                        .collect(),
                    }),
                },
            )
        });
        collect(results)
    }
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (fs_err::canonicalize(a), fs_err::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe(root: &Path, name: &str, version: &str) {
        let dir = root.join(name);
        fs_err::create_dir_all(dir.join("src")).unwrap();
        fs_err::write(
            dir.join("recipe.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\n\n[source]\npath = \"src\"\n"),
        )
        .unwrap();
    }

    #[test]
    fn upper_folders_override_lower_ones_by_name() {
        let root = tempfile::tempdir().unwrap();
        let (builtin, project, user) = (
            root.path().join("builtin"),
            root.path().join("project"),
            root.path().join("user"),
        );
        recipe(&builtin, "zlib", "1.0");
        recipe(&builtin, "cpython", "3.15");
        recipe(&project, "zlib", "2.0");
        recipe(&user, "zlib", "3.0");
        recipe(&user, "mine", "0.1");
        let layers = Layers::new(vec![
            Layer {
                origin: Origin::BuiltIn,
                dir: builtin.clone(),
            },
            Layer {
                origin: Origin::Project,
                dir: project,
            },
            Layer {
                origin: Origin::CommandLine,
                dir: user.clone(),
            },
        ]);
        let listed = layers.list().unwrap();
        let names: Vec<_> = listed.iter().map(|l| (l.name.as_str(), l.origin)).collect();
        assert_eq!(
            names,
            [
                ("cpython", Origin::BuiltIn),
                ("mine", Origin::CommandLine),
                ("zlib", Origin::CommandLine)
            ]
        );
        assert_eq!(listed[2].overrides, [Origin::BuiltIn, Origin::Project]);
        assert_eq!(listed[2].dir, user.join("zlib"));
        let recipes = layers.load_all().unwrap();
        let zlib = recipes.iter().find(|r| r.package.name == "zlib").unwrap();
        assert_eq!(zlib.package.version, "3.0");
        let named = layers.load_named(&["CPython", "zlib", "cpython"]).unwrap();
        assert_eq!(named.len(), 2);
        assert_eq!(named[0].dir, builtin.join("cpython"));
        match &layers.load_named(&["zlb"]).unwrap_err()[0] {
            RecipeError::UnknownRecipe {
                close_matches,
                recipe_dirs,
                ..
            } => {
                assert_eq!(close_matches, &["zlib"]);
                assert_eq!(recipe_dirs.len(), 3);
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn one_folder_listed_twice_counts_once_at_its_upper_place() {
        let root = tempfile::tempdir().unwrap();
        recipe(root.path(), "zlib", "1.0");
        let layers = Layers::new(vec![
            Layer {
                origin: Origin::BuiltIn,
                dir: root.path().to_path_buf(),
            },
            Layer {
                origin: Origin::Project,
                dir: root
                    .path()
                    .join("../")
                    .join(root.path().file_name().unwrap()),
            },
        ]);
        assert_eq!(layers.layers().len(), 1);
        let listed = layers.list().unwrap();
        assert_eq!(listed[0].origin, Origin::Project);
        assert!(listed[0].overrides.is_empty());
    }

    #[test]
    fn a_missing_layer_is_an_error_naming_it() {
        let layers = Layers::new(vec![Layer {
            origin: Origin::CommandLine,
            dir: PathBuf::from("/nowhere/recipes"),
        }]);
        let error = layers.list().unwrap_err();
        assert!(error.to_string().contains("/nowhere/recipes"), "{error}");
    }
}
