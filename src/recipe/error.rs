//! Errors from reading and validating a recipe.
//!
//! Every mistake inside a `recipe.toml` (bad TOML, an unknown key, a value of the wrong
//! type, a value that fails validation) becomes one [`InvalidRecipe`]: the file, its text,
//! the byte span of the offending key or value, the field path (`source.sha256`), a typed
//! [`Problem`] and a help text. Its plain `Display` starts with `path:line:column: field:`
//! so CI logs and `--json` output carry the location without the drawn frame; its
//! [`miette::Diagnostic`] impl draws the frame with a label under the span. Errors about
//! whole files and folders (unreadable, missing `recipe.toml`, unknown name) are the other
//! [`RecipeError`] variants. This module only describes errors; `recipe/mod.rs` decides
//! when one is raised.

use std::fmt;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

use crate::fs::{ContainmentError, Escape, InputError};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Why a recipe, or a set of recipes, could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    /// A mistake inside a recipe file, with its location. Boxed: it carries the file's text.
    #[error(transparent)]
    Invalid(Box<InvalidRecipe>),

    /// The recipe folder could not be listed, or a path in it resolved.
    #[error("cannot read `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The recipe file could not be read, or is not a regular file of reasonable size.
    #[error(transparent)]
    Input(#[from] InputError),

    /// The recipe file is a link to a file outside its folder; it is not read, so none of
    /// that file's lines are ever printed.
    #[error("refusing to read the recipe `{path}`")]
    Outside {
        path: PathBuf,
        #[source]
        source: ContainmentError,
    },

    /// A Pyodide `meta.yaml` that kiln cannot translate (not YAML, an unknown key, a step
    /// kiln has no place for).
    #[error("`{}`: {message}", path.display())]
    MetaYaml { path: PathBuf, message: String },

    /// A folder in the recipe folder, or a folder given as a recipe, has no `recipe.toml`.
    #[error("recipe folder `{dir}` has no `recipe.toml` (or Pyodide `meta.yaml`)")]
    MissingRecipeFile { dir: PathBuf },

    /// A recipe name was asked for that has no folder in any recipe folder.
    #[error("no recipe named `{name}` in {}", folders_list(recipe_dirs))]
    UnknownRecipe {
        name: String,
        /// The recipe folders looked in, lowest layer first.
        recipe_dirs: Vec<PathBuf>,
        /// Recipe names that look like `name`, closest first.
        close_matches: Vec<String>,
    },
}

/// `` `a` `` or `` `a`, `b` or `c` `` for the folders an unknown name was looked for in.
fn folders_list(dirs: &[PathBuf]) -> String {
    let shown: Vec<String> = dirs.iter().map(|dir| dir.display().to_string()).collect();
    backticked_list(&shown, "or")
}

impl From<InvalidRecipe> for RecipeError {
    fn from(error: InvalidRecipe) -> Self {
        RecipeError::Invalid(Box::new(error))
    }
}

impl RecipeError {
    /// The spanned error, when this is a mistake inside a recipe file.
    pub fn as_invalid(&self) -> Option<&InvalidRecipe> {
        match self {
            RecipeError::Invalid(invalid) => Some(invalid),
            _ => None,
        }
    }
}

impl Diagnostic for RecipeError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            RecipeError::Invalid(invalid) => invalid.help(),
            RecipeError::Read { .. } | RecipeError::Input(_) => None,
            RecipeError::MetaYaml { .. } => Some(Box::new(
                "kiln reads Pyodide's `meta.yaml` keys as pyodide-build does; \
                 see \"Pyodide recipes\" in `docs/recipe-format.md`",
            )),
            RecipeError::Outside { .. } => Some(Box::new(
                "a recipe is the `recipe.toml` in its own folder, not a link to a file elsewhere",
            )),
            RecipeError::MissingRecipeFile { .. } => Some(Box::new(
                "a recipe is a folder named after its package holding `recipe.toml`; \
                 see `docs/recipe-format.md`",
            )),
            RecipeError::UnknownRecipe { close_matches, .. } => match close_matches.as_slice() {
                [] => Some(Box::new(
                    "recipe names are the folders of the recipe folder that hold a `recipe.toml`",
                )),
                [one] => Some(Box::new(format!("did you mean `{one}`?"))),
                many => Some(Box::new(format!(
                    "did you mean one of {}?",
                    backticked_list(many, "or")
                ))),
            },
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match self {
            RecipeError::Invalid(invalid) => invalid.source_code(),
            _ => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        match self {
            RecipeError::Invalid(invalid) => invalid.labels(),
            _ => None,
        }
    }
}

