//! Running builds over the recipe graph in parallel.
//!
//! A recipe is ready when all its dependencies have finished. Among ready recipes the one
//! with the longest remaining path to the end of the graph goes first (its own expected cost
//! plus the most expensive chain of recipes that wait for it, as cargo's dependency queue
//! does), so the critical path never waits behind a short leaf. At most `jobs` builds run at
//! once. A failed recipe fails its dependents, which are reported as skipped with the name of
//! the failure; independent branches go on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::Graph;
use crate::recipe::Recipe;

/// What happened to one recipe.
#[derive(Debug)]
pub enum TaskOutcome<T, E> {
    Done {
        value: T,
        elapsed: Duration,
    },
    Failed {
        error: E,
        elapsed: Duration,
    },
    /// Not attempted because a dependency (named) failed or was skipped.
    Skipped {
        because: String,
    },
}

/// Receives scheduling events (for progress display).
pub trait ScheduleReporter: Sync {
    fn on_start(&self, name: &str);
    fn on_finish(&self, name: &str, succeeded: bool, elapsed: Duration);
    fn on_skip(&self, name: &str, because: &str);
}

/// Runs `work` for every recipe in `order` (dependencies first, as from
/// [`Graph::build_order`]). `work` receives the recipe and its finished dependencies'
/// values. `cost` estimates each recipe's duration for prioritising.
pub fn run<'a, T, E, W>(
    graph: &Graph<'a>,
    order: &[&'a Recipe],
    jobs: usize,
    cost: &(dyn Fn(&Recipe) -> f64 + Sync),
    work: W,
    reporter: &dyn ScheduleReporter,
) -> BTreeMap<String, TaskOutcome<T, E>>
where
    T: Clone + Send,
    E: Send,
    W: Fn(&'a Recipe, &BTreeMap<String, T>) -> Result<T, E> + Sync,
{
    run_with_external(graph, order, jobs, &BTreeSet::new(), cost, work, reporter)
}

/// [`run`], where the recipes named in `external` are built elsewhere (another shard): their
/// `work` only waits for and fetches a result, so they run beside the `jobs` builds instead of
/// taking a slot. A build slot never waits for another machine, so two shards waiting for
/// each other's recipes cannot deadlock while the graph has no cycle.
pub fn run_with_external<'a, T, E, W>(
    graph: &Graph<'a>,
    order: &[&'a Recipe],
    jobs: usize,
    external: &BTreeSet<&str>,
    cost: &(dyn Fn(&Recipe) -> f64 + Sync),
    work: W,
    reporter: &dyn ScheduleReporter,
) -> BTreeMap<String, TaskOutcome<T, E>>
where
    T: Clone + Send,
    E: Send,
    W: Fn(&'a Recipe, &BTreeMap<String, T>) -> Result<T, E> + Sync,
{
    let jobs = jobs.max(1);
    let names: BTreeSet<&str> = order
        .iter()
        .map(|recipe| recipe.package.name.as_str())
        .collect();
    let dependencies: BTreeMap<&str, Vec<&str>> = order
        .iter()
        .map(|recipe| {
            let name = recipe.package.name.as_str();
            let deps = graph
                .dependencies(name)
                .into_iter()
                .filter(|dep| names.contains(dep))
                .collect();
            (name, deps)
        })
        .collect();
    let priority = priorities(order, &dependencies, cost);

    struct State<'s, T, E> {
        waiting: Vec<&'s Recipe>,
        running: usize,
        /// Running builds (not external waits): at most `jobs`.
        building: usize,
        outcomes: BTreeMap<String, TaskOutcome<T, E>>,
    }
    let state: Mutex<State<'_, T, E>> = Mutex::new(State {
        waiting: order.to_vec(),
        running: 0,
        building: 0,
        outcomes: BTreeMap::new(),
    });
    let is_external = |recipe: &Recipe| external.contains(recipe.package.name.as_str());
    let changed = Condvar::new();

    let worker = || loop {
        let mut guard = state.lock().expect("scheduler state is never poisoned");
        let (recipe, inputs) = loop {
            // Skip whatever can no longer run.
            loop {
                let mut skipped_any = false;
                let State {
                    waiting, outcomes, ..
                } = &mut *guard;
                waiting.retain(|recipe| {
                    let name = recipe.package.name.as_str();
                    let blocker = dependencies[name].iter().find(|dep| {
                        matches!(
                            outcomes.get(**dep),
                            Some(TaskOutcome::Failed { .. } | TaskOutcome::Skipped { .. })
                        )
                    });
                    match blocker {
                        Some(blocker) => {
                            let because = match outcomes.get(*blocker) {
                                Some(TaskOutcome::Skipped { because }) => because.clone(),
                                _ => blocker.to_string(),
                            };
                            reporter.on_skip(name, &because);
                            outcomes.insert(name.to_string(), TaskOutcome::Skipped { because });
                            skipped_any = true;
                            false
                        }
                        None => true,
                    }
                });
                if !skipped_any {
                    break;
                }
            }
            let ready = guard
                .waiting
                .iter()
                .enumerate()
                .filter(|(_, recipe)| is_external(recipe) || guard.building < jobs)
                .filter(|(_, recipe)| {
                    dependencies[recipe.package.name.as_str()]
                        .iter()
                        .all(|dep| {
                            matches!(guard.outcomes.get(*dep), Some(TaskOutcome::Done { .. }))
                        })
                })
                .max_by(|(_, a), (_, b)| {
                    let (a, b) = (a.package.name.as_str(), b.package.name.as_str());
                    priority[a].total_cmp(&priority[b]).then_with(|| b.cmp(a))
                })
                .map(|(index, _)| index);
            if let Some(index) = ready {
                let recipe = guard.waiting.remove(index);
                let inputs: BTreeMap<String, T> = dependencies[recipe.package.name.as_str()]
                    .iter()
                    .filter_map(|dep| match guard.outcomes.get(*dep) {
                        Some(TaskOutcome::Done { value, .. }) => {
                            Some((dep.to_string(), value.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                guard.running += 1;
                if !is_external(recipe) {
                    guard.building += 1;
                }
                break (recipe, inputs);
            }
            if guard.waiting.is_empty() || guard.running == 0 {
                changed.notify_all();
                return;
            }
            guard = changed
                .wait(guard)
                .expect("scheduler state is never poisoned");
        };
        drop(guard);

        let name = recipe.package.name.as_str();
        reporter.on_start(name);
        let started = Instant::now();
        let result = work(recipe, &inputs);
        let elapsed = started.elapsed();
        reporter.on_finish(name, result.is_ok(), elapsed);
        let outcome = match result {
            Ok(value) => TaskOutcome::Done { value, elapsed },
            Err(error) => TaskOutcome::Failed { error, elapsed },
        };
        let mut guard = state.lock().expect("scheduler state is never poisoned");
        guard.running -= 1;
        if !is_external(recipe) {
            guard.building -= 1;
        }
        guard.outcomes.insert(name.to_string(), outcome);
        changed.notify_all();
    };

    let externals = order.iter().filter(|recipe| is_external(recipe)).count();
    std::thread::scope(|scope| {
        for _ in 0..jobs + externals {
            scope.spawn(worker);
        }
    });
    state
        .into_inner()
        .expect("scheduler state is never poisoned")
        .outcomes
}

/// Which shard (0-based, of `shards`) builds each recipe of `order`: longest first, each to the
/// shard with the least total so far (ties: the lower shard; equal costs: by name). Every
/// shard computes the same table from the same recipes and costs, so each recipe is built by
/// exactly one of them; a shard needing another's recipe waits for it in the remote cache.
pub fn shard_assignment<'a>(
    order: &[&'a Recipe],
    shards: usize,
    cost: &dyn Fn(&Recipe) -> f64,
) -> BTreeMap<&'a str, usize> {
    let shards = shards.max(1);
    let mut recipes: Vec<(&'a str, f64)> = order
        .iter()
        .map(|recipe| (recipe.package.name.as_str(), cost(recipe)))
        .collect();
    recipes.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut load = vec![0.0f64; shards];
    let mut assignment = BTreeMap::new();
    for (name, seconds) in recipes {
        let shard = (0..shards)
            .min_by(|a, b| load[*a].total_cmp(&load[*b]).then(a.cmp(b)))
            .expect("at least one shard");
        load[shard] += seconds;
        assignment.insert(name, shard);
    }
    assignment
}

/// Each recipe's own cost plus the costliest chain of recipes that depend on it.
fn priorities<'a>(
    order: &[&'a Recipe],
    dependencies: &BTreeMap<&'a str, Vec<&'a str>>,
    cost: &(dyn Fn(&Recipe) -> f64 + Sync),
) -> BTreeMap<&'a str, f64> {
    let mut priority: BTreeMap<&str, f64> = BTreeMap::new();
    // Reverse build order visits every dependent before its dependencies.
    for recipe in order.iter().rev() {
        let name = recipe.package.name.as_str();
        let below = dependencies
            .iter()
            .filter(|(_, deps)| deps.contains(&name))
            .map(|(dependent, _)| priority.get(dependent).copied().unwrap_or(0.0))
            .fold(0.0, f64::max);
        priority.insert(name, cost(recipe) + below);
    }
    priority
}

/// The sum of costs along the most expensive dependency chain: the shortest possible wall
/// time with unlimited jobs, for judging a schedule.
pub fn critical_path(order: &[&Recipe], graph: &Graph, seconds: &BTreeMap<String, f64>) -> f64 {
    let mut finish: BTreeMap<&str, f64> = BTreeMap::new();
    for recipe in order {
        let name = recipe.package.name.as_str();
        let start = graph
            .dependencies(name)
            .iter()
            .filter_map(|dep| finish.get(dep))
            .copied()
            .fold(0.0, f64::max);
        finish.insert(name, start + seconds.get(name).copied().unwrap_or(0.0));
    }
    finish.values().copied().fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    fn recipe(name: &str, host: &[&str]) -> Recipe {
        crate::graph::tests::recipe(name, host, &[])
    }

    struct Quiet;
    impl ScheduleReporter for Quiet {
        fn on_start(&self, _: &str) {}
        fn on_finish(&self, _: &str, _: bool, _: Duration) {}
        fn on_skip(&self, _: &str, _: &str) {}
    }

    #[test]
    fn failure_skips_dependents_but_not_siblings() {
        let recipes = [
            recipe("base", &[]),
            recipe("bad", &["base"]),
            recipe("top", &["bad"]),
            recipe("good", &["base"]),
        ];
        let graph = Graph::new(&recipes);
        let order = graph
            .build_order(&graph.select(&["*".to_string()]).unwrap())
            .unwrap();
        let outcomes = run(
            &graph,
            &order,
            2,
            &|_| 1.0,
            |recipe, _| {
                if recipe.package.name == "bad" {
                    Err("boom")
                } else {
                    Ok(())
                }
            },
            &Quiet,
        );
        assert!(matches!(outcomes["base"], TaskOutcome::Done { .. }));
        assert!(matches!(outcomes["good"], TaskOutcome::Done { .. }));
        assert!(matches!(
            outcomes["bad"],
            TaskOutcome::Failed { error: "boom", .. }
        ));
        assert!(matches!(&outcomes["top"], TaskOutcome::Skipped { because } if because == "bad"));
    }

    #[test]
    fn dependencies_finish_before_dependents_start_and_jobs_overlap() {
        let recipes = [
            recipe("a", &[]),
            recipe("b", &[]),
            recipe("top", &["a", "b"]),
        ];
        let graph = Graph::new(&recipes);
        let order = graph
            .build_order(&graph.select(&["top".to_string()]).unwrap())
            .unwrap();
        let log = StdMutex::new(Vec::new());
        let outcomes = run(
            &graph,
            &order,
            2,
            &|_| 1.0,
            |recipe, inputs| {
                log.lock()
                    .unwrap()
                    .push(format!("start {}", recipe.package.name));
                std::thread::sleep(Duration::from_millis(150));
                log.lock()
                    .unwrap()
                    .push(format!("end {}", recipe.package.name));
                Ok::<usize, ()>(inputs.len())
            },
            &Quiet,
        );
        let log = log.into_inner().unwrap();
        assert_eq!(
            &log[..2]
                .iter()
                .filter(|line| line.starts_with("start"))
                .count(),
            &2,
            "a and b overlap: {log:?}"
        );
        assert_eq!(log[4], "start top", "{log:?}");
        assert!(matches!(
            outcomes["top"],
            TaskOutcome::Done { value: 2, .. }
        ));
    }

    #[test]
    fn shards_split_by_cost_deterministically() {
        let recipes = [
            recipe("big", &[]),
            recipe("a", &["big"]),
            recipe("b", &["big"]),
            recipe("c", &[]),
        ];
        let graph = Graph::new(&recipes);
        let order = graph
            .build_order(&graph.select(&["*".to_string()]).unwrap())
            .unwrap();
        let cost = |recipe: &Recipe| match recipe.package.name.as_str() {
            "big" => 10.0,
            "a" => 4.0,
            _ => 3.0,
        };
        let table = shard_assignment(&order, 2, &cost);
        assert_eq!(table, shard_assignment(&order, 2, &cost), "deterministic");
        // big (10) → 0; a (4) → 1; b (3) → 1 (7 < 10); c (3) → 1 (7 < 10 → 10).
        assert_eq!(table["big"], 0);
        assert_eq!(table["a"], 1);
        assert_eq!(table["b"], 1);
        assert_eq!(table["c"], 1);
        assert!(shard_assignment(&order, 1, &cost).values().all(|s| *s == 0));
    }

    #[test]
    fn external_waits_do_not_take_build_slots() {
        // One build slot. `theirs` (another shard's) can only finish after `mine` started,
        // as a remote wait would; with the wait in the only slot this would never end.
        let recipes = [
            recipe("theirs", &[]),
            recipe("mine", &[]),
            recipe("top", &["theirs"]),
        ];
        let graph = Graph::new(&recipes);
        let order = graph
            .build_order(&graph.select(&["*".to_string()]).unwrap())
            .unwrap();
        let mine_started = std::sync::atomic::AtomicBool::new(false);
        let external = BTreeSet::from(["theirs"]);
        let outcomes = run_with_external(
            &graph,
            &order,
            1,
            &external,
            &|recipe| {
                if recipe.package.name == "theirs" {
                    100.0
                } else {
                    1.0
                }
            },
            |recipe, _| {
                if recipe.package.name == "theirs" {
                    let started = Instant::now();
                    while !mine_started.load(std::sync::atomic::Ordering::SeqCst) {
                        if started.elapsed() > Duration::from_secs(5) {
                            return Err("deadlock");
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                } else if recipe.package.name == "mine" {
                    mine_started.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                Ok(())
            },
            &Quiet,
        );
        assert!(
            outcomes
                .values()
                .all(|o| matches!(o, TaskOutcome::Done { .. }))
        );
    }

    #[test]
    fn longest_chain_starts_first() {
        // `leaf` is cheap and alone; `deep` heads a long chain: with one job, `deep` goes first.
        let recipes = [
            recipe("leaf", &[]),
            recipe("deep", &[]),
            recipe("mid", &["deep"]),
            recipe("end", &["mid"]),
        ];
        let graph = Graph::new(&recipes);
        let order = graph
            .build_order(&graph.select(&["*".to_string()]).unwrap())
            .unwrap();
        let started = StdMutex::new(Vec::new());
        run(
            &graph,
            &order,
            1,
            &|_| 1.0,
            |recipe, _| {
                started.lock().unwrap().push(recipe.package.name.clone());
                Ok::<(), ()>(())
            },
            &Quiet,
        );
        assert_eq!(started.into_inner().unwrap()[0], "deep");
    }
}
