//! `pypi` sources: an sdist found through a package index's simple API.
//!
//! `pip download --no-binary :all:` is not a plain download (it prepares the sdist's
//! metadata, which for NumPy means building its build tools), so kiln reads the index itself:
//! GET `<index>/<normalized name>/` asking for PEP 691 JSON first and accepting the PEP 503
//! HTML page, then picks the sdist whose file name is `name-version.tar.gz` (or `.zip`). A
//! server that answers the JSON request badly gets a second, HTML-only request.
//!
//! The index URL is the user's: `settings.index_url` (`KILN_INDEX_URL`, `PIP_INDEX_URL`),
//! else what pip's configuration files name, else pip's own default, asked of pip itself so
//! that no index host name is written into kiln. Mirrors and proxies are thereby honoured.
//!
//! Parsing and selection are pure functions over page text, tested with fixture strings.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use serde::Deserialize;

use super::fetch::{file_url_path, safe_file_name};
use super::{FetchContext, SourceError};
use crate::hash::Sha256;
use crate::run;

/// What the first request accepts: PEP 691 JSON, else either HTML flavour.
const ACCEPT_ANY: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1";
const ACCEPT_HTML: &str = "application/vnd.pypi.simple.v1+html, text/html;q=0.9";

/// One file listed on a project page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    pub filename: String,
    /// Absolute URL, without fragment.
    pub url: String,
    /// The sha256 the index lists, if any.
    pub sha256: Option<Sha256>,
}

/// The index URL pip would use, found once per process (asking pip costs a Python start).
static PIP_INDEX_URL: Mutex<Option<String>> = Mutex::new(None);

/// The simple-API base URL to read sdists from, without a trailing `/`.
pub(super) fn index_url(ctx: &FetchContext) -> Result<String, SourceError> {
    if let Some(url) = &ctx.settings.index_url {
        return Ok(url.trim_end_matches('/').to_string());
    }
    if let Some(url) = PIP_INDEX_URL.lock().ok().and_then(|cached| cached.clone()) {
        return Ok(url);
    }
    let from_config = ask_python(&["-m", "pip", "config", "list"], &ctx.log)
        .and_then(|listing| index_url_from_pip_config(&listing));
    let url = match from_config {
        Some(url) => url,
        None => ask_python(
            &[
                "-c",
                "from pip._internal.models.index import PyPI; print(PyPI.simple_url)",
            ],
            &ctx.log,
        )
        .ok_or_else(|| SourceError::IndexUrlUnknown {
            log: ctx.log.clone(),
        })?,
    };
    let url = url.trim().trim_end_matches('/').to_string();
    tracing::debug!(url, "package index from pip");
    if let Ok(mut cached) = PIP_INDEX_URL.lock() {
        *cached = Some(url.clone());
    }
    Ok(url)
}

