//! The options that shape what `--install` writes into the distribution folder: the stdlib's
//! policy and layout. Shared by `build-recipes` and `build`.

use std::collections::BTreeSet;

use clap::Args;

use kiln::bundle::StdlibOptions;

#[derive(Debug, Clone, Default, Args)]
pub struct InstallArgs {
    /// Keep CPython's `test/` package in the stdlib (to run its test suite); the same as
    /// `--stdlib-include test`
    #[arg(long)]
    pub keep_stdlib_tests: bool,
    /// Ship a part of the stdlib that kiln leaves out by default: `test`, `idlelib`, `tkinter`,
    /// `ensurepip`, `pydoc_data`, `_pydecimal`, `profiling.sampling` (repeatable, or
    /// comma-separated)
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub stdlib_include: Vec<String>,
    /// Leave a top-level stdlib module or package out of the bundle, e.g. `multiprocessing`
    /// (repeatable, or comma-separated)
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub stdlib_exclude: Vec<String>,
    /// Ship the stdlib as bytecode (`.pyc` only): nothing is compiled at import, but
    /// tracebacks show no source lines for stdlib frames
    #[arg(long)]
    pub stdlib_bytecode: bool,
    /// One stdlib archive that every boot downloads whole, instead of a core archive and
    /// parts fetched on first import
    #[arg(long)]
    pub no_lazy_stdlib: bool,
    /// Do not write `.br` and `.gz` copies beside the distribution's large files
    #[arg(long)]
    pub no_precompress: bool,
    /// Size budget to check the installed distribution against (default: `size-budget.toml`
    /// in the project, when there is one); an overrun fails the build, naming the package
    #[arg(long, value_name = "FILE")]
    pub size_budget: Option<std::path::PathBuf>,
}

impl InstallArgs {
    pub fn stdlib_options(&self) -> StdlibOptions {
        let mut include: BTreeSet<String> = self.stdlib_include.iter().cloned().collect();
        if self.keep_stdlib_tests {
            include.insert("test".to_string());
        }
        StdlibOptions {
            include,
            exclude: self.stdlib_exclude.iter().cloned().collect(),
            bytecode: self.stdlib_bytecode,
            lazy: !self.no_lazy_stdlib,
        }
    }
}