/// A mistake at one place in one recipe file.
///
/// `Display` is one line: `path:line:column: field: problem` (1-based line and column,
/// the column counted in characters), without the help; the help and the drawn frame come
/// through [`miette::Diagnostic`].
#[derive(Debug)]
pub struct InvalidRecipe {
    /// The path as the caller gave it (often relative), so messages stay short.
    path: PathBuf,
    /// The whole file, named by `path`, for miette to draw the frame from.
    source_code: NamedSource<String>,
    span: Range<usize>,
    line: usize,
    column: usize,
    field: Option<String>,
    problem: Problem,
    label: Option<String>,
    help: Option<String>,
    /// Whether the frame can be drawn (see [`frame_is_drawable`]); when not, the report is
    /// the message (which carries line and column) and the help.
    drawable: bool,
}

/// The longest line, in characters, that a drawn frame may show. miette pads the underline
/// with `{:width$}`, and Rust's formatter panics on a width past 65,535 (issue 25: an error
/// past column 65,536 crashed the printer); a line no terminal shows whole is not worth
/// drawing anyway. A tab counts four columns and a wide character two, so this stays far
/// below the formatter's limit.
const MAX_DRAWN_LINE_CHARS: usize = 1_000;

/// The most lines a drawn frame may show; a span over more is reported by line and column.
const MAX_DRAWN_LINES: usize = 100;

/// Whether miette can draw the frame for `span` in `text`: every line it shows (the span's
/// lines and one of context on each side) is short enough, and there are not too many.
fn frame_is_drawable(text: &str, span: &Range<usize>) -> bool {
    let first = line_column(text, span.start).0;
    let last = line_column(text, span.end).0.max(first);
    if last - first >= MAX_DRAWN_LINES {
        return false;
    }
    text.split('\n')
        .enumerate()
        .skip(first.saturating_sub(2))
        .take(last - first + 3)
        .all(|(_, line)| line.chars().count() <= MAX_DRAWN_LINE_CHARS)
}

impl InvalidRecipe {
    pub(super) fn new(
        path: &Path,
        text: &str,
        span: Range<usize>,
        field: Option<String>,
        problem: Problem,
    ) -> Self {
        // On character boundaries and inside the text, whatever the caller passed: miette
        // slices the text at the span.
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
        let span = start..end;
        let (line, column) = line_column(text, span.start);
        let drawable = frame_is_drawable(text, &span);
        Self {
            path: path.to_path_buf(),
            source_code: NamedSource::new(path.display().to_string(), text.to_string()),
            span,
            line,
            column,
            field,
            problem,
            label: None,
            help: None,
            drawable,
        }
    }

    /// Sets the help text: what was expected, or how to fix it.
    pub(super) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the text drawn under the span; without one, [`Problem::label`] is used.
    pub(super) fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// A TOML syntax error (including a key given twice); `document` is what toml could
    /// recover of the file, used to name the field when the error sits inside one.
    pub(super) fn from_toml_syntax(
        path: &Path,
        text: &str,
        document: &DeTable<'_>,
        error: &toml::de::Error,
    ) -> Self {
        let span = clamp_span(error.span().unwrap_or(0..0), text.len());
        let field = field_at(document, span.start);
        let (message, expected) = split_expected(error.message());
        let help = match expected {
            Some(expected) => Some(format!("expected {expected}")),
            None if message == "duplicate key" => {
                Some("a key appears once in a table; remove one of them".to_string())
            }
            None => None,
        };
        let invalid = Self::new(
            path,
            text,
            span,
            field,
            Problem::Syntax {
                message: message.to_string(),
            },
        );
        match help {
            Some(help) => invalid.with_help(help),
            None => invalid,
        }
    }