/// Runs `python3 ARGS…` and returns what it printed on standard output, or `None` when it
/// failed. Standard error goes to the recipe's log like every subprocess's; standard output
/// is redirected by a shell into a scratch file, since [`run`] sends output only to logs.
fn ask_python(args: &[&str], log: &Path) -> Option<String> {
    let out = tempfile::NamedTempFile::new().ok()?;
    let mut command = Command::new("sh");
    command
        .args(["-c", r#"out=$1; shift; exec "$@" > "$out""#, "kiln-ask"])
        .arg(out.path())
        .arg("python3")
        .args(args);
    let status = run::run_logged_status(&mut command, log)
        .inspect_err(|error| tracing::debug!(%error, "cannot ask python3"))
        .ok()?;
    if !status.success() {
        return None;
    }
    let text = fs_err::read_to_string(out.path()).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The index URL in `pip config list` output (`scope.key='value'` lines), in pip's order of
/// precedence for `pip download`: environment, then the `download` section, then `global`.
pub(super) fn index_url_from_pip_config(listing: &str) -> Option<String> {
    let values: BTreeMap<&str, &str> = listing
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim(), value.trim()))
        .collect();
    [":env:.index-url", "download.index-url", "global.index-url"]
        .iter()
        .find_map(|key| values.get(key))
        .map(|value| {
            let unquoted = value
                .strip_prefix('\'')
                .and_then(|rest| rest.strip_suffix('\''))
                .or_else(|| {
                    value
                        .strip_prefix('"')
                        .and_then(|rest| rest.strip_suffix('"'))
                })
                .unwrap_or(value);
            unquoted.to_string()
        })
        .filter(|url| !url.is_empty())
}

/// Project names on the index are compared PEP 503-normalised, as recipe names are.
pub(super) use crate::recipe::normalize_name;

/// Finds the sdist of `name==version` on the index at `index`.
pub(super) fn find_sdist(
    agent: &ureq::Agent,
    index: &str,
    name: &str,
    version: &str,
) -> Result<IndexFile, SourceError> {
    let (page_url, files) = project_files(agent, index, name)?;
    match select_sdist(&files, name, version) {
        Some(file) => Ok(file.clone()),
        None => {
            let needle = version.to_ascii_lowercase();
            Err(SourceError::SdistNotFound {
                name: name.to_string(),
                version: version.to_string(),
                url: page_url,
                found: files
                    .iter()
                    .filter(|file| file.filename.to_ascii_lowercase().contains(&needle))
                    .map(|file| file.filename.clone())
                    .take(10)
                    .collect(),
            })
        }
    }
}

/// Every file the project page of `name` lists (its URL, and the files).
pub(super) fn project_files(
    agent: &ureq::Agent,
    index: &str,
    name: &str,
) -> Result<(String, Vec<IndexFile>), SourceError> {
    let page_url = format!("{}/{}/", index.trim_end_matches('/'), normalize_name(name));
    let files = match get_page(agent, &page_url, ACCEPT_ANY) {
        Ok(page) if page.is_json => match parse_json_page(&page.body, &page.url) {
            Ok(files) => files,
            Err(error) => {
                tracing::debug!(%error, "unusable simple API JSON; trying the HTML page");
                html_files(agent, &page_url)?
            }
        },
        Ok(page) => parse_html_page(&page.body, &page.url),
        Err(error) => {
            tracing::debug!(%error, url = page_url, "simple API request failed; trying the HTML page");
            html_files(agent, &page_url)?
        }
    };
    Ok((page_url, files))
}

fn html_files(agent: &ureq::Agent, page_url: &str) -> Result<Vec<IndexFile>, SourceError> {
    let page = get_page(agent, page_url, ACCEPT_HTML)?;
    Ok(parse_html_page(&page.body, &page.url))
}

struct Page {
    /// The URL the body came from, after redirects: relative links resolve against it.
    url: String,
    is_json: bool,
    body: String,
}

/// Largest index page read; NumPy's JSON page, with every wheel of every release, is a few
/// MB.
const MAX_PAGE: u64 = 64 * 1024 * 1024;

fn get_page(agent: &ureq::Agent, url: &str, accept: &str) -> Result<Page, SourceError> {
    let wrap = |source: SourceError| SourceError::IndexPage {
        url: url.to_string(),
        source: Box::new(source),
    };
    if let Some(path) = file_url_path(url) {
        // A local index is a tree of `index.html` files, as pip reads it.
        let file = if url.ends_with('/') || path.is_dir() {
            path.join("index.html")
        } else {
            path
        };
        let body = fs_err::read_to_string(&file)
            .map_err(|source| wrap(SourceError::Read { path: file, source }))?;
        return Ok(Page {
            url: url.to_string(),
            is_json: false,
            body,
        });
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(SourceError::UnsupportedUrl {
            url: url.to_string(),
        });
    }
    let http_error = |source| {
        wrap(SourceError::Http {
            url: url.to_string(),
            source: Box::new(source),
        })
    };
    let mut response = agent
        .get(url)
        .header("Accept", accept)
        .call()
        .map_err(http_error)?;
    let final_url = ureq::ResponseExt::get_uri(&response).to_string();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_PAGE)
        .read_to_string()
        .map_err(http_error)?;
    Ok(Page {
        url: final_url,
        is_json: content_type.contains("json"),
        body,
    })
}

