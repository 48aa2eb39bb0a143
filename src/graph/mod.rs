//! The recipe graph: which recipes a command line selects, what they depend on, and the
//! order to build them in.
//!
//! Selection follows pyodide-build: plain names, `tag:NAME` for every recipe with that tag,
//! `*` for all, and `!NAME` to leave one out. The selection is then closed over host and run
//! requirements (a package cannot be built or loaded without them). Unknown names and cycles
//! are errors that name the chain.

pub mod check;
pub mod schedule;

use std::collections::{BTreeMap, BTreeSet};

use crate::recipe::{BuildKind, Recipe};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GraphError {
    #[error("no recipe named `{name}`{}", required_by.as_ref().map(|by| format!(" (required by `{by}`)")).unwrap_or_default())]
    Unknown {
        name: String,
        required_by: Option<String>,
    },
    #[error("dependency cycle: {}", chain.join(" → "))]
    Cycle { chain: Vec<String> },
    #[error("nothing selected by: {}", patterns.join(" "))]
    Empty { patterns: Vec<String> },
    /// A pattern with nothing after its prefix (`!`, `tag:`, `!tag:`, or empty).
    #[error(
        "`{pattern}` names no recipe and no tag; expected a name, `tag:NAME`, `*`, or `!` before a name or tag"
    )]
    EmptyPattern { pattern: String },
}

/// Recipes by name, with edges to their host and run requirements.
pub struct Graph<'a> {
    recipes: BTreeMap<&'a str, &'a Recipe>,
}

impl<'a> Graph<'a> {
    pub fn new(recipes: &'a [Recipe]) -> Self {
        Self {
            recipes: recipes
                .iter()
                .map(|recipe| (recipe.package.name.as_str(), recipe))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&'a Recipe> {
        self.recipes.get(name).copied()
    }

    /// The runtime recipe (type `runtime`), which every package builds against.
    pub fn runtime(&self) -> Option<&'a Recipe> {
        self.recipes
            .values()
            .copied()
            .find(|recipe| recipe.build.kind == BuildKind::Runtime)
    }

