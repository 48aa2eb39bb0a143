//! Which build-machine tool a program name stands for (`cc`, `x86_64-linux-gnu-g++-14`,
//! `gcc-ar`…), the emscripten program that does its job, and the names the wrapper folder
//! holds. Nothing here reads the environment or runs anything.

/// A build-machine tool the wrapper stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `cc`, `gcc`, `clang`
    Cc,
    /// `c++`, `g++`, `clang++`
    Cxx,
    /// `cpp`: the C preprocessor
    Cpp,
    /// `ld`
    Ld,
    /// `ar`
    Ar,
    /// `ranlib`
    Ranlib,
    /// `strip`
    Strip,
    /// `nm`
    Nm,
}

impl Tool {
    /// Every tool, for [`super::install_wrappers`].
    pub const ALL: [Tool; 8] = [
        Tool::Cc,
        Tool::Cxx,
        Tool::Cpp,
        Tool::Ld,
        Tool::Ar,
        Tool::Ranlib,
        Tool::Strip,
        Tool::Nm,
    ];

    /// The tool a program name stands for: `cc`, `x86_64-linux-gnu-gcc-14`, `clang-19`,
    /// `gcc-ar`… `None` for any other name (such as `kiln`).
    pub fn from_name(name: &str) -> Option<Tool> {
        // `x86_64-linux-gnu-gcc` → `gcc` (any architecture: configure scripts pick names from
        // `--host`/`--build`).
        let base = match name.rfind("-linux-gnu-") {
            Some(at) => &name[at + "-linux-gnu-".len()..],
            None => name,
        };
        // `gcc-14`, `clang-19`, `gcc-ar-14` → without the version.
        let base = match base.rsplit_once('-') {
            Some((stem, version))
                if !stem.is_empty()
                    && !version.is_empty()
                    && version.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
            {
                stem
            }
            _ => base,
        };
        Some(match base {
            "cc" | "gcc" | "clang" => Tool::Cc,
            "c++" | "g++" | "clang++" => Tool::Cxx,
            "cpp" | "clang-cpp" => Tool::Cpp,
            "ld" | "ld.bfd" | "ld.gold" | "ld.lld" => Tool::Ld,
            "ar" | "gcc-ar" | "llvm-ar" => Tool::Ar,
            "ranlib" | "gcc-ranlib" | "llvm-ranlib" => Tool::Ranlib,
            "strip" | "llvm-strip" => Tool::Strip,
            "nm" | "gcc-nm" | "llvm-nm" => Tool::Nm,
            _ => return None,
        })
    }

    /// The emscripten program that does this tool's job.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Cc | Tool::Cpp | Tool::Ld => "emcc",
            Tool::Cxx => "em++",
            Tool::Ar => "emar",
            Tool::Ranlib => "emranlib",
            Tool::Strip => "emstrip",
            Tool::Nm => "emnm",
        }
    }

    /// Whether the tool is a compiler driver or linker, whose `@file` arguments the wrapper
    /// reads before rewriting ([`super::response`]). The archivers' response files hold
    /// only member names, which the wrapper never rewrites.
    pub(super) fn reads_response_files(self) -> bool {
        matches!(self, Tool::Cc | Tool::Cxx | Tool::Cpp | Tool::Ld)
    }

    /// The names installed for this tool: the plain ones, then the host-triple prefixed ones
    /// (`x86_64-linux-gnu-gcc`) that autoconf tries first.
    pub(super) fn names(self) -> &'static [&'static str] {
        match self {
            Tool::Cc => &["cc", "gcc", "clang"],
            Tool::Cxx => &["c++", "g++", "clang++"],
            Tool::Cpp => &["cpp"],
            Tool::Ld => &["ld"],
            Tool::Ar => &["ar", "gcc-ar"],
            Tool::Ranlib => &["ranlib", "gcc-ranlib"],
            Tool::Strip => &["strip"],
            Tool::Nm => &["nm", "gcc-nm"],
        }
    }
}

/// Every file name [`super::install_wrappers`] creates.
pub fn wrapper_names() -> Vec<String> {
    let triple = format!("{}-linux-gnu-", std::env::consts::ARCH);
    let mut names = Vec::new();
    for tool in Tool::ALL {
        names.extend(tool.names().iter().map(|name| name.to_string()));
    }
    for name in ["gcc", "g++", "cpp", "ld", "ar", "ranlib", "strip", "nm"] {
        names.push(format!("{triple}{name}"));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::wrapper::testing::run;

    #[test]
    fn every_wrapped_name_maps_to_its_emscripten_tool() {
        let expected = [
            ("cc", Tool::Cc, "emcc"),
            ("gcc", Tool::Cc, "emcc"),
            ("clang", Tool::Cc, "emcc"),
            ("gcc-14", Tool::Cc, "emcc"),
            ("clang-19", Tool::Cc, "emcc"),
            ("x86_64-linux-gnu-gcc", Tool::Cc, "emcc"),
            ("x86_64-linux-gnu-gcc-14", Tool::Cc, "emcc"),
            ("aarch64-linux-gnu-gcc", Tool::Cc, "emcc"),
            ("c++", Tool::Cxx, "em++"),
            ("g++", Tool::Cxx, "em++"),
            ("clang++", Tool::Cxx, "em++"),
            ("x86_64-linux-gnu-g++", Tool::Cxx, "em++"),
            ("cpp", Tool::Cpp, "emcc"),
            ("x86_64-linux-gnu-cpp", Tool::Cpp, "emcc"),
            ("ld", Tool::Ld, "emcc"),
            ("ld.bfd", Tool::Ld, "emcc"),
            ("x86_64-linux-gnu-ld", Tool::Ld, "emcc"),
            ("ar", Tool::Ar, "emar"),
            ("gcc-ar", Tool::Ar, "emar"),
            ("gcc-ar-14", Tool::Ar, "emar"),
            ("x86_64-linux-gnu-ar", Tool::Ar, "emar"),
            ("ranlib", Tool::Ranlib, "emranlib"),
            ("x86_64-linux-gnu-ranlib", Tool::Ranlib, "emranlib"),
            ("strip", Tool::Strip, "emstrip"),
            ("x86_64-linux-gnu-strip", Tool::Strip, "emstrip"),
            ("nm", Tool::Nm, "emnm"),
            ("x86_64-linux-gnu-nm", Tool::Nm, "emnm"),
        ];
        for (name, tool, program) in expected {
            assert_eq!(Tool::from_name(name), Some(tool), "{name}");
            assert_eq!(tool.program(), program, "{name}");
        }
        for name in [
            "kiln",
            "emcc",
            "python3",
            "x86_64-linux-gnu-python3.13-config",
            "cc-x",
        ] {
            assert_eq!(Tool::from_name(name), None, "{name}");
        }
        // Every installed name dispatches, and `cpp` runs `emcc -E`.
        for name in wrapper_names() {
            assert!(Tool::from_name(&name).is_some(), "{name}");
        }
        assert_eq!(run(Tool::Cpp, "x.h").args[0], "-E");
    }
}
