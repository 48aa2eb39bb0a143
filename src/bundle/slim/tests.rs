use super::*;
use crate::wheel::wasm::tests::side_module;

const KIT: &str = r#"#!/bin/sh
set -e
out="$(realpath -m "$1")"
shift
cd "$(dirname "$0")"
exec emcc  /usr/share/emscripten/emcc -fwasm-exceptions -sMAIN_MODULE=1 -O2 -sEXPORTED_FUNCTIONS=_main,_malloc,_Py_InitializeEx liblz4.a python.o module.o util.o module.o -ldl libz.a -o "$out" "$@"
"#;

#[test]
fn reads_the_kits_arguments_without_the_compiler_path() {
    let arguments = link_arguments(KIT).unwrap();
    assert_eq!(arguments[0], "-fwasm-exceptions");
    assert!(!arguments.iter().any(|word| word.ends_with("/emcc")));
    assert_eq!(
        arguments.iter().filter(|word| *word == "module.o").count(),
        2
    );
    assert_eq!(arguments.last().unwrap(), "libz.a");
    assert_eq!(link_arguments("#!/bin/sh\necho no link here\n"), None);
    assert_eq!(
        link_arguments("exec emcc a.o $(cat list) -o \"$out\"\n"),
        None,
        "a shell expansion is refused, not guessed at"
    );
}

#[test]
fn the_recipes_export_list_comes_from_the_kit() {
    let kit = LinkKit {
        dir: PathBuf::from("/kit"),
        archive: PathBuf::from("/kit/libpython3.15.a"),
        arguments: link_arguments(KIT).unwrap(),
        script: KIT.as_bytes().to_vec(),
        full: SymbolSet::new(),
    };
    assert_eq!(
        kit.recipe_exports(),
        ["_main", "_malloc", "_Py_InitializeEx"]
    );
}

/// A GNU archive as llvm-ar writes one: a symbol table, a long-name table, members.
fn archive(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = b"!<arch>\n".to_vec();
    let mut push = |name: &str, data: &[u8]| {
        out.extend_from_slice(
            format!(
                "{name:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
                0,
                0,
                0,
                644,
                data.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    };
    push("/", b"\0\0\0\0");
    let long = b"a_rather_long_object_name.o/\n";
    push("//", long);
    for (name, data) in members {
        if name.len() > 15 {
            push("/0", data);
        } else {
            push(&format!("{name}/"), data);
        }
    }
    out
}

#[test]
fn archive_members_are_found_by_name_and_instance() {
    let bytes = archive(&[
        ("module.o", b"first"),
        ("util.o", b"u"),
        ("module.o", b"second!"),
        ("a_rather_long_object_name.o", b"long"),
    ]);
    assert_eq!(
        archive_members(&bytes, "module.o"),
        [b"first".to_vec(), b"second!".to_vec()]
    );
    assert_eq!(
        archive_members(&bytes, "a_rather_long_object_name.o"),
        [b"long".to_vec()]
    );
    assert!(archive_members(&bytes, "missing.o").is_empty());
    assert!(archive_members(b"not an archive", "module.o").is_empty());
}

const EXTENSION: &str = r#"(module
    (import "env" "memory" (memory 0))
    (import "env" "__memory_base" (global i32))
    (import "env" "__stack_pointer" (global (mut i32)))
    (import "env" "__indirect_function_table" (table 0 funcref))
    (import "env" "__cpp_exception" (tag (param i32)))
    (import "env" "PyLong_FromLong" (func (param i32) (result i32)))
    (import "env" "cblas_dgemm" (func))
    (import "GOT.mem" "_Py_NoneStruct" (global (mut i32)))
    (import "env" "optional_hook" (func))
    (func (export "PyInit_ext") (result i32) i32.const 0)
)"#;

const LIBRARY: &str = r#"(module
    (import "env" "memory" (memory 0))
    (import "env" "malloc" (func (param i32) (result i32)))
    (func (export "cblas_dgemm"))
)"#;

fn modules() -> Vec<(String, SideModule)> {
    let parse =
        |wat, weak: &[(&str, &str)]| SideModule::parse(&side_module(wat, &[], weak)).unwrap();
    vec![
        (
            "pkg.whl/pkg/_ext.cpython-315-wasm32-emscripten.so".to_string(),
            parse(EXTENSION, &[("env", "optional_hook")]),
        ),
        (
            "openblas.zip/lib/libopenblas.so".to_string(),
            parse(LIBRARY, &[]),
        ),
    ]
}

#[test]
fn requirements_are_the_imports_nothing_in_the_distribution_defines() {
    let requirements = Requirements::of_modules(modules());
    // The loader answers memory, table, stack pointer and bases; the exception tag is the
    // interpreter's to export; `cblas_dgemm` comes from the library.
    assert_eq!(
        requirements.strong.iter().collect::<Vec<_>>(),
        [
            "PyLong_FromLong",
            "_Py_NoneStruct",
            "__cpp_exception",
            "malloc"
        ]
    );
    assert_eq!(
        requirements.weak.iter().collect::<Vec<_>>(),
        ["optional_hook"]
    );
}

