//! A wheel's `METADATA` and `WHEEL` files (core metadata, RFC 822-style headers), and the
//! lock entry's `depends` computed from `Requires-Dist` for the runtime.
//!
//! Only the fields the distribution uses are kept: `Name` and `Version` (checked against the
//! file name), `Requires-Dist` (each parsed as a PEP 508 requirement, with its line), and
//! `Wheel-Version`. Markers are evaluated with `pep508_rs` (the PEP 508 implementation uv grew
//! from) in the runtime's environment: `sys_platform == "emscripten"`, `platform_system ==
//! "Emscripten"`, `platform_machine == "wasm32"`, the runtime's Python version, and no extras.

use std::collections::BTreeSet;
use std::str::FromStr;

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, Requirement};

use super::Runtime;

/// The parts of `METADATA` the distribution reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    /// `Requires-Dist` requirements, each with its 1-based line in `METADATA`.
    pub requires_dist: Vec<(usize, Requirement)>,
}

/// What is wrong with a `METADATA` or `WHEEL` file; each carries its 1-based line where
/// there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataProblem {
    #[error("has no `{field}` field")]
    Missing { field: &'static str },
    #[error("line {line}: not a `Field: value` header")]
    Malformed { line: usize },
    #[error(
        "line {line}: `Requires-Dist: {requirement}` is not a PEP 508 requirement: {message} (at character {column})"
    )]
    Requirement {
        line: usize,
        requirement: String,
        message: String,
        column: usize,
    },
    #[error("`Wheel-Version: {found}` is not a version this reader knows (1.x)")]
    WheelVersion { found: String },
}

/// The header fields of an RFC 822-style file, in order, each with its 1-based line; the
/// headers end at the first empty line (the rest is the description). A continuation line
/// (starting with a space or tab) extends the field before it.
fn headers(text: &str) -> Result<Vec<(usize, String, String)>, MetadataProblem> {
    let mut fields: Vec<(usize, String, String)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            match fields.last_mut() {
                Some((_, _, value)) => {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                None => return Err(MetadataProblem::Malformed { line: number }),
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(MetadataProblem::Malformed { line: number });
        };
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(MetadataProblem::Malformed { line: number });
        }
        fields.push((number, key.to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(fields)
}

impl Metadata {
    pub fn parse(text: &str) -> Result<Self, MetadataProblem> {
        let fields = headers(text)?;
        let first = |field: &'static str| {
            fields
                .iter()
                .find(|(_, key, _)| key == &field.to_ascii_lowercase())
                .map(|(_, _, value)| value.clone())
                .filter(|value| !value.is_empty())
                .ok_or(MetadataProblem::Missing { field })
        };
        let name = first("Name")?;
        let version = first("Version")?;
        let mut requires_dist = Vec::new();
        for (line, _, value) in fields.iter().filter(|(_, key, _)| key == "requires-dist") {
            if let Some((message, column)) = invalid_names(value) {
                return Err(MetadataProblem::Requirement {
                    line: *line,
                    requirement: value.clone(),
                    message,
                    column,
                });
            }
            let requirement =
                Requirement::from_str(value).map_err(|error| MetadataProblem::Requirement {
                    line: *line,
                    requirement: value.clone(),
                    // Not the error's own `Display`: it slices its input by character index
                    // as if by byte, which panics on non-ASCII text.
                    message: error.message.to_string(),
                    column: error.start + 1,
                })?;
            requires_dist.push((*line, requirement));
        }
        Ok(Self {
            name,
            version,
            requires_dist,
        })
    }

    /// The names (PEP 503-normalised, sorted, without duplicates or the package itself) of
    /// the requirements whose markers hold in `environment` with no extras.
    pub fn depends(&self, environment: &MarkerEnvironment) -> Vec<String> {
        let own = crate::recipe::normalize_name(&self.name);
        let names: BTreeSet<String> = self
            .requires_dist
            .iter()
            .filter(|(_, requirement)| requirement.evaluate_markers(environment, &[]))
            .map(|(_, requirement)| crate::recipe::normalize_name(requirement.name.as_ref()))
            .filter(|name| *name != own)
            .collect();
        names.into_iter().collect()
    }
}

/// A PEP 508 name: ASCII letters and digits, with `.`, `-`, `_` inside.
fn is_pep508_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Checks the name and extras at the start of a requirement before `pep508_rs` sees them:
/// its parser (0.9.2) panics on a name or extra that ends in `-`, `.` or `_` followed by
/// another character (`a-'`), which a hostile `METADATA` could hold. Returns the message and
/// the 1-based column.
fn invalid_names(requirement: &str) -> Option<(String, usize)> {
    let start = requirement.len() - requirement.trim_start().len();
    let rest = &requirement[start..];
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    let column = |byte: usize| requirement[..byte].chars().count() + 1;
    if !name.is_empty() && !is_pep508_name(name) {
        return Some((format!("`{name}` is not a package name"), column(start)));
    }
    let after = &rest[name_len..];
    let extras_start = start + name_len + (after.len() - after.trim_start().len());
    let extras = requirement[extras_start..].strip_prefix('[')?;
    let extras = &extras[..extras.find(']').unwrap_or(extras.len())];
    let mut offset = extras_start + 1;
    for extra in extras.split(',') {
        let trimmed = extra.trim();
        if !trimmed.is_empty() && !is_pep508_name(trimmed) {
            let leading = extra.len() - extra.trim_start().len();
            return Some((
                format!("`{trimmed}` is not an extra name"),
                column(offset + leading),
            ));
        }
        offset += extra.len() + 1;
    }
    None
}

/// Checks `WHEEL`: a `Wheel-Version` whose major version is 1.
pub fn check_wheel_file(text: &str) -> Result<(), MetadataProblem> {
    let fields = headers(text)?;
    let version = fields
        .iter()
        .find(|(_, key, _)| key == "wheel-version")
        .map(|(_, _, value)| value.as_str())
        .ok_or(MetadataProblem::Missing {
            field: "Wheel-Version",
        })?;
    match version.split_once('.') {
        Some(("1", minor)) if !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(())
        }
        _ => Err(MetadataProblem::WheelVersion {
            found: version.to_string(),
        }),
    }
}

