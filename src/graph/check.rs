//! `kiln recipe check`'s graph checks: mistakes no single recipe shows.
//!
//! Reported all at once, each at the requirement that causes it (`file:line:column`):
//! - every requirement naming no recipe, with the closest names as "did you mean";
//! - every cycle, as the path from a recipe back to itself (one per strongly connected group
//!   of recipes: listing every elementary cycle can grow exponentially, and breaking one
//!   edge of the path shown is what the author does next);
//! - every `host` requirement a build cannot compile or link against: the runtime (every
//!   package builds against it already) or a Python package required by a recipe that is not
//!   a package (only package builds install host packages into their build venv).
//!
//! A package in `host` of a package is accepted: whether it ships headers is known only
//! once it is built.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::recipe::{BuildKind, Problem, Recipe, RecipeError, RequirementField, close_matches};

const FIELDS: [RequirementField; 2] = [RequirementField::Host, RequirementField::Run];

/// Checks the requirements of `recipes` against each other; `known` holds every recipe name
/// that exists (a superset of `recipes` when only some were loaded).
pub fn check(recipes: &[Recipe], known: &BTreeSet<String>) -> Vec<RecipeError> {
    let by_name: BTreeMap<&str, &Recipe> = recipes
        .iter()
        .map(|recipe| (recipe.package.name.as_str(), recipe))
        .collect();
    let mut errors = Vec::new();
    for recipe in recipes {
        for field in FIELDS {
            for (index, name) in recipe.requirement_names(field).iter().enumerate() {
                if !known.contains(name) {
                    let matches = close_matches(name, known.iter().map(String::as_str));
                    let help = match matches.as_slice() {
                        [] => None,
                        [one, ..] => Some(format!("did you mean `{one}`?")),
                    };
                    errors.push(recipe.requirement_error(
                        field,
                        index,
                        Problem::UnknownRequirement { name: name.clone() },
                        help,
                    ));
                    continue;
                }
                let Some(required) = by_name.get(name.as_str()) else {
                    continue;
                };
                let wrong_host = field == RequirementField::Host
                    && match required.build.kind {
                        BuildKind::Runtime => true,
                        BuildKind::Package => recipe.build.kind != BuildKind::Package,
                        BuildKind::SharedLibrary | BuildKind::StaticLibrary => false,
                    };
                if wrong_host {
                    let help = match required.build.kind {
                        BuildKind::Runtime => {
                            "every package builds against the runtime already; remove it"
                        }
                        _ => {
                            "a Python package in `host` reaches only package builds; move it to `run`, or build the library it wraps"
                        }
                    };
                    errors.push(recipe.requirement_error(
                        field,
                        index,
                        Problem::HostNotBuildable {
                            name: name.clone(),
                            kind: required.build.kind.as_str(),
                        },
                        Some(help.to_string()),
                    ));
                }
            }
        }
    }
    errors.extend(cycles(&by_name));
    errors
}

/// One error per strongly connected group of recipes (Tarjan's algorithm, linear in the
/// edges), at the first requirement on a shortest path from its first recipe back to itself.
fn cycles(by_name: &BTreeMap<&str, &Recipe>) -> Vec<RecipeError> {
    let edges = |name: &str| -> Vec<&str> {
        let recipe = by_name[name];
        let mut next: Vec<&str> = FIELDS
            .iter()
            .flat_map(|field| recipe.requirement_names(*field))
            .map(String::as_str)
            .filter(|dependency| by_name.contains_key(dependency))
            .collect();
        next.sort();
        next.dedup();
        next
    };
    let mut errors = Vec::new();
    for group in strongly_connected(by_name.keys().copied(), &edges) {
        let start = group[0];
        let inside: BTreeSet<&str> = group.iter().copied().collect();
        // Breadth-first from `start`'s successors back to `start`, inside the group.
        let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue: VecDeque<&str> = VecDeque::from([start]);
        let mut closed = false;
        while let Some(node) = queue.pop_front() {
            for next in edges(node) {
                if !inside.contains(next) {
                    continue;
                }
                if next == start {
                    previous.insert(start, node);
                    closed = true;
                    break;
                }
                if !previous.contains_key(next) {
                    previous.insert(next, node);
                    queue.push_back(next);
                }
            }
            if closed {
                break;
            }
        }
        if !closed {
            continue;
        }
        let mut backwards = Vec::new();
        let mut node = previous[start];
        while node != start {
            backwards.push(node.to_string());
            node = previous[node];
        }
        let chain: Vec<String> = std::iter::once(start.to_string())
            .chain(backwards.into_iter().rev())
            .chain(std::iter::once(start.to_string()))
            .collect();
        let first_step = chain[1].clone();
        let recipe = by_name[start];
        let (field, index) = FIELDS
            .iter()
            .find_map(|field| {
                recipe
                    .requirement_names(*field)
                    .iter()
                    .position(|name| *name == first_step)
                    .map(|index| (*field, index))
            })
            .expect("the first step of the cycle is a requirement of its start");
        errors.push(recipe.requirement_error(
            field,
            index,
            Problem::Cycle { chain },
            Some("a recipe cannot need itself, even through others; remove one requirement of the cycle".into()),
        ));
    }
    errors
}