    /// A well-formed TOML document that does not fit the recipe structs: an unknown key or
    /// a value of the wrong type. serde's wording (written for Rust types) is rewritten in
    /// TOML's terms, and the field path is read off the parsed `document`.
    pub(super) fn from_toml_data(
        path: &Path,
        text: &str,
        document: &DeTable<'_>,
        error: &toml::de::Error,
    ) -> Self {
        let span = clamp_span(error.span().unwrap_or(0..0), text.len());
        let field = field_at(document, span.start);
        let (problem, help) = problem_from_serde(error.message(), &text[span.clone()]);
        let invalid = Self::new(path, text, span, field, problem);
        match help {
            Some(help) => invalid.with_help(help),
            None => invalid,
        }
    }

    /// The recipe file, as the caller named it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recipe file's text.
    pub fn source_text(&self) -> &str {
        self.source_code.inner()
    }

    /// Byte range of the key or value at fault.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// 1-based line of the span's start.
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column of the span's start, in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// Dotted path of the field at fault (`source.sha256`, `source.patches[1]`), when known.
    /// A TOML syntax error may sit outside any field.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// What was expected or how to fix it.
    pub fn help_text(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

impl fmt::Display for InvalidRecipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.path.display(), self.line, self.column)?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        write!(f, "{}", self.problem)
    }
}

impl std::error::Error for InvalidRecipe {}

impl Diagnostic for InvalidRecipe {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_deref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.drawable
            .then_some(&self.source_code as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.drawable {
            return None;
        }
        let label = self.label.clone().unwrap_or_else(|| self.problem.label());
        let span = (self.span.start, self.span.len());
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(label), span),
        )))
    }
}

