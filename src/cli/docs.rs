//! `docs/cli.md` is generated from the clap definitions, so it cannot drift from the code: a
//! test fails when the file is stale, and `KILN_UPDATE_DOCS=1 cargo test cli_reference`
//! rewrites it.

use clap::CommandFactory;

use super::Cli;

/// The CLI reference: every command's help text, in definition order.
pub fn cli_reference() -> String {
    let mut text = String::from(
        "# kiln command-line reference\n\nGenerated from the code (`src/cli/docs.rs`); do not edit by hand.\n\n",
    );
    let mut command = Cli::command().term_width(100);
    command.build();
    render(&mut text, &command, "kiln");
    text.push_str("## Environment variables\n\n| variable | meaning |\n|---|---|\n");
    for (name, meaning) in kiln::config::ENV_VARS {
        text.push_str(&format!("| `{name}` | {meaning} |\n"));
    }
    text
}

fn render(text: &mut String, command: &clap::Command, path: &str) {
    if command.is_hide_set() {
        return;
    }
    let help = command
        .clone()
        .bin_name(path)
        .render_long_help()
        .to_string();
    text.push_str(&format!(
        "## `{path}`\n\n```text\n{}\n```\n\n",
        help.trim_end()
    ));
    for sub in command.get_subcommands() {
        if sub.get_name() != "help" {
            render(text, sub, &format!("{path} {}", sub.get_name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_reference_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md");
        let expected = cli_reference();
        if std::env::var_os("KILN_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).expect("write docs/cli.md");
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/cli.md is stale: run `KILN_UPDATE_DOCS=1 cargo test cli_reference`"
        );
    }
}