/// Groups of nodes that reach each other, each sorted, keeping only real cycles (more than
/// one node, or one that requires itself). Iterative, so a long chain cannot overflow the
/// stack.
fn strongly_connected<'a>(
    nodes: impl Iterator<Item = &'a str>,
    edges: &dyn Fn(&str) -> Vec<&'a str>,
) -> Vec<Vec<&'a str>> {
    struct State<'a> {
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        on_stack: BTreeSet<&'a str>,
        stack: Vec<&'a str>,
        next_index: usize,
        groups: Vec<Vec<&'a str>>,
    }
    let mut state = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        on_stack: BTreeSet::new(),
        stack: Vec::new(),
        next_index: 0,
        groups: Vec::new(),
    };
    for root in nodes {
        if state.index.contains_key(root) {
            continue;
        }
        // (node, its successors, how many of them were visited)
        let mut work: Vec<(&str, Vec<&str>, usize)> = Vec::new();
        let enter = |node: &'a str, state: &mut State<'a>, work: &mut Vec<_>| {
            state.index.insert(node, state.next_index);
            state.low.insert(node, state.next_index);
            state.next_index += 1;
            state.stack.push(node);
            state.on_stack.insert(node);
            work.push((node, edges(node), 0));
        };
        enter(root, &mut state, &mut work);
        while let Some((node, successors, position)) = work.last_mut() {
            let node = *node;
            if let Some(&next) = successors.get(*position) {
                *position += 1;
                if !state.index.contains_key(next) {
                    enter(next, &mut state, &mut work);
                } else if state.on_stack.contains(next) {
                    let low = state.low[node].min(state.index[next]);
                    state.low.insert(node, low);
                }
                continue;
            }
            work.pop();
            if let Some((parent, _, _)) = work.last() {
                let low = state.low[*parent].min(state.low[node]);
                state.low.insert(parent, low);
            }
            if state.low[node] == state.index[node] {
                let mut group = Vec::new();
                while let Some(member) = state.stack.pop() {
                    state.on_stack.remove(member);
                    group.push(member);
                    if member == node {
                        break;
                    }
                }
                group.sort();
                let is_cycle = group.len() > 1 || edges(node).contains(&node);
                if is_cycle {
                    state.groups.push(group);
                }
            }
        }
    }
    state.groups.sort();
    state.groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::recipe;

    fn known(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    fn problems(errors: &[RecipeError]) -> Vec<String> {
        errors
            .iter()
            .map(|error| error.as_invalid().unwrap().problem().to_string())
            .collect()
    }

    #[test]
    fn every_unknown_name_and_every_cycle_at_once() {
        let recipes = [
            recipe("a", &["b", "ghost"], &[]),
            recipe("b", &["c"], &[]),
            recipe("c", &["a", "nmpy"], &[]),
            recipe("numpy", &[], &[]),
            recipe("self", &["self"], &[]),
            recipe("x", &["y"], &[]),
            recipe("y", &["x"], &[]),
        ];
        let names: Vec<&str> = recipes.iter().map(|r| r.package.name.as_str()).collect();
        let errors = check(&recipes, &known(&names));
        assert_eq!(
            problems(&errors),
            [
                "no recipe named `ghost`",
                "no recipe named `nmpy`",
                "dependency cycle: a → b → c → a",
                "dependency cycle: self → self",
                "dependency cycle: x → y → x",
            ]
        );
        let help = errors[1].as_invalid().unwrap().help_text();
        assert_eq!(help, Some("did you mean `numpy`?"));
    }

    #[test]
    fn host_requirements_must_be_libraries_or_packages_of_packages() {
        let mut runtime = recipe("cpython", &[], &[]);
        runtime.build.kind = BuildKind::Runtime;
        let mut library = recipe("libfoo", &["numpy", "zlib"], &[]);
        library.build.kind = BuildKind::SharedLibrary;
        let mut zlib = recipe("zlib", &[], &[]);
        zlib.build.kind = BuildKind::StaticLibrary;
        let recipes = [
            runtime,
            library,
            zlib,
            recipe("numpy", &["cpython"], &[]),
            recipe("scipy", &["numpy", "zlib"], &[]),
        ];
        let names: Vec<&str> = recipes.iter().map(|r| r.package.name.as_str()).collect();
        assert_eq!(
            problems(&check(&recipes, &known(&names))),
            [
                "`numpy` is a package recipe, not a library or a package with headers",
                "`cpython` is a runtime recipe, not a library or a package with headers",
            ]
        );
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let names: Vec<String> = (0..20_000).map(|i| format!("r{i}")).collect();
        let recipes: Vec<Recipe> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let next = names[(i + 1) % names.len()].as_str();
                recipe(name, &[next], &[])
            })
            .collect();
        let all: BTreeSet<String> = names.iter().cloned().collect();
        let errors = check(&recipes, &all);
        assert_eq!(errors.len(), 1);
    }
}