#[test]
fn export_lists_add_the_bridge_and_the_recipes_names() {
    let requirements = Requirements::of_modules(modules());
    let mut kit = LinkKit {
        dir: PathBuf::from("/kit"),
        archive: PathBuf::from("/kit/libpython3.15.a"),
        arguments: link_arguments(KIT).unwrap(),
        script: KIT.as_bytes().to_vec(),
        full: [
            "PyLong_FromLong",
            "_Py_NoneStruct",
            "malloc",
            "optional_hook",
        ]
        .into_iter()
        .collect(),
    };
    let lists = ExportList::new(&requirements, &kit).unwrap();
    for name in [
        "_PyLong_FromLong",
        "___cpp_exception",
        "_main",
        "_PyObject_Vectorcall",
        "__Py_NoneStruct",
        "_optional_hook",
    ] {
        assert!(lists.exported_functions.iter().any(|n| n == name), "{name}");
    }
    let mut sorted = lists.exported_functions.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, lists.exported_functions, "sorted, no duplicates");
    // A weak import the full interpreter lacks is left out; a strong one is an error.
    kit.full = ["PyLong_FromLong", "_Py_NoneStruct"].into_iter().collect();
    let narrowed = Requirements {
        strong: ["PyLong_FromLong".to_string()].into(),
        ..requirements.clone()
    };
    let narrowed = ExportList::new(&narrowed, &kit).unwrap();
    assert!(
        !narrowed
            .exported_functions
            .iter()
            .any(|n| n == "_optional_hook")
    );
    let error = ExportList::new(&requirements, &kit).unwrap_err();
    assert!(
        error.to_string().contains("libopenblas.so: malloc"),
        "{error}"
    );
}

#[test]
fn the_bridge_symbols_are_read_from_capi_mjs() {
    let names = bridge_symbols();
    assert!(names.len() > 50, "{}", names.len());
    for name in [
        "PyObject_Vectorcall",
        "_Py_NoneStruct",
        "PyExc_TypeError",
        "malloc",
    ] {
        assert!(names.iter().any(|n| n == name), "{name}");
    }
}

#[test]
fn the_check_names_each_module_and_its_missing_symbols() {
    let requirements = Requirements::of_modules(modules());
    let full: SymbolSet = [
        "PyLong_FromLong",
        "_Py_NoneStruct",
        "__cpp_exception",
        "malloc",
    ]
    .into_iter()
    .collect();
    check(&requirements, &full).unwrap();
    let short: SymbolSet = ["PyLong_FromLong", "malloc"].into_iter().collect();
    let error = check(&requirements, &short).unwrap_err();
    let SlimError::Missing { missing } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        missing,
        &[(
            "pkg.whl/pkg/_ext.cpython-315-wasm32-emscripten.so".to_string(),
            vec!["_Py_NoneStruct".to_string(), "__cpp_exception".to_string()]
        )]
    );
    assert!(
        error
            .to_string()
            .contains("_ext.cpython-315-wasm32-emscripten.so: _Py_NoneStruct, __cpp_exception")
    );
}

#[test]
fn the_interpreters_symbols_are_its_exports_and_its_js_functions() {
    let wasm = wat::parse_str(
        r#"(module
            (import "env" "emscripten_get_now" (func (result f64)))
            (import "env" "__stack_pointer" (global (mut i32)))
            (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
            (func (export "PyLong_FromLong"))
            (global (export "_Py_NoneStruct") i32 (i32.const 8))
        )"#,
    )
    .unwrap();
    let symbols = interpreter_symbols(&wasm).unwrap();
    for name in ["emscripten_get_now", "PyLong_FromLong", "_Py_NoneStruct"] {
        assert!(symbols.contains(name), "{name}");
    }
    assert!(!symbols.contains("__stack_pointer"));
    assert!(!symbols.contains("fd_write"));
}

#[test]
fn a_distribution_folder_is_read_for_side_modules_in_wheels_and_zips() {
    let dir = tempfile::tempdir().unwrap();
    let write_zip = |name: &str, members: &[(&str, Vec<u8>)]| {
        let file = fs_err::File::create(dir.path().join(name)).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        for (member, bytes) in members {
            zip.start_file(*member, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, bytes).unwrap();
        }
        zip.finish().unwrap();
    };
    write_zip(
        "pkg-1.0-cp315-cp315-pyemscripten_2026_5_wasm32.whl",
        &[
            ("pkg/__init__.py", b"".to_vec()),
            (
                "pkg/_ext.cpython-315-wasm32-emscripten.so",
                side_module(EXTENSION, &[], &[]),
            ),
            ("pkg/not-wasm.so", b"ELF".to_vec()),
        ],
    );
    write_zip(
        "python_stdlib-x.zip",
        &[("lib-dynload/libfoo.so.1", side_module(LIBRARY, &[], &[]))],
    );
    fs_err::write(dir.path().join("python.wasm"), b"\0asm").unwrap();
    let requirements = Requirements::of_dist(dir.path()).unwrap();
    let names: Vec<&str> = requirements
        .modules
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "pkg-1.0-cp315-cp315-pyemscripten_2026_5_wasm32.whl/pkg/_ext.cpython-315-wasm32-emscripten.so",
            "python_stdlib-x.zip/lib-dynload/libfoo.so.1",
        ]
    );
}