/// What is wrong at the span of an [`InvalidRecipe`].
///
/// Typed so that callers and tests can match on it; `Display` gives the sentence that
/// follows `field:` in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file is not valid TOML (including a key given twice).
    Syntax { message: String },
    /// A key the recipe format does not have.
    UnknownKey {
        key: String,
        /// The keys allowed in that table.
        expected: Vec<String>,
    },
    /// A value of the wrong TOML type; both sides as serde describes them (`a list`,
    /// ``integer `3` ``).
    WrongType { expected: String, found: String },
    /// A value of the right type that fails validation; `found` is the value itself.
    InvalidValue { expected: String, found: String },
    /// A required key (`what` = "key") or table (`what` = "table") is absent.
    Missing { what: &'static str },
    /// A key that may not appear together with another one.
    NotAllowed { with: &'static str },
    /// `[source]` must have exactly one of `url`, `pypi`, `debian`, `path`; these were found.
    SourceKinds { found: Vec<&'static str> },
    /// `package.name` (normalised) differs from the recipe's folder name.
    NameMismatch { name: String, folder: String },
    /// A path in the recipe that would leave the folder it is relative to (`folder`: `the
    /// recipe folder` or `the source tree`): absolute, with `..`, or through a link.
    Outside {
        path: String,
        escape: Escape,
        folder: &'static str,
    },
    /// A host or run requirement names no recipe.
    UnknownRequirement { name: String },
    /// Requirements that lead back to this recipe; `chain` starts and ends with it.
    Cycle { chain: Vec<String> },
    /// A `host` requirement that a build cannot compile or link against: the runtime (every
    /// package builds against it already) or a Python package named by a non-package recipe.
    HostNotBuildable { name: String, kind: &'static str },
    /// A path in the recipe (relative to the recipe folder) does not exist or is not of the
    /// expected kind (`file` or `folder`).
    MissingPath {
        path: String,
        expected: &'static str,
        reason: PathProblem,
    },
}

/// Why a path named by a recipe is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    NotFound,
    WrongKind,
    /// Exists, but its metadata could not be read; the I/O error's text.
    Unreadable(String),
}

/// The names of the source kinds, in the order messages list them.
pub(super) const SOURCE_KINDS: [&str; 4] = ["url", "pypi", "debian", "path"];

impl Problem {
    /// A short text drawn under the span.
    pub fn label(&self) -> String {
        match self {
            Problem::Syntax { message } => message.clone(),
            Problem::UnknownKey { .. } => "unknown key".to_string(),
            Problem::WrongType { expected, .. } | Problem::InvalidValue { expected, .. } => {
                format!("expected {expected}")
            }
            Problem::Missing { what } => format!("required {what} is missing"),
            Problem::NotAllowed { with } => format!("not allowed with `{with}`"),
            Problem::SourceKinds { found } if found.is_empty() => "no source kind".to_string(),
            Problem::SourceKinds { .. } => "second source kind".to_string(),
            Problem::NameMismatch { folder, .. } => format!("expected `{folder}`"),
            Problem::Outside { escape, .. } => escape.label().to_string(),
            Problem::UnknownRequirement { .. } => "no such recipe".to_string(),
            Problem::Cycle { .. } => "leads back to this recipe".to_string(),
            Problem::HostNotBuildable { .. } => {
                "not a library or a package with headers".to_string()
            }
            Problem::MissingPath { reason, .. } => match reason {
                PathProblem::NotFound => "not found".to_string(),
                PathProblem::WrongKind => "wrong kind of file".to_string(),
                PathProblem::Unreadable(_) => "unreadable".to_string(),
            },
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Syntax { message } => write!(f, "invalid TOML: {message}"),
            Problem::UnknownKey { key, .. } => write!(f, "unknown key `{key}`"),
            Problem::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            Problem::InvalidValue { expected, found } => {
                write!(f, "expected {expected}, found {found:?}")
            }
            Problem::Missing { what } => write!(f, "required {what} is missing"),
            Problem::NotAllowed { with } => write!(f, "not allowed with `{with}`"),
            Problem::SourceKinds { found } => {
                let kinds = backticked_list(&SOURCE_KINDS, "or");
                if found.is_empty() {
                    write!(f, "expected one of {kinds}, found none")
                } else {
                    write!(
                        f,
                        "expected only one of {kinds}, found {}",
                        backticked_list(found, "and")
                    )
                }
            }
            Problem::NameMismatch { name, folder } => {
                write!(f, "`{name}` does not match the recipe folder `{folder}`")
            }
            Problem::Outside {
                path,
                escape,
                folder,
            } => write!(
                f,
                "`{}` {escape}; paths stay inside {folder}",
                path.escape_debug()
            ),
            Problem::UnknownRequirement { name } => write!(f, "no recipe named `{name}`"),
            Problem::Cycle { chain } => {
                write!(f, "dependency cycle: {}", chain.join(" → "))
            }
            Problem::HostNotBuildable { name, kind } => write!(
                f,
                "`{name}` is a {kind} recipe, not a library or a package with headers"
            ),
            Problem::MissingPath {
                path,
                expected,
                reason,
            } => match reason {
                PathProblem::NotFound => write!(f, "`{path}` does not exist"),
                PathProblem::WrongKind => write!(f, "`{path}` is not a {expected}"),
                PathProblem::Unreadable(error) => write!(f, "cannot read `{path}`: {error}"),
            },
        }
    }
}

/// Formats `a`, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
pub(super) fn backticked_list(items: &[impl AsRef<str>], conjunction: &str) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|item| format!("`{}`", item.as_ref()))
        .collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

/// Candidates within a small edit distance of `word`, closest first: for "did you mean".
pub(crate) fn close_matches<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let word = word.to_lowercase();
    // A third of the word's length, at least one: `nmpy` finds `numpy`, `a` finds nothing
    // far-fetched.
    let limit = (word.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let lowercase = candidate.to_lowercase();
            let distance = edit_distance(&word, &lowercase);
            if distance <= limit {
                Some((distance, candidate))
            } else if word.len() >= 3 && lowercase.starts_with(&word) {
                // A prefix (`shared` for `shared_library`) is a likely abbreviation, ranked
                // after the near-misses.
                Some((limit + 1, candidate))
            } else {
                None
            }
        })
        .collect();
    scored.sort();
    scored.into_iter().map(|(_, candidate)| candidate).collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// toml may point one past the end of the input (an unterminated table at EOF).
fn clamp_span(span: Range<usize>, len: usize) -> Range<usize> {
    let start = span.start.min(len);
    start..span.end.clamp(start, len)
}

/// Splits toml's `"message, expected X"` into its two halves.
fn split_expected(message: &str) -> (&str, Option<&str>) {
    match message.split_once(", expected ") {
        Some((message, expected)) => (message, Some(expected)),
        None => (message, None),
    }
}

