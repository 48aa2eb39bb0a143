//! Wheel file names: `{name}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl`.
//!
//! Parsed once into a [`WheelFilename`] whose `Display` gives the name back. The distribution
//! name is normalised as the binary distribution format asks (lower case, every run of `-`, `_`
//! and `.` turned into one `_`), so `PyYAML-6.0.2-….whl` parses and prints as `pyyaml-6.0.2-….whl`;
//! a normalised name round-trips byte for byte. Compressed tag sets (`py2.py3`) are kept as lists.

use std::fmt;
use std::str::FromStr;

/// A parsed wheel file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WheelFilename {
    /// Normalised distribution name: lower case, `_` as the only separator.
    name: String,
    version: String,
    build_tag: Option<String>,
    python_tags: Vec<String>,
    abi_tags: Vec<String>,
    platform_tags: Vec<String>,
}

/// Why a string is not a wheel file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid wheel file name `{filename}`: {problem}")]
pub struct ParseWheelFilenameError {
    pub filename: String,
    pub problem: FilenameProblem,
}

/// The part of a wheel file name that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilenameProblem {
    #[error("it does not end in `.whl`")]
    Extension,
    #[error("expected 5 or 6 parts separated by `-`, found {0}")]
    PartCount(usize),
    #[error("the name is empty or has characters other than letters, digits, `_` and `.`")]
    Name,
    #[error(
        "the version is empty or has characters other than letters, digits, `.`, `_`, `+` and `!`"
    )]
    Version,
    #[error("the build tag must start with a digit and have only letters, digits, `_` and `.`")]
    BuildTag,
    #[error("the {0} tag is empty or has characters other than letters, digits and `_`")]
    Tag(TagKind),
}

/// Which of the three compatibility tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    Python,
    Abi,
    Platform,
}

impl fmt::Display for TagKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TagKind::Python => "python",
            TagKind::Abi => "ABI",
            TagKind::Platform => "platform",
        })
    }
}

impl WheelFilename {
    /// A file name from its parts; `name` is normalised, a `-` in `version` becomes `_`.
    /// Each tag argument may be compressed (`py2.py3`).
    pub fn new(
        name: &str,
        version: &str,
        python_tag: &str,
        abi_tag: &str,
        platform_tag: &str,
    ) -> Result<Self, FilenameProblem> {
        let name = normalize_name(name).ok_or(FilenameProblem::Name)?;
        let version = version.replace('-', "_");
        if !valid_version(&version) {
            return Err(FilenameProblem::Version);
        }
        Ok(Self {
            name,
            version,
            build_tag: None,
            python_tags: parse_tag_set(python_tag, TagKind::Python)?,
            abi_tags: parse_tag_set(abi_tag, TagKind::Abi)?,
            platform_tags: parse_tag_set(platform_tag, TagKind::Platform)?,
        })
    }

    /// The same distribution, version and build tag with other compatibility tags.
    pub fn with_tags(
        &self,
        python_tag: &str,
        abi_tag: &str,
        platform_tag: &str,
    ) -> Result<Self, FilenameProblem> {
        Ok(Self {
            python_tags: parse_tag_set(python_tag, TagKind::Python)?,
            abi_tags: parse_tag_set(abi_tag, TagKind::Abi)?,
            platform_tags: parse_tag_set(platform_tag, TagKind::Platform)?,
            ..self.clone()
        })
    }

    /// The same wheel under another (already valid) distribution name, e.g. `{name}_tests`.
    pub fn with_name(&self, name: &str) -> Result<Self, FilenameProblem> {
        Ok(Self {
            name: normalize_name(name).ok_or(FilenameProblem::Name)?,
            ..self.clone()
        })
    }

    /// The normalised distribution name (`_`-separated, lower case).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn build_tag(&self) -> Option<&str> {
        self.build_tag.as_deref()
    }

    pub fn python_tags(&self) -> &[String] {
        &self.python_tags
    }

    pub fn abi_tags(&self) -> &[String] {
        &self.abi_tags
    }

    pub fn platform_tags(&self) -> &[String] {
        &self.platform_tags
    }

    /// True for `none`/`any` wheels, which carry no compiled code.
    pub fn is_pure(&self) -> bool {
        self.abi_tags == ["none"] && self.platform_tags == ["any"]
    }

    /// Every `python-abi-platform` triple the compressed tag sets expand to, in the order
    /// `WHEEL`'s `Tag:` lines list them (python, then abi, then platform).
    pub fn expanded_tags(&self) -> Vec<String> {
        let mut tags = Vec::new();
        for python in &self.python_tags {
            for abi in &self.abi_tags {
                for platform in &self.platform_tags {
                    tags.push(format!("{python}-{abi}-{platform}"));
                }
            }
        }
        tags
    }
}

impl FromStr for WheelFilename {
    type Err = ParseWheelFilenameError;

    fn from_str(filename: &str) -> Result<Self, Self::Err> {
        let error = |problem| ParseWheelFilenameError {
            filename: filename.to_string(),
            problem,
        };
        let stem = filename
            .strip_suffix(".whl")
            .ok_or_else(|| error(FilenameProblem::Extension))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build_tag, python, abi, platform) = match parts[..] {
            [name, version, python, abi, platform] => (name, version, None, python, abi, platform),
            [name, version, build, python, abi, platform] => {
                (name, version, Some(build), python, abi, platform)
            }
            _ => return Err(error(FilenameProblem::PartCount(parts.len()))),
        };
        let mut parsed = WheelFilename::new(name, version, python, abi, platform).map_err(error)?;
        if let Some(build) = build_tag {
            if !valid_build_tag(build) {
                return Err(error(FilenameProblem::BuildTag));
            }
            parsed.build_tag = Some(build.to_string());
        }
        Ok(parsed)
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version)?;
        if let Some(build) = &self.build_tag {
            write!(f, "-{build}")?;
        }
        write!(
            f,
            "-{}-{}-{}.whl",
            self.python_tags.join("."),
            self.abi_tags.join("."),
            self.platform_tags.join(".")
        )
    }
}