#[derive(Deserialize)]
struct JsonPage {
    #[serde(default)]
    meta: Option<JsonMeta>,
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonMeta {
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

/// The files of a PEP 691 JSON project page; relative URLs are resolved against `page_url`.
pub(super) fn parse_json_page(body: &str, page_url: &str) -> Result<Vec<IndexFile>, SourceError> {
    let page: JsonPage = serde_json::from_str(body).map_err(|source| SourceError::IndexJson {
        url: page_url.to_string(),
        source,
    })?;
    let version = page.meta.and_then(|meta| meta.api_version);
    if let Some(version) = version.filter(|version| version.split('.').next() != Some("1")) {
        return Err(SourceError::IndexApiVersion {
            url: page_url.to_string(),
            version,
        });
    }
    Ok(page
        .files
        .into_iter()
        .map(|file| {
            let absolute = join_url(page_url, &file.url);
            let (url, fragment) = split_fragment(&absolute);
            let listed = file
                .hashes
                .get("sha256")
                .map(String::as_str)
                .or_else(|| fragment_sha256(fragment));
            IndexFile {
                filename: file.filename,
                url: url.to_string(),
                sha256: listed.and_then(|hex| hex.parse().ok()),
            }
        })
        .collect())
}

/// The files of a PEP 503 HTML project page: every `<a href>` (anchor text = file name),
/// resolved against `page_url` or the page's `<base href>`, with `#sha256=` fragments read.
///
/// A deliberately small parser: the format is a flat list of anchors, and kiln needs only
/// their `href` and text.
pub(super) fn parse_html_page(body: &str, page_url: &str) -> Vec<IndexFile> {
    let lower = body.to_ascii_lowercase();
    let mut base = page_url.to_string();
    let mut files = Vec::new();
    let mut position = 0;
    while let Some(offset) = lower[position..].find('<') {
        let start = position + offset + 1;
        if lower[start..].starts_with("!--") {
            position = lower[start..]
                .find("-->")
                .map_or(lower.len(), |end| start + end + 3);
            continue;
        }
        let name_end = lower[start..]
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .map_or(lower.len(), |end| start + end);
        let Some(close) = tag_end(body, name_end) else {
            break;
        };
        let tag = &lower[start..name_end];
        let attributes = parse_attributes(&body[name_end..close]);
        let href = attributes
            .iter()
            .find(|(name, _)| name == "href")
            .map(|(_, value)| unescape(value));
        position = close + 1;
        match (tag, href) {
            ("base", Some(href)) => base = join_url(page_url, &href),
            ("a", Some(href)) => {
                let text_end = lower[position..]
                    .find("</a")
                    .map_or(body.len(), |end| position + end);
                let text = unescape(body[position..text_end].trim());
                position = text_end;
                let absolute = join_url(&base, &href);
                let (url, fragment) = split_fragment(&absolute);
                let filename = if text.is_empty() {
                    last_segment(url)
                } else {
                    text
                };
                files.push(IndexFile {
                    filename,
                    url: url.to_string(),
                    sha256: fragment_sha256(fragment).and_then(|hex| hex.parse().ok()),
                });
            }
            _ => {}
        }
    }
    files
}

/// The index of the `>` closing the tag whose attributes start at `from`, skipping quoted
/// values (which may hold `>`).
fn tag_end(body: &str, from: usize) -> Option<usize> {
    let mut quote = None;
    for (offset, character) in body[from..].char_indices() {
        match (quote, character) {
            (None, '"' | '\'') => quote = Some(character),
            (Some(open), _) if open == character => quote = None,
            (None, '>') => return Some(from + offset),
            _ => {}
        }
    }
    None
}

/// `name=value` pairs of a tag (names lower-cased; values raw, still escaped).
fn parse_attributes(text: &str) -> Vec<(String, String)> {
    let mut attributes = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            return attributes;
        }
        let name_length = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        if name_length == 0 {
            // A stray `=`: skip it.
            rest = &rest[1..];
            continue;
        }
        let name = rest[..name_length].to_ascii_lowercase();
        rest = rest[name_length..].trim_start();
        let Some(after) = rest.strip_prefix('=') else {
            attributes.push((name, String::new()));
            continue;
        };
        let after = after.trim_start();
        let (value, remaining) = match after.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let inner = &after[1..];
                match inner.find(quote) {
                    Some(end) => (&inner[..end], &inner[end + 1..]),
                    None => (inner, ""),
                }
            }
            _ => {
                let end = after
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        attributes.push((name, value.to_string()));
        rest = remaining;
    }
}