/// The marker environment of a kiln runtime, as the runtime's own `sys`, `platform` and
/// `os` modules report it (Pyodide's values); `None` when its Python version is unknown.
pub fn environment(runtime: &Runtime) -> Option<MarkerEnvironment> {
    let python = runtime.python?;
    let python_full_version = python.to_string();
    let python_version = format!("{}.{}", python.major, python.minor);
    let builder = MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: &python_full_version,
        os_name: "posix",
        platform_machine: super::ARCH,
        platform_python_implementation: "CPython",
        platform_release: &runtime.emscripten,
        platform_system: "Emscripten",
        platform_version: "#1",
        python_full_version: &python_full_version,
        python_version: &python_version,
        sys_platform: "emscripten",
    };
    Some(
        MarkerEnvironment::try_from(builder)
            .expect("a PythonVersion always formats as a valid PEP 440 version"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUESTS: &str = "Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\n\
Requires-Python: >=3.8\n\
Requires-Dist: charset-normalizer <4,>=2\n\
Requires-Dist: idna <4,>=2.5\n\
Requires-Dist: urllib3 <3,>=1.21.1\n\
Requires-Dist: certifi >=2017.4.17\n\
Provides-Extra: security\n\
Provides-Extra: socks\n\
Requires-Dist: PySocks !=1.5.7,>=1.5.6 ; extra == 'socks'\n\
Provides-Extra: use_chardet_on_py3\n\
Requires-Dist: chardet <6,>=3.0.2 ; extra == 'use_chardet_on_py3'\n\
\n\
Requires-Dist: not-a-header-this-is-the-description\n";

    #[test]
    fn requests_depends_on_its_four_unconditional_requirements() {
        let metadata = Metadata::parse(REQUESTS).unwrap();
        assert_eq!(metadata.name, "requests");
        assert_eq!(metadata.version, "2.32.3");
        assert_eq!(metadata.requires_dist.len(), 6);
        let environment = environment(&super::super::tests::runtime()).unwrap();
        assert_eq!(
            metadata.depends(&environment),
            ["certifi", "charset-normalizer", "idna", "urllib3"]
        );
    }

    #[test]
    fn markers_are_evaluated_for_the_runtime() {
        let text = "Name: Demo_Pkg\nVersion: 1.0\n\
Requires-Dist: on-emscripten ; sys_platform == \"emscripten\"\n\
Requires-Dist: on-emscripten-system ; platform_system == \"Emscripten\"\n\
Requires-Dist: on-linux ; sys_platform == \"linux\"\n\
Requires-Dist: on-windows ; platform_system == \"Windows\"\n\
Requires-Dist: old-python ; python_version < \"3.10\"\n\
Requires-Dist: new-python ; python_full_version >= \"3.15.0\"\n\
Requires-Dist: Typing_Extensions>=4 ; python_version < \"3.16\"\n\
Requires-Dist: demo-pkg[extra]\n\
Requires-Dist: wasm-only ; platform_machine == \"wasm32\"\n";
        let metadata = Metadata::parse(text).unwrap();
        let environment = environment(&super::super::tests::runtime()).unwrap();
        assert_eq!(
            metadata.depends(&environment),
            [
                "new-python",
                "on-emscripten",
                "on-emscripten-system",
                "typing-extensions",
                "wasm-only"
            ]
        );
    }

    #[test]
    fn problems_carry_their_line() {
        assert_eq!(
            Metadata::parse("Name: x\n").unwrap_err(),
            MetadataProblem::Missing { field: "Version" }
        );
        assert_eq!(
            Metadata::parse("Name: x\nno colon here\n").unwrap_err(),
            MetadataProblem::Malformed { line: 2 }
        );
        let error = Metadata::parse("Name: x\nVersion: 1\nRequires-Dist: é >= ; é\n").unwrap_err();
        assert!(
            matches!(error, MetadataProblem::Requirement { line: 3, .. }),
            "{error:?}"
        );
        assert!(error.to_string().starts_with("line 3:"), "{error}");
        // Inputs that make pep508_rs 0.9.2 panic are refused before it sees them.
        for (text, column) in [("a-'", 1), ("a[b-]", 3), ("ok [x, y_ ; z", 8), ("a.(", 1)] {
            let error = Metadata::parse(&format!("Name: x\nVersion: 1\nRequires-Dist: {text}\n"))
                .unwrap_err();
            assert!(
                matches!(error, MetadataProblem::Requirement { line: 3, column: c, .. } if c == column),
                "{text}: {error:?}"
            );
        }
        assert_eq!(
            check_wheel_file("Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"),
            Ok(())
        );
        assert_eq!(
            check_wheel_file("Wheel-Version: 2.0\n"),
            Err(MetadataProblem::WheelVersion {
                found: "2.0".into()
            })
        );
    }
}