    /// Recipes a build of `name` needs first: host and run requirements, and for packages
    /// the runtime (its headers and sysconfig are the cross-build environment).
    pub fn dependencies(&self, name: &str) -> Vec<&'a str> {
        let Some(recipe) = self.get(name) else {
            return Vec::new();
        };
        let runtime = match (recipe.build.kind, self.runtime()) {
            (BuildKind::Package, Some(runtime)) => Some(runtime.package.name.as_str()),
            _ => None,
        };
        let mut names: Vec<&str> = runtime
            .into_iter()
            .chain(
                recipe
                    .requirements
                    .host
                    .iter()
                    .chain(&recipe.requirements.run)
                    .map(String::as_str),
            )
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Everything `name` builds against (its dependencies, transitively), each after its own
    /// dependencies, so a later prefix may override an earlier one. `name` itself is left out.
    pub fn dependency_closure(&self, name: &str) -> Result<Vec<&'a str>, GraphError> {
        let root = self.known(name, None)?;
        let mut order = self.build_order(&BTreeSet::from([root]))?;
        order.pop();
        Ok(order
            .into_iter()
            .map(|recipe| recipe.package.name.as_str())
            .collect())
    }

    /// Names chosen by `patterns`, before closing over dependencies.
    pub fn select(&self, patterns: &[String]) -> Result<BTreeSet<&'a str>, GraphError> {
        let mut chosen = BTreeSet::new();
        let mut excluded = BTreeSet::new();
        for pattern in patterns {
            if matches!(pattern.as_str(), "" | "!" | "tag:" | "!tag:") {
                return Err(GraphError::EmptyPattern {
                    pattern: pattern.clone(),
                });
            }
            if pattern == "*" {
                chosen.extend(self.recipes.keys().copied());
            } else if let Some(tag) = pattern.strip_prefix("tag:") {
                chosen.extend(
                    self.recipes
                        .iter()
                        .filter(|(_, r)| r.package.tags.iter().any(|t| t == tag))
                        .map(|(name, _)| *name),
                );
            } else if let Some(tag) = pattern.strip_prefix("!tag:") {
                excluded.extend(
                    self.recipes
                        .iter()
                        .filter(|(_, r)| r.package.tags.iter().any(|t| t == tag))
                        .map(|(name, _)| *name),
                );
            } else if let Some(name) = pattern.strip_prefix('!') {
                excluded.insert(self.known(name, None)?);
            } else {
                chosen.insert(self.known(pattern, None)?);
            }
        }
        chosen.retain(|name| !excluded.contains(name));
        if chosen.is_empty() {
            return Err(GraphError::Empty {
                patterns: patterns.to_vec(),
            });
        }
        Ok(chosen)
    }

    fn known(&self, name: &str, required_by: Option<&str>) -> Result<&'a str, GraphError> {
        self.recipes
            .get_key_value(name)
            .map(|(name, _)| *name)
            .ok_or_else(|| GraphError::Unknown {
                name: name.to_string(),
                required_by: required_by.map(str::to_string),
            })
    }

    /// `roots` and everything they need, in an order where each recipe follows its
    /// dependencies (ties broken by name, so the order is stable).
    pub fn build_order(&self, roots: &BTreeSet<&'a str>) -> Result<Vec<&'a Recipe>, GraphError> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Visiting,
            Done,
        }
        let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
        let mut order = Vec::new();
        let mut path: Vec<&str> = Vec::new();

        fn visit<'a>(
            graph: &Graph<'a>,
            name: &'a str,
            marks: &mut BTreeMap<&'a str, Mark>,
            path: &mut Vec<&'a str>,
            order: &mut Vec<&'a Recipe>,
        ) -> Result<(), GraphError> {
            match marks.get(name) {
                Some(Mark::Done) => return Ok(()),
                Some(Mark::Visiting) => {
                    let start = path.iter().position(|n| *n == name).unwrap_or(0);
                    let mut chain: Vec<String> =
                        path[start..].iter().map(|n| n.to_string()).collect();
                    chain.push(name.to_string());
                    return Err(GraphError::Cycle { chain });
                }
                None => {}
            }
            marks.insert(name, Mark::Visiting);
            path.push(name);
            for dependency in graph.dependencies(name) {
                let dependency = graph.known(dependency, Some(name))?;
                visit(graph, dependency, marks, path, order)?;
            }
            path.pop();
            marks.insert(name, Mark::Done);
            order.push(graph.recipes[name]);
            Ok(())
        }

        for root in roots {
            visit(self, root, &mut marks, &mut path, &mut order)?;
        }
        Ok(order)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::recipe::{Package, Requirements, Source, SourceSpec};

    /// A minimal recipe for graph tests.
    pub(crate) fn recipe(name: &str, host: &[&str], tags: &[&str]) -> Recipe {
        Recipe {
            path: format!("/r/{name}/recipe.toml").into(),
            dir: format!("/r/{name}").into(),
            package: Package {
                name: name.into(),
                version: "1".into(),
                top_level: vec![],
                tags: tags.iter().map(|t| t.to_string()).collect(),
            },
            source: Source {
                spec: SourceSpec::Path { path: "/r".into() },
                patches: vec![],
                extras: vec![],
            },
            build: Default::default(),
            requirements: Requirements {
                host: host.iter().map(|h| h.to_string()).collect(),
                ..Default::default()
            },
            test: Default::default(),
            about: Default::default(),
            places: Default::default(),
        }
    }

    fn names(order: &[&Recipe]) -> Vec<String> {
        order.iter().map(|r| r.package.name.clone()).collect()
    }

    fn patterns(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn diamond_builds_dependencies_first() {
        let recipes = [
            recipe("top", &["left", "right"], &[]),
            recipe("left", &["base"], &[]),
            recipe("right", &["base"], &[]),
            recipe("base", &[], &[]),
        ];
        let graph = Graph::new(&recipes);
        let order = graph
            .build_order(&graph.select(&patterns(&["top"])).unwrap())
            .unwrap();
        assert_eq!(names(&order), ["base", "left", "right", "top"]);
    }

    #[test]
    fn dependency_closure_lists_dependencies_first_without_the_recipe() {
        let recipes = [
            recipe("top", &["left", "right"], &[]),
            recipe("left", &["base"], &[]),
            recipe("right", &["base"], &[]),
            recipe("base", &[], &[]),
        ];
        let graph = Graph::new(&recipes);
        assert_eq!(
            graph.dependency_closure("top").unwrap(),
            ["base", "left", "right"]
        );
        assert_eq!(
            graph.dependency_closure("base").unwrap(),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn selection_by_tag_star_and_exclusion() {
        let recipes = [
            recipe("a", &[], &["core"]),
            recipe("b", &[], &[]),
            recipe("c", &[], &["core"]),
        ];
        let graph = Graph::new(&recipes);
        assert_eq!(
            graph.select(&patterns(&["tag:core"])).unwrap(),
            BTreeSet::from(["a", "c"])
        );
        assert_eq!(
            graph.select(&patterns(&["*", "!c"])).unwrap(),
            BTreeSet::from(["a", "b"])
        );
        assert_eq!(
            graph.select(&patterns(&["*", "!tag:core"])).unwrap(),
            BTreeSet::from(["b"])
        );
        assert_eq!(
            graph.select(&patterns(&["*", "tag:"])),
            Err(GraphError::EmptyPattern {
                pattern: "tag:".into()
            })
        );
        assert_eq!(
            graph.select(&patterns(&["*", "!"])),
            Err(GraphError::EmptyPattern {
                pattern: "!".into()
            })
        );
        assert_eq!(
            graph.select(&patterns(&["nope"])),
            Err(GraphError::Unknown {
                name: "nope".into(),
                required_by: None
            })
        );
    }

    #[test]
    fn cycle_is_reported_with_its_chain() {
        let recipes = [
            recipe("a", &["b"], &[]),
            recipe("b", &["c"], &[]),
            recipe("c", &["a"], &[]),
        ];
        let graph = Graph::new(&recipes);
        let error = graph
            .build_order(&graph.select(&patterns(&["a"])).unwrap())
            .unwrap_err();
        assert_eq!(error.to_string(), "dependency cycle: a → b → c → a");
    }

    #[test]
    fn unknown_dependency_names_who_needs_it() {
        let recipes = [recipe("a", &["ghost"], &[])];
        let graph = Graph::new(&recipes);
        let error = graph
            .build_order(&graph.select(&patterns(&["a"])).unwrap())
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "no recipe named `ghost` (required by `a`)"
        );
    }
}