/// Rewrites serde's wording (written for Rust types) in TOML's terms, and picks a help;
/// `written` is the text of the offending key or value in the file.
fn problem_from_serde(message: &str, written: &str) -> (Problem, Option<String>) {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((key, expected)) = rest.split_once('`')
    {
        let expected: Vec<String> = expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        let suggestion = close_matches(key, expected.iter().map(String::as_str))
            .first()
            .map(|closest| format!("did you mean `{closest}`? "))
            .unwrap_or_default();
        let expected_word = if suggestion.is_empty() {
            "expected"
        } else {
            "Expected"
        };
        let help = format!(
            "{suggestion}{expected_word} {}",
            if expected.len() == 1 {
                backticked_list(&expected, "or")
            } else {
                format!("one of {}", backticked_list(&expected, "or"))
            }
        );
        return (
            Problem::UnknownKey {
                key: key.to_string(),
                expected,
            },
            Some(help),
        );
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        let parts = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once(", expected "));
        if let Some((found, expected)) = parts {
            let expected = toml_type_name(expected);
            let found = toml_type_name(found);
            let help = match expected.as_str() {
                "a list" => list_suggestion(&found),
                "a string" if !found.starts_with("a ") => {
                    Some(format!("quote it: `\"{}\"`", written.trim()))
                }
                "a boolean" => Some("write `true` or `false`, without quotes".to_string()),
                _ => None,
            };
            return (Problem::WrongType { expected, found }, help);
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let key = rest.trim_end_matches('`');
        return (
            Problem::Missing { what: "key" },
            Some(format!("add `{key}`")),
        );
    }
    (
        Problem::Syntax {
            message: message.to_string(),
        },
        None,
    )
}

/// serde names Rust shapes (`a sequence`, `struct RawBuild`, `map`); recipe authors know
/// TOML's (`a list`, `a table`).
fn toml_type_name(serde_name: &str) -> String {
    if serde_name.starts_with("struct ") || serde_name == "a map" || serde_name == "map" {
        "a table".to_string()
    } else if serde_name == "a sequence" || serde_name == "sequence" {
        "a list".to_string()
    } else {
        serde_name.to_string()
    }
}

/// For a string where a list is expected (`cflags = "-O2 -g"`), shows the list it
/// probably meant: `["-O2", "-g"]`.
fn list_suggestion(found: &str) -> Option<String> {
    let quoted = found.strip_prefix("string \"")?.strip_suffix('"')?;
    if quoted.contains('\\') {
        return None;
    }
    let items: Vec<String> = quoted
        .split_whitespace()
        .map(|item| format!("\"{item}\""))
        .collect();
    Some(format!("write a list of strings: `[{}]`", items.join(", ")))
}

/// Dotted path (`build.cflags[1]`) of the deepest key or value whose span holds `offset`.
fn field_at(document: &DeTable<'_>, offset: usize) -> Option<String> {
    let mut path = String::new();
    walk_table(document, offset, &mut path).then_some(path)
}

fn walk_table(table: &DeTable<'_>, offset: usize, path: &mut String) -> bool {
    for (key, value) in table.iter() {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key.get_ref());
        if holds(key.span(), offset) || walk_value(value, offset, path) {
            return true;
        }
        path.truncate(len);
    }
    false
}

/// Children first, so the deepest match wins; a `[table]`'s own span is only its header.
fn walk_value(value: &Spanned<DeValue<'_>>, offset: usize, path: &mut String) -> bool {
    let in_child = match value.get_ref() {
        DeValue::Table(table) => walk_table(table, offset, path),
        DeValue::Array(array) => array.iter().enumerate().any(|(index, item)| {
            let len = path.len();
            path.push_str(&format!("[{index}]"));
            let found = walk_value(item, offset, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        _ => false,
    };
    in_child || holds(value.span(), offset)
}

fn holds(span: Range<usize>, offset: usize) -> bool {
    span.contains(&offset) || (span.is_empty() && span.start == offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_columns_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // `é` is two bytes but one column.
        assert_eq!(line_column(text, 9), (2, 3));
        assert_eq!(line_column(text, 99), (3, 1));
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            close_matches("cflag", ["cflags", "ldflags", "script"]),
            ["cflags"]
        );
        assert_eq!(close_matches("nmpy", ["numpy", "scipy"]), ["numpy"]);
        assert!(close_matches("zzz", ["numpy"]).is_empty());
    }

    #[test]
    fn lists_with_a_conjunction() {
        assert_eq!(backticked_list(&["a"], "or"), "`a`");
        assert_eq!(backticked_list(&["a", "b", "c"], "and"), "`a`, `b` and `c`");
    }
}
