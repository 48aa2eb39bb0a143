//! `kiln recipe check [NAME…]` and `kiln recipe list`, over the recipe folders' layers
//! (kiln's built-in recipes, the project's `recipes/`, each `--recipe-dir`).

use std::process::ExitCode;

use clap::Subcommand;

use kiln::config::Settings;
use kiln::recipe::{self, Recipe, RecipeError, SourceSpec};

#[derive(Debug, Subcommand)]
pub enum RecipeCommand {
    /// Parse and validate recipes and the graph of their requirements (all recipes by default)
    ///
    /// Every error is reported with its file, line and column: invalid fields, requirements that
    /// name no recipe (with the closest names), cycles (with their path), and host requirements
    /// that are not libraries.
    Check {
        /// Recipe names (default: every recipe in the recipe folders)
        names: Vec<String>,
    },
    /// List every recipe with its version, type and the folder it comes from
    ///
    /// One line per recipe on stdout: name, version, type, origin (`built-in`, `project` or
    /// `--recipe-dir`) and folder; `(overrides built-in)` when an upper folder replaces a recipe
    /// of a lower one.
    List,
}

/// The recipe folders of these settings, lowest first.
pub fn layers(settings: &Settings) -> recipe::Layers {
    recipe::Layers::new(settings.recipe_layers())
}

pub fn run(settings: &Settings, command: RecipeCommand) -> anyhow::Result<ExitCode> {
    let names = match command {
        RecipeCommand::Check { names } => names,
        RecipeCommand::List => return list(settings),
    };
    let layers = layers(settings);
    let loaded = if names.is_empty() {
        layers.load_all()
    } else {
        layers.load_named(&names)
    };
    match loaded {
        Ok(recipes) => {
            let known = match layers.names() {
                Ok(names) => names.into_iter().collect(),
                Err(error) => {
                    report(vec![error]);
                    return Ok(ExitCode::from(1));
                }
            };
            let graph_errors = kiln::graph::check::check(&recipes, &known);
            if !graph_errors.is_empty() {
                report(graph_errors);
                return Ok(ExitCode::from(1));
            }
            for recipe in &recipes {
                println!(
                    "ok  {:<16} {:<12} {}",
                    recipe.package.name,
                    recipe.package.version,
                    source_kind(recipe)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            report(errors);
            Ok(ExitCode::from(1))
        }
    }
}

/// Prints each recipe error with its drawn frame (file, line, column, field).
pub fn report(errors: Vec<RecipeError>) {
    let count = errors.len();
    for error in errors {
        eprintln!("{:?}", miette::Report::new(error));
    }
    eprintln!(
        "error: {count} recipe error{}",
        if count == 1 { "" } else { "s" }
    );
}

/// Every recipe of every layer (an upper one's where names meet), or an error after
/// reporting each invalid one.
pub fn load_all(settings: &Settings) -> anyhow::Result<Vec<Recipe>> {
    layers(settings).load_all().map_err(|errors| {
        report(errors);
        anyhow::anyhow!("invalid recipes")
    })
}

/// `kiln recipe list`.
fn list(settings: &Settings) -> anyhow::Result<ExitCode> {
    let layers = layers(settings);
    let listed = match layers.list() {
        Ok(listed) => listed,
        Err(error) => {
            report(vec![error]);
            return Ok(ExitCode::from(1));
        }
    };
    let mut failed = false;
    for entry in &listed {
        let (version, kind) = match recipe::load(&entry.dir) {
            Ok(recipe) => (
                recipe.package.version,
                recipe.build.kind.as_str().to_string(),
            ),
            Err(_) => {
                failed = true;
                ("?".to_string(), "invalid".to_string())
            }
        };
        let overrides = match entry.overrides.as_slice() {
            [] => String::new(),
            lower => format!(
                "  (overrides {})",
                lower
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        println!(
            "{:<24} {:<12} {:<15} {:<12} {}{overrides}",
            entry.name,
            version,
            kind,
            entry.origin.to_string(),
            entry.dir.display()
        );
    }
    if failed {
        eprintln!("hint: run `kiln recipe check` to see what is wrong with the invalid recipes");
    }
    Ok(ExitCode::SUCCESS)
}

fn source_kind(recipe: &Recipe) -> String {
    match &recipe.source.spec {
        SourceSpec::Url { url, .. } => format!("url {url}"),
        SourceSpec::Pypi { name, version, .. } => format!("pypi {name}=={version}"),
        SourceSpec::Debian {
            package, version, ..
        } => format!("debian {package} {version}"),
        SourceSpec::Path { path } => format!("path {}", path.display()),
    }
}
