//! `kiln recipe check [NAME…]`

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
        /// Recipe names (default: every recipe in the recipe folder)
        names: Vec<String>,
    },
}

pub fn run(settings: &Settings, command: RecipeCommand) -> anyhow::Result<ExitCode> {
    let RecipeCommand::Check { names } = command;
    let loaded = if names.is_empty() {
        recipe::load_dir(&settings.recipe_dir)
    } else {
        recipe::load_named(&settings.recipe_dir, &names)
    };
    match loaded {
        Ok(recipes) => {
            let known = match recipe::recipe_names(&settings.recipe_dir) {
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

/// Every recipe, or an error after reporting each invalid one.
pub fn load_all(settings: &Settings) -> anyhow::Result<Vec<Recipe>> {
    recipe::load_dir(&settings.recipe_dir).map_err(|errors| {
        report(errors);
        anyhow::anyhow!("invalid recipes in `{}`", settings.recipe_dir.display())
    })
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
