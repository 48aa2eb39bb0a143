//! Reading and trimming emscripten side modules (the `.so` files in a wasm wheel).
//!
//! A side module is a plain WebAssembly module whose first section is the `dylink.0` custom
//! section (memory and table sizes, needed libraries, weak imports). Its undefined symbols are
//! its imports, its defined ones its exports. Everything here works on bytes in memory with
//! `wasmparser`, so it needs no toolchain and is unit-tested with modules built in the test.

use std::collections::BTreeSet;

use wasmparser::{Dylink0Subsection, Encoding, KnownCustom, Parser, Payload, SymbolFlags, TypeRef};

/// Why bytes are not a usable WebAssembly module.
#[derive(Debug, thiserror::Error)]
pub enum WasmError {
    #[error("not a WebAssembly module (no `\\0asm` header)")]
    NotWasm,
    #[error("a WebAssembly component, not a module")]
    Component,
    #[error(
        "no `dylink.0` section: not an emscripten side module (link it with `-sSIDE_MODULE=1`)"
    )]
    NotSideModule,
    #[error("malformed WebAssembly")]
    Malformed(#[source] wasmparser::BinaryReaderError),
}

impl From<wasmparser::BinaryReaderError> for WasmError {
    fn from(error: wasmparser::BinaryReaderError) -> Self {
        WasmError::Malformed(error)
    }
}

/// What kind of thing an import is (functions, globals, tags, memories, tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ImportKind {
    Function,
    Global,
    Tag,
    Memory,
    Table,
}

/// One import of a side module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Import {
    /// `env`, `GOT.mem`, `GOT.func` or `wasi_snapshot_preview1` for emscripten output.
    pub module: String,
    /// The symbol name.
    pub name: String,
    pub kind: ImportKind,
    /// Marked weak in `dylink.0`: the loader resolves it to 0 when nothing defines it.
    pub weak: bool,
}

/// The linking view of an emscripten side module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SideModule {
    /// In the module's order.
    pub imports: Vec<Import>,
    /// Export names, sorted.
    pub exports: BTreeSet<String>,
    /// Libraries `dylink.0` says must be loaded first (`-lfoo` on the link line), in order.
    pub needed: Vec<String>,
}

const WASM_MAGIC: &[u8; 4] = b"\0asm";

/// True when `bytes` start like a WebAssembly binary (module or component).
pub fn is_wasm(bytes: &[u8]) -> bool {
    bytes.starts_with(WASM_MAGIC)
}