/// Decodes the character references an index page uses (`&amp;`, `&#43;`, `&#x2B;`…).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let decoded = rest.find(';').filter(|end| *end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let character = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity.strip_prefix('#').and_then(|number| {
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => number.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            };
            character.map(|character| (character, end + 1))
        });
        match decoded {
            Some((character, length)) => {
                out.push(character);
                rest = &rest[length..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn split_fragment(url: &str) -> (&str, &str) {
    url.split_once('#').unwrap_or((url, ""))
}

fn fragment_sha256(fragment: &str) -> Option<&str> {
    fragment
        .split('&')
        .find_map(|part| part.strip_prefix("sha256="))
}

fn last_segment(url: &str) -> String {
    let path = url.split('?').next().unwrap_or_default();
    safe_file_name(path.rsplit('/').next().unwrap_or_default())
}

/// Picks the sdist of `name==version`: a `.tar.gz` (else a `.zip`) whose name, with the
/// extension removed, ends in `-VERSION` and whose project part normalises to `name`'s. That
/// covers the old spellings (`MarkupSafe-3.0.2.tar.gz`) and PEP 625's (`markupsafe-3.0.2`,
/// with `-`/`.` written `_`), case-insensitively.
pub(super) fn select_sdist<'a>(
    files: &'a [IndexFile],
    name: &str,
    version: &str,
) -> Option<&'a IndexFile> {
    let wanted = normalize_name(name);
    let suffix = format!("-{}", version.to_ascii_lowercase());
    [".tar.gz", ".zip"].iter().find_map(|extension| {
        files.iter().find(|file| {
            let lower = file.filename.to_ascii_lowercase();
            lower
                .strip_suffix(extension)
                .and_then(|stem| stem.strip_suffix(&suffix))
                .is_some_and(|project| normalize_name(project) == wanted)
        })
    })
}

/// Resolves `reference` against `base` (RFC 3986 §5.2, for the URL shapes index pages
/// use: absolute, scheme-relative, absolute-path and relative-path references).
pub(super) fn join_url(base: &str, reference: &str) -> String {
    let has_scheme = reference.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if has_scheme {
        return reference.to_string();
    }
    let (scheme, after_scheme) = base.split_once("://").unwrap_or(("", base));
    let base_without_fragment = after_scheme.split('#').next().unwrap_or_default();
    let base_without_query = base_without_fragment.split('?').next().unwrap_or_default();
    let (authority, base_path) = match base_without_query.find('/') {
        Some(slash) => (&base_without_query[..slash], &base_without_query[slash..]),
        None => (base_without_query, "/"),
    };
    if let Some(rest) = reference.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    if reference.is_empty() {
        return format!("{scheme}://{base_without_fragment}");
    }
    if reference.starts_with('#') {
        return format!("{scheme}://{base_without_fragment}{reference}");
    }
    if reference.starts_with('?') {
        return format!("{scheme}://{authority}{base_path}{reference}");
    }
    let split = reference.find(['?', '#']).unwrap_or(reference.len());
    let (reference_path, tail) = reference.split_at(split);
    let merged = if reference_path.starts_with('/') {
        reference_path.to_string()
    } else {
        let directory = &base_path[..base_path.rfind('/').map_or(0, |slash| slash + 1)];
        format!("{directory}{reference_path}")
    };
    format!(
        "{scheme}://{authority}{}{tail}",
        remove_dot_segments(&merged)
    )
}

/// RFC 3986 §5.2.4 for a path starting with `/`.
fn remove_dot_segments(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (index, segment) in segments.iter().enumerate() {
        let last = index + 1 == segments.len();
        match *segment {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            other => out.push(other),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const HEX_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    /// A project page shaped like a real index's, trimmed: wheels, an older sdist, the
    /// wanted sdist with a relative URL.
    fn json_fixture() -> String {
        format!(
            r#"{{
  "meta": {{"_last-serial": 1, "api-version": "1.3"}},
  "name": "markupsafe",
  "files": [
    {{"filename": "MarkupSafe-3.0.1.tar.gz", "url": "https://files.example.invalid/p/MarkupSafe-3.0.1.tar.gz",
      "hashes": {{"sha256": "{HEX_B}"}}, "requires-python": ">=3.9", "yanked": false}},
    {{"filename": "MarkupSafe-3.0.2-cp313-cp313-manylinux_2_17_x86_64.whl",
      "url": "https://files.example.invalid/p/MarkupSafe-3.0.2-cp313-cp313-manylinux_2_17_x86_64.whl",
      "hashes": {{"sha256": "{HEX_B}"}}}},
    {{"filename": "markupsafe-3.0.2.tar.gz", "url": "../../packages/ab/markupsafe-3.0.2.tar.gz",
      "hashes": {{"sha256": "{HEX_A}", "blake2b_256": "00"}}, "core-metadata": false}}
  ],
  "versions": ["3.0.1", "3.0.2"]
}}"#
        )
    }

    #[test]
    fn parses_pep_691_json_and_resolves_relative_urls() {
        let files = parse_json_page(
            &json_fixture(),
            "https://index.example.invalid/simple/markupsafe/",
        )
        .unwrap();
        assert_eq!(files.len(), 3);
        let sdist = select_sdist(&files, "MarkupSafe", "3.0.2").unwrap();
        assert_eq!(sdist.filename, "markupsafe-3.0.2.tar.gz");
        assert_eq!(
            sdist.url,
            "https://index.example.invalid/packages/ab/markupsafe-3.0.2.tar.gz"
        );
        assert_eq!(sdist.sha256, Some(HEX_A.parse().unwrap()));
        assert_eq!(
            select_sdist(&files, "markupsafe", "3.0.1")
                .unwrap()
                .filename,
            "MarkupSafe-3.0.1.tar.gz"
        );
        assert!(select_sdist(&files, "markupsafe", "3.0").is_none());
    }

    #[test]
    fn refuses_an_unknown_major_api_version() {
        let body = r#"{"meta": {"api-version": "2.0"}, "files": []}"#;
        let error = parse_json_page(body, "https://i.example.invalid/simple/x/").unwrap_err();
        assert!(
            matches!(error, SourceError::IndexApiVersion { ref version, .. } if version == "2.0"),
            "{error}"
        );
        assert!(matches!(
            parse_json_page("<html>", "https://i.example.invalid/simple/x/"),
            Err(SourceError::IndexJson { .. })
        ));
    }

    #[test]
    fn parses_pep_503_html_with_fragments_and_entities() {
        let body = format!(
            r#"<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for zope.interface</title></head>
<body><h1>Links for zope.interface</h1>
<!-- <a href="commented-out-1.0.tar.gz">commented-out-1.0.tar.gz</a> -->
<a href="https://files.example.invalid/zope.interface-6.0-cp311-cp311-linux_x86_64.whl#sha256={HEX_B}" data-requires-python="&gt;=3.7">zope.interface-6.0-cp311-cp311-linux_x86_64.whl</a><br/>
<A HREF='../../files/zope_interface-7.1.tar.gz#sha256={HEX_A}' data-dist-info-metadata="sha256=00">zope_interface-7.1.tar.gz</A><br/>
<a href="/files/zope.interface-7.1.zip?a=1&amp;b=2">zope.interface-7.1.zip</a>
<a href="no-text-7.2.tar.gz#md5=00"></a>
</body></html>"#
        );
        let files = parse_html_page(
            &body,
            "https://index.example.invalid/simple/zope-interface/",
        );
        let names: Vec<&str> = files.iter().map(|file| file.filename.as_str()).collect();
        assert_eq!(
            names,
            [
                "zope.interface-6.0-cp311-cp311-linux_x86_64.whl",
                "zope_interface-7.1.tar.gz",
                "zope.interface-7.1.zip",
                "no-text-7.2.tar.gz"
            ]
        );
        let sdist = select_sdist(&files, "zope.interface", "7.1").unwrap();
        assert_eq!(
            sdist.url,
            "https://index.example.invalid/files/zope_interface-7.1.tar.gz"
        );
        assert_eq!(sdist.sha256, Some(HEX_A.parse().unwrap()));
        assert_eq!(
            files[2].url,
            "https://index.example.invalid/files/zope.interface-7.1.zip?a=1&b=2"
        );
        assert_eq!(files[3].sha256, None);
    }

    #[test]
    fn html_base_href_changes_resolution() {
        let body = r#"<html><head><base href="https://mirror.example.invalid/root/"></head>
<body><a href="pkg-1.0.tar.gz">pkg-1.0.tar.gz</a></body></html>"#;
        let files = parse_html_page(body, "https://index.example.invalid/simple/pkg/");
        assert_eq!(
            files[0].url,
            "https://mirror.example.invalid/root/pkg-1.0.tar.gz"
        );
    }

    #[test]
    fn sdist_names_match_across_spellings() {
        let file = |filename: &str| IndexFile {
            filename: filename.to_string(),
            url: String::new(),
            sha256: None,
        };
        let files = [
            file("Foo.Bar-1.0.zip"),
            file("foo_bar-1.0.tar.gz"),
            file("foo_bar_baz-1.0.tar.gz"),
        ];
        assert_eq!(
            select_sdist(&files, "foo-bar", "1.0").unwrap().filename,
            "foo_bar-1.0.tar.gz"
        );
        assert_eq!(
            select_sdist(&files[..1], "FOO_bar", "1.0")
                .unwrap()
                .filename,
            "Foo.Bar-1.0.zip"
        );
        assert!(select_sdist(&files, "foo", "bar-1.0").is_none());
        assert!(select_sdist(&files, "foo-bar", "1.0.0").is_none());
        assert!(select_sdist(&files, "foo-bar-ba", "1.0").is_none());
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize_name("Zope.Interface"), "zope-interface");
        assert_eq!(normalize_name("a__b-.c"), "a-b-c");
    }

    #[test]
    fn joins_urls() {
        let base = "https://h.example.invalid/simple/pkg/";
        assert_eq!(
            join_url(base, "https://other.example.invalid/x"),
            "https://other.example.invalid/x"
        );
        assert_eq!(
            join_url(base, "//cdn.example.invalid/x"),
            "https://cdn.example.invalid/x"
        );
        assert_eq!(
            join_url(base, "/files/x.tar.gz"),
            "https://h.example.invalid/files/x.tar.gz"
        );
        assert_eq!(
            join_url(base, "../../f/./x.tar.gz#sha256=1"),
            "https://h.example.invalid/f/x.tar.gz#sha256=1"
        );
        assert_eq!(
            join_url(base, "x.tar.gz"),
            "https://h.example.invalid/simple/pkg/x.tar.gz"
        );
        assert_eq!(
            join_url("https://h.example.invalid/simple/pkg", "x"),
            "https://h.example.invalid/simple/x"
        );
        assert_eq!(
            join_url(base, "../../../../x"),
            "https://h.example.invalid/x"
        );
        assert_eq!(
            join_url("file:///srv/index/pkg/", "../files/x.tar.gz"),
            "file:///srv/index/files/x.tar.gz"
        );
    }

    #[test]
    fn reads_the_index_url_from_pip_config_list() {
        let listing = ":env:.cert='/etc/ssl/certs/ca-certificates.crt'\nglobal.cert='/x'\nglobal.index-url='https://mirror.example.invalid/simple'\n";
        assert_eq!(
            index_url_from_pip_config(listing).as_deref(),
            Some("https://mirror.example.invalid/simple")
        );
        let listing = "global.index-url='https://a.example.invalid/simple'\ndownload.index-url='https://b.example.invalid/simple'";
        assert_eq!(
            index_url_from_pip_config(listing).as_deref(),
            Some("https://b.example.invalid/simple")
        );
        assert_eq!(index_url_from_pip_config(":env:.cert='/x'"), None);
    }
}
