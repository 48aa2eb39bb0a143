//! The package index `kiln serve` adds under `/simple/`: the wheels of the served folder as a
//! PEP 503 simple repository (HTML) and its PEP 691 JSON form (API version 1.1, with PEP 700's
//! `versions` and `size`), so that micropip (`index_urls=".../simple"`), pip or uv can install
//! from a distribution folder over loopback, and users can self-host one.
//!
//! The folder's own `*.whl` files are the index: nothing is written to disk. A wheel's
//! project is its file name's distribution name, normalised as PEP 503 asks (`PyYAML` →
//! `pyyaml`); files whose names do not parse as wheels are left out. The page of one project
//! hashes its files (sha256) on each request: a distribution folder is small, and a rebuilt
//! wheel never shows a stale hash. The format follows the client's `Accept` header (PEP 691's
//! content negotiation: JSON only when asked for, HTML otherwise). JSON URLs are absolute
//! (built from the request's `Host`), since micropip does not resolve JSON URLs against the
//! page; HTML links are relative, as PEP 503 pages usually are.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use crate::hash::Sha256;
use crate::recipe::normalize_name;
use crate::wheel::filename::WheelFilename;

/// Where the index starts in the server's URL space.
pub const PREFIX: &str = "simple";

/// PEP 691's media types.
pub const JSON_TYPE: &str = "application/vnd.pypi.simple.v1+json";
pub const HTML_TYPE: &str = "application/vnd.pypi.simple.v1+html";

/// The two forms of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
}

/// The form a client asks for in its `Accept` header: the PEP 691 JSON type (or its `latest`
/// alias) when it has a higher quality than every HTML type; HTML otherwise, also for `*/*`
/// and no header at all.
pub fn negotiate(accept: &str) -> Format {
    let mut json = 0.0_f64;
    let mut html = 0.0_f64;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|param| param.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f64>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            JSON_TYPE | "application/vnd.pypi.simple.latest+json" => json = json.max(quality),
            HTML_TYPE | "application/vnd.pypi.simple.latest+html" | "text/html" | "*/*" => {
                html = html.max(quality)
            }
            _ => {}
        }
    }
    if json > 0.0 && json > html {
        Format::Json
    } else {
        Format::Html
    }
}

/// One file of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    pub filename: String,
    pub version: String,
}

/// The folder's wheels by project (PEP 503 name), files sorted by name.
pub fn projects(root: &Path) -> std::io::Result<BTreeMap<String, Vec<IndexFile>>> {
    let mut projects: BTreeMap<String, Vec<IndexFile>> = BTreeMap::new();
    for entry in fs_err::read_dir(root)? {
        let entry = entry?;
        let Some(filename) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if !filename.ends_with(".whl") || !entry.file_type()?.is_file() {
            continue;
        }
        let Ok(wheel) = WheelFilename::from_str(&filename) else {
            continue;
        };
        projects
            .entry(normalize_name(wheel.name()))
            .or_default()
            .push(IndexFile {
                version: wheel.version().to_string(),
                filename,
            });
    }
    for files in projects.values_mut() {
        files.sort_by(|a, b| a.filename.cmp(&b.filename));
    }
    Ok(projects)
}