/// The wheel-file-name form of a distribution name: lower case, each run of `-`, `_`, `.`
/// replaced by one `_`. `None` when the name is empty or has other characters.
pub fn normalize_name(name: &str) -> Option<String> {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for character in name.chars() {
        match character {
            '-' | '_' | '.' => {
                if !in_separator_run {
                    normalized.push('_');
                }
                in_separator_run = true;
            }
            c if c.is_ascii_alphanumeric() => {
                normalized.push(c.to_ascii_lowercase());
                in_separator_run = false;
            }
            _ => return None,
        }
    }
    let has_alphanumeric = normalized.chars().any(|c| c.is_ascii_alphanumeric());
    has_alphanumeric.then_some(normalized)
}

fn valid_version(version: &str) -> bool {
    !version.is_empty()
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '!'))
}

fn valid_build_tag(build: &str) -> bool {
    build.starts_with(|c: char| c.is_ascii_digit())
        && build
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'))
}

fn parse_tag_set(text: &str, kind: TagKind) -> Result<Vec<String>, FilenameProblem> {
    text.split('.')
        .map(|tag| {
            let valid =
                !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            valid
                .then(|| tag.to_string())
                .ok_or(FilenameProblem::Tag(kind))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_normalised_names() {
        for text in [
            "pyyaml-6.0.2-cp313-cp313-emscripten_3_1_69_wasm32.whl",
            "six-1.17.0-py2.py3-none-any.whl",
            "numpy-2.4.6-1_kiln-cp313-cp313-emscripten_3_1_69_wasm32.whl",
            "zope_interface-7.2+local.1-cp313-abi3-emscripten_3_1_69_wasm32.whl",
        ] {
            let parsed: WheelFilename = text.parse().unwrap();
            assert_eq!(parsed.to_string(), text);
            assert_eq!(parsed.to_string().parse::<WheelFilename>().unwrap(), parsed);
        }
    }

    #[test]
    fn normalises_names() {
        let parsed: WheelFilename = "PyYAML-6.0.2-cp313-cp313-linux_x86_64.whl".parse().unwrap();
        assert_eq!(parsed.name(), "pyyaml");
        let parsed: WheelFilename = "Zope.Interface__x-1-py3-none-any.whl".parse().unwrap();
        assert_eq!(parsed.name(), "zope_interface_x");
        assert_eq!(
            normalize_name("kiwi-solver").as_deref(),
            Some("kiwi_solver")
        );
        assert_eq!(normalize_name("--"), None);
        assert_eq!(normalize_name("na me"), None);
    }

    #[test]
    fn expands_compressed_tag_sets() {
        let parsed: WheelFilename = "six-1.17.0-py2.py3-none-any.whl".parse().unwrap();
        assert_eq!(parsed.python_tags(), ["py2", "py3"]);
        assert_eq!(parsed.expanded_tags(), ["py2-none-any", "py3-none-any"]);
        assert!(parsed.is_pure());
        assert_eq!(parsed.build_tag(), None);
    }

    #[test]
    fn retags_keeping_name_version_and_build() {
        let parsed: WheelFilename = "markupsafe-3.0.2-7-cp313-cp313-linux_x86_64.whl"
            .parse()
            .unwrap();
        let retagged = parsed
            .with_tags("cp313", "cp313", "emscripten_3_1_69_wasm32")
            .unwrap();
        assert_eq!(
            retagged.to_string(),
            "markupsafe-3.0.2-7-cp313-cp313-emscripten_3_1_69_wasm32.whl"
        );
        assert_eq!(
            retagged.with_name("markupsafe-tests").unwrap().to_string(),
            "markupsafe_tests-3.0.2-7-cp313-cp313-emscripten_3_1_69_wasm32.whl"
        );
    }

    #[test]
    fn rejects_malformed_names() {
        let problem = |text: &str| text.parse::<WheelFilename>().unwrap_err().problem;
        assert_eq!(
            problem("six-1.17.0-py3-none-any.zip"),
            FilenameProblem::Extension
        );
        assert_eq!(
            problem("six-py3-none-any.whl"),
            FilenameProblem::PartCount(4)
        );
        assert_eq!(
            problem("a-b-1-2-py3-none-any.whl"),
            FilenameProblem::PartCount(7)
        );
        assert_eq!(problem("s ix-1-py3-none-any.whl"), FilenameProblem::Name);
        assert_eq!(problem("six--py3-none-any.whl"), FilenameProblem::Version);
        assert_eq!(
            problem("six-1-x1-py3-none-any.whl"),
            FilenameProblem::BuildTag
        );
        assert_eq!(
            problem("six-1-py2..py3-none-any.whl"),
            FilenameProblem::Tag(TagKind::Python)
        );
        assert_eq!(
            problem("six-1-py3-none-an/y.whl"),
            FilenameProblem::Tag(TagKind::Platform)
        );
        let error = "six.whl".parse::<WheelFilename>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid wheel file name `six.whl`: expected 5 or 6 parts separated by `-`, found 1"
        );
    }
}