impl SideModule {
    /// Reads imports, exports and `dylink.0` from a side module. Fails on anything that is not
    /// a module with a `dylink.0` section.
    pub fn parse(bytes: &[u8]) -> Result<Self, WasmError> {
        if !is_wasm(bytes) {
            return Err(WasmError::NotWasm);
        }
        let mut module = SideModule::default();
        let mut weak_imports: BTreeSet<String> = BTreeSet::new();
        let mut has_dylink = false;
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::Version {
                    encoding: Encoding::Component,
                    ..
                } => return Err(WasmError::Component),
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import?;
                        module.imports.push(Import {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                            kind: import_kind(import.ty),
                            weak: false,
                        });
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        module.exports.insert(export?.name.to_string());
                    }
                }
                Payload::CustomSection(section) => {
                    if let KnownCustom::Dylink0(reader) = section.as_known() {
                        has_dylink = true;
                        for subsection in reader {
                            match subsection? {
                                Dylink0Subsection::Needed(needed) => {
                                    module.needed.extend(needed.into_iter().map(str::to_string))
                                }
                                Dylink0Subsection::ImportInfo(infos) => {
                                    for info in infos {
                                        if info.flags.contains(SymbolFlags::BINDING_WEAK) {
                                            weak_imports.insert(info.field.to_string());
                                        }
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if !has_dylink {
            return Err(WasmError::NotSideModule);
        }
        for import in &mut module.imports {
            // By name, whatever the module, as the loader does (`library_dylink.js` keeps a
            // set of weak symbol names): wasm-ld lists a weak function once, as its `env`
            // import, while the module also imports its address from `GOT.func` (C++'s
            // `thread_local` init hooks `_ZTH…` in HiGHS, SciPy's LP solver).
            import.weak = weak_imports.contains(&import.name);
        }
        Ok(module)
    }

    /// True for a CPython extension module: it exports `PyInit_<something>`.
    pub fn is_extension_module(&self) -> bool {
        self.exports.iter().any(|name| name.starts_with("PyInit_"))
    }
}

fn import_kind(ty: TypeRef) -> ImportKind {
    match ty {
        TypeRef::Func(_) | TypeRef::FuncExact(_) => ImportKind::Function,
        TypeRef::Global(_) => ImportKind::Global,
        TypeRef::Tag(_) => ImportKind::Tag,
        TypeRef::Memory(_) => ImportKind::Memory,
        TypeRef::Table(_) => ImportKind::Table,
    }
}

/// The names in a module's export section, sorted and without duplicates. For a side module
/// these are the symbols it defines for others (the caller adds a shipped library's exports to
/// the [`SymbolSet`](super::SymbolSet) of the link check). Works on any module, side or not.
pub fn exports_of_wasm(bytes: &[u8]) -> Result<Vec<String>, WasmError> {
    if !is_wasm(bytes) {
        return Err(WasmError::NotWasm);
    }
    let mut exports = BTreeSet::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } => return Err(WasmError::Component),
            Payload::ExportSection(reader) => {
                for export in reader {
                    exports.insert(export?.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(exports.into_iter().collect())
}

/// Whether a custom section only serves debuggers and profilers: DWARF (`.debug_*`), the
/// function `name` section, a source map link (`sourceMappingURL`) and a pointer to split-out
/// DWARF (`external_debug_info`). `dylink.0`, `producers` and `target_features` stay.
pub fn is_debug_section(name: &str) -> bool {
    name.starts_with(".debug")
        || matches!(name, "name" | "sourceMappingURL" | "external_debug_info")
}

/// The module without its debug custom sections (see [`is_debug_section`]); every other section
/// is copied byte for byte in its original order, so `dylink.0` stays first.
///
/// Done in process rather than with `llvm-strip` so that it needs no toolchain, gives the same
/// bytes on every machine, and is tested here.
pub fn strip_debug(bytes: &[u8]) -> Result<Vec<u8>, WasmError> {
    if !is_wasm(bytes) {
        return Err(WasmError::NotWasm);
    }
    let mut output = Vec::with_capacity(bytes.len());
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload?;
        match &payload {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } => return Err(WasmError::Component),
            Payload::Version { range, .. } => output.extend_from_slice(&bytes[usize_range(range)]),
            Payload::CustomSection(section) if is_debug_section(section.name()) => continue,
            _ => {}
        }
        if let Some((id, range)) = payload.as_section() {
            let contents = &bytes[usize_range(&range)];
            output.push(id);
            write_leb128_u32(&mut output, contents.len());
            output.extend_from_slice(contents);
        }
    }
    Ok(output)
}

fn usize_range(range: &std::ops::Range<u64>) -> std::ops::Range<usize> {
    // The ranges index the slice the parser was given, so they fit in usize.
    range.start as usize..range.end as usize
}

fn write_leb128_u32(output: &mut Vec<u8>, value: usize) {
    let mut value = value;
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            output.push(byte);
            return;
        }
        output.push(byte | 0x80);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Prepends a `dylink.0` section to a module written in WAT, as `wasm-ld -shared` does.
    /// `weak` lists `(module, field)` imports to mark weak.
    pub(crate) fn side_module(wat: &str, needed: &[&str], weak: &[(&str, &str)]) -> Vec<u8> {
        let module = wat::parse_str(wat).unwrap();
        let mut payload = Vec::new();
        // WASM_DYLINK_MEM_INFO: memory size, alignment, table size, alignment.
        subsection(&mut payload, 1, &[0, 0, 0, 0]);
        if !needed.is_empty() {
            let mut body = Vec::new();
            write_leb128_u32(&mut body, needed.len());
            for name in needed {
                string(&mut body, name);
            }
            subsection(&mut payload, 2, &body);
        }
        if !weak.is_empty() {
            let mut body = Vec::new();
            write_leb128_u32(&mut body, weak.len());
            for (module, field) in weak {
                string(&mut body, module);
                string(&mut body, field);
                write_leb128_u32(&mut body, 1); // WASM_SYMBOL_BINDING_WEAK
            }
            subsection(&mut payload, 4, &body);
        }
        let mut section = Vec::new();
        string(&mut section, "dylink.0");
        section.extend_from_slice(&payload);
        let mut bytes = module[..8].to_vec();
        bytes.push(0);
        write_leb128_u32(&mut bytes, section.len());
        bytes.extend_from_slice(&section);
        bytes.extend_from_slice(&module[8..]);
        bytes
    }

    fn subsection(output: &mut Vec<u8>, id: u8, body: &[u8]) {
        output.push(id);
        write_leb128_u32(output, body.len());
        output.extend_from_slice(body);
    }

    fn string(output: &mut Vec<u8>, text: &str) {
        write_leb128_u32(output, text.len());
        output.extend_from_slice(text.as_bytes());
    }

    const MODULE: &str = r#"(module
        (import "env" "memory" (memory 0))
        (import "env" "PyLong_FromLong" (func $long (param i32) (result i32)))
        (import "GOT.mem" "someglobal" (global (mut i32)))
        (import "env" "maybe" (func (param i32)))
        (func (export "PyInit_spam") (result i32) i32.const 0 call $long)
        (@custom ".debug_info" "dwarf")
        (@custom "sourceMappingURL" "spam.map")
        (@custom "producers" "\00")
    )"#;

    #[test]
    fn reads_imports_exports_and_dylink() {
        let bytes = side_module(MODULE, &["libspam.so"], &[("env", "maybe")]);
        let module = SideModule::parse(&bytes).unwrap();
        let imports: Vec<_> = module
            .imports
            .iter()
            .map(|import| {
                (
                    import.module.as_str(),
                    import.name.as_str(),
                    import.kind,
                    import.weak,
                )
            })
            .collect();
        assert_eq!(
            imports,
            [
                ("env", "memory", ImportKind::Memory, false),
                ("env", "PyLong_FromLong", ImportKind::Function, false),
                ("GOT.mem", "someglobal", ImportKind::Global, false),
                ("env", "maybe", ImportKind::Function, true),
            ]
        );
        assert_eq!(module.needed, ["libspam.so"]);
        assert!(module.is_extension_module());
        assert_eq!(exports_of_wasm(&bytes).unwrap(), ["PyInit_spam"]);
    }

    #[test]
    fn refuses_what_is_not_a_side_module() {
        assert!(matches!(
            SideModule::parse(b"\x7fELF\x02\x01"),
            Err(WasmError::NotWasm)
        ));
        let plain = wat::parse_str("(module)").unwrap();
        assert!(matches!(
            SideModule::parse(&plain),
            Err(WasmError::NotSideModule)
        ));
        assert!(matches!(
            SideModule::parse(b"\0asm\x01\0\0\0\x05"),
            Err(WasmError::Malformed(_))
        ));
    }

    #[test]
    fn strips_only_debug_sections() {
        let bytes = side_module(MODULE, &[], &[]);
        let stripped = strip_debug(&bytes).unwrap();
        assert!(stripped.len() < bytes.len());
        let mut names = Vec::new();
        for payload in Parser::new(0).parse_all(&stripped) {
            if let Payload::CustomSection(section) = payload.unwrap() {
                names.push(section.name().to_string());
            }
        }
        assert_eq!(names, ["dylink.0", "producers"]);
        // Same module otherwise: same imports and exports, and stripping again changes nothing.
        assert_eq!(
            SideModule::parse(&stripped).unwrap(),
            SideModule::parse(&bytes).unwrap()
        );
        assert_eq!(strip_debug(&stripped).unwrap(), stripped);
    }

    #[test]
    fn writes_leb128() {
        let mut out = Vec::new();
        write_leb128_u32(&mut out, 624_485);
        assert_eq!(out, [0xe5, 0x8e, 0x26]);
    }
}