/// A page of the index: its content type and body.
#[derive(Debug)]
pub struct Page {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// The index's answer to a request path under [`PREFIX`] (`segments`: the path's non-empty
/// parts after it): the project list for none, a project's page for one, `None` (not found)
/// otherwise or for a project without wheels. `host` is the request's `Host` header, for the
/// absolute URLs of JSON pages.
pub fn page(
    root: &Path,
    segments: &[&str],
    format: Format,
    host: Option<&str>,
) -> std::io::Result<Option<Page>> {
    let projects = projects(root)?;
    match segments {
        [] => Ok(Some(project_list(&projects, format))),
        [name] => {
            let name = normalize_name(name);
            match projects.get(&name) {
                Some(files) => project_page(root, &name, files, format, host).map(Some),
                None => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

fn project_list(projects: &BTreeMap<String, Vec<IndexFile>>, format: Format) -> Page {
    match format {
        Format::Json => {
            let list: Vec<_> = projects
                .keys()
                .map(|name| serde_json::json!({ "name": name }))
                .collect();
            json_page(serde_json::json!({ "meta": { "api-version": "1.1" }, "projects": list }))
        }
        Format::Html => {
            let mut body = html_head("Simple index");
            for name in projects.keys() {
                let name = escape(name);
                body.push_str(&format!("    <a href=\"{name}/\">{name}</a>\n"));
            }
            html_page(body)
        }
    }
}

fn project_page(
    root: &Path,
    name: &str,
    files: &[IndexFile],
    format: Format,
    host: Option<&str>,
) -> std::io::Result<Page> {
    let mut hashed = Vec::with_capacity(files.len());
    for file in files {
        let path = root.join(&file.filename);
        let size = fs_err::metadata(&path)?.len();
        let sha256 = Sha256::of_file(&path)?;
        hashed.push((file, sha256, size));
    }
    Ok(match format {
        Format::Json => {
            let base = match host {
                Some(host) => format!("http://{host}/"),
                None => "../../".to_string(),
            };
            let mut versions: Vec<&str> = files.iter().map(|f| f.version.as_str()).collect();
            versions.dedup();
            let files: Vec<_> = hashed
                .iter()
                .map(|(file, sha256, size)| {
                    serde_json::json!({
                        "filename": file.filename,
                        "url": format!("{base}{}", file.filename),
                        "hashes": { "sha256": sha256.to_string() },
                        "size": size,
                    })
                })
                .collect();
            json_page(serde_json::json!({
                "meta": { "api-version": "1.1" },
                "name": name,
                "versions": versions,
                "files": files,
            }))
        }
        Format::Html => {
            let mut body = html_head(&format!("Links for {name}"));
            for (file, sha256, _) in &hashed {
                let filename = escape(&file.filename);
                body.push_str(&format!(
                    "    <a href=\"../../{filename}#sha256={sha256}\">{filename}</a>\n"
                ));
            }
            html_page(body)
        }
    })
}

fn json_page(value: serde_json::Value) -> Page {
    Page {
        content_type: JSON_TYPE,
        body: serde_json::to_vec(&value).expect("a JSON value serialises"),
    }
}

fn html_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>{}</title>\n  </head>\n  <body>\n",
        escape(title)
    )
}

fn html_page(mut body: String) -> Page {
    body.push_str("  </body>\n</html>\n");
    Page {
        content_type: HTML_TYPE,
        body: body.into_bytes(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_as_pep_691_says() {
        assert_eq!(negotiate(""), Format::Html);
        assert_eq!(negotiate("*/*"), Format::Html);
        assert_eq!(negotiate("text/html"), Format::Html);
        // micropip's header.
        assert_eq!(
            negotiate("application/vnd.pypi.simple.v1+json, */*;q=0.01"),
            Format::Json
        );
        // pip's header prefers JSON too.
        assert_eq!(
            negotiate(
                "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
            ),
            Format::Json
        );
        assert_eq!(
            negotiate("application/vnd.pypi.simple.v1+json;q=0.2, text/html"),
            Format::Html
        );
    }

    #[test]
    fn lists_the_folders_wheels_by_normalised_project() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "PyYAML-6.0.2-cp315-cp315-pyemscripten_2026_5_wasm32.whl",
            "alpha-1.0-py3-none-any.whl",
            "alpha-2.0-py3-none-any.whl",
            "not-a-wheel.whl",
            "python.wasm",
        ] {
            fs_err::write(dir.path().join(name), name).unwrap();
        }
        let projects = projects(dir.path()).unwrap();
        assert_eq!(
            projects.keys().collect::<Vec<_>>(),
            ["alpha", "pyyaml"],
            "{projects:?}"
        );

        let json = page(dir.path(), &["Alpha"], Format::Json, Some("127.0.0.1:8000"))
            .unwrap()
            .unwrap();
        assert_eq!(json.content_type, JSON_TYPE);
        let value: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
        assert_eq!(value["name"], "alpha");
        assert_eq!(value["versions"], serde_json::json!(["1.0", "2.0"]));
        assert_eq!(
            value["files"][0]["url"],
            "http://127.0.0.1:8000/alpha-1.0-py3-none-any.whl"
        );
        assert_eq!(
            value["files"][0]["hashes"]["sha256"],
            Sha256::of_bytes(b"alpha-1.0-py3-none-any.whl").to_string()
        );
        assert_eq!(value["files"][1]["size"], 26);

        let html = page(dir.path(), &[], Format::Html, None).unwrap().unwrap();
        let text = String::from_utf8(html.body).unwrap();
        assert!(text.contains("<a href=\"alpha/\">alpha</a>"), "{text}");
        let html = page(dir.path(), &["pyyaml"], Format::Html, None)
            .unwrap()
            .unwrap();
        let text = String::from_utf8(html.body).unwrap();
        assert!(
            text.contains(
                "href=\"../../PyYAML-6.0.2-cp315-cp315-pyemscripten_2026_5_wasm32.whl#sha256="
            ),
            "{text}"
        );
        assert!(
            page(dir.path(), &["missing"], Format::Json, None)
                .unwrap()
                .is_none()
        );
    }
}
