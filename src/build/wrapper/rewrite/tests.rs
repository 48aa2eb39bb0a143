//! Tests of [`super::rewrite`]: one rule per test, each on the command lines that made it
//! necessary, against the ABI of `toolchain/abi.toml` ([`crate::build::wrapper::testing`]).

use super::*;
use crate::build::wrapper::testing::{args, count, line, run};

#[test]
fn compile_adds_fpic_and_the_abi_flags_first() {
    let rewritten = run(Tool::Cc, "-O2 -c x.c -o x.o");
    assert_eq!(rewritten.mode, Mode::Compile);
    assert_eq!(
        line(&rewritten),
        "emcc -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -O2 -c x.c -o x.o"
    );
    // Without any ABI in the environment, -fPIC is still added.
    let bare = rewrite(Tool::Cc, &args("-c x.c"), &WrapperEnv::default());
    assert_eq!(line(&bare), "emcc -fPIC -c x.c");
    // Preprocessing sees the same macros as compiling.
    assert_eq!(count(&run(Tool::Cc, "-E x.c"), "-fPIC"), 1);
    assert_eq!(count(&run(Tool::Cpp, "x.c"), "-fPIC"), 1);
}

#[test]
fn flags_already_given_are_not_repeated() {
    // CFLAGS from the build script carry the ABI flags too.
    let rewritten = run(
        Tool::Cc,
        "-fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -c x.c",
    );
    assert_eq!(
        line(&rewritten),
        "emcc -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -c x.c"
    );
}

#[test]
fn shared_link_becomes_a_side_module() {
    let rewritten = run(Tool::Cc, "-shared -o x.so x.o");
    assert_eq!(rewritten.mode, Mode::Link);
    assert!(rewritten.side_module);
    assert_eq!(
        line(&rewritten),
        "emcc -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT -sSIDE_MODULE=1 \
         -shared -o x.so x.o"
    );
    let extension = run(
        Tool::Cxx,
        "-shared x.o -o _core.cpython-313-x86_64-linux-gnu.so",
    );
    assert!(extension.side_module);
    assert_eq!(count(&extension, "-sSIDE_MODULE=1"), 1);
    // Compiling and linking in one step gets compile and link flags.
    let both = run(Tool::Cc, "-shared x.c -o x.so");
    assert_eq!(count(&both, "-fPIC"), 1);
    assert_eq!(count(&both, "-sWASM_BIGINT"), 1);
    assert_eq!(count(&both, "-sSIDE_MODULE=1"), 1);
}

#[test]
fn side_module_setting_is_not_doubled() {
    // cross.rs's LDSHARED spells the side-module flags out already.
    let rewritten = run(
        Tool::Cc,
        "-shared -sSIDE_MODULE=1 -sWASM_BIGINT x.o -o x.so",
    );
    assert_eq!(count(&rewritten, "-sSIDE_MODULE=1"), 1);
    assert_eq!(count(&rewritten, "-sWASM_BIGINT"), 1);
    // A package's own SIDE_MODULE mode (rustc links with =2) is kept, and alone.
    let own = run(Tool::Cc, "-shared -sSIDE_MODULE=2 x.o -o x.so");
    assert_eq!(count(&own, "-sSIDE_MODULE=2"), 1);
    assert_eq!(count(&own, "-sSIDE_MODULE=1"), 0);
    assert!(own.side_module);
}

#[test]
fn compile_never_becomes_a_side_module() {
    for command in [
        "-shared -c x.c -o x.o",
        "-shared -S x.c",
        "-shared -E x.c",
        "-shared -M x.c",
    ] {
        let rewritten = run(Tool::Cc, command);
        assert!(!rewritten.side_module, "{command}");
        assert_eq!(count(&rewritten, "-sSIDE_MODULE=1"), 0, "{command}");
        assert_eq!(count(&rewritten, "-sWASM_BIGINT"), 0, "{command}");
    }
}

#[test]
fn executable_link_never_becomes_a_side_module() {
    // meson's has_function probe: a side module would let it succeed on any symbol.
    let probe = run(Tool::Cc, "conftest.c -o conftest");
    assert_eq!(probe.mode, Mode::Link);
    assert!(!probe.side_module);
    assert_eq!(count(&probe, "-sSIDE_MODULE=1"), 0);
    // It still links with the ABI, so probes see what the runtime offers.
    assert_eq!(count(&probe, "-sWASM_BIGINT"), 1);
    assert_eq!(count(&probe, "-fPIC"), 1);
    let objects = run(Tool::Cc, "main.o -o main.js");
    assert!(!objects.side_module);
    assert_eq!(count(&objects, "-fPIC"), 0, "no source, no compile flags");
    // `-r` merges objects: never a side module, even with -shared.
    let relocatable = run(Tool::Cc, "-r -shared a.o b.o -o all.o");
    assert!(!relocatable.side_module);
}

#[test]
fn host_include_and_library_dirs_are_dropped() {
    let rewritten = run(
        Tool::Cc,
        "-I/usr/include/python3.13 -I /usr/include -isystem /usr/local/include \
         -isystem/usr/include/x86_64-linux-gnu -I/usr//include/ -idirafter /usr/include \
         -Iinclude -I/work/p/include -I/usr/share/emscripten/cache/sysroot/include \
         -L/usr/lib/x86_64-linux-gnu -L /usr/lib64 -L/lib -L/usr/local/lib \
         -L/work/p/lib -Wl,-L/usr/lib -shared x.o -o x.so",
    );
    let text = line(&rewritten);
    for host in ["/usr/include", "/usr/local", "/usr/lib", "-L/lib", "-Wl"] {
        assert!(!text.contains(host), "{host} in {text}");
    }
    for kept in [
        "-Iinclude",
        "-I/work/p/include",
        "-I/usr/share/emscripten/cache/sysroot/include",
        "-L/work/p/lib",
    ] {
        assert_eq!(count(&rewritten, kept), 1, "{kept} in {text}");
    }
    assert!(
        !is_host_dir(OsStr::new("usr/include")),
        "relative paths are the package's"
    );
    assert!(!is_host_dir(OsStr::new("/usr/share/include")));
    assert!(is_host_dir(OsStr::new("/usr/./lib/python3.13/config")));
}

#[test]
fn threads_and_build_machine_cpu_flags_are_dropped() {
    let rewritten = run(
        Tool::Cc,
        "-O2 -march=native -mtune=generic -mcpu=x86-64 -pthread -msse2 -mssse3 -mavx2 \
         -mno-avx -mpopcnt -mfpmath=sse -m64 -mabi=lp64d -msimd128 -mbulk-memory -c x.c",
    );
    assert_eq!(
        line(&rewritten),
        "emcc -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -O2 -msimd128 -mbulk-memory -c x.c"
    );
    let link = run(
        Tool::Cc,
        "-pthread -shared x.o -o x.so -lpthread -lm -lutil -lgcc_s",
    );
    assert_eq!(count(&link, "-pthread"), 0);
    assert_eq!(count(&link, "-lpthread"), 1, "emcc accepts -lpthread");
    assert_eq!(count(&link, "-lm"), 1);
    assert_eq!(count(&link, "-lutil") + count(&link, "-lgcc_s"), 0);
}

#[test]
fn hardening_pie_and_gcc_only_flags_are_dropped() {
    let rewritten = run(
        Tool::Cc,
        "-fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE -fno-pic \
         -flto=4 -flto-partition=none -fvar-tracking-assignments -D_FORTIFY_SOURCE=2 -c x.c",
    );
    assert_eq!(
        line(&rewritten),
        "emcc -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -flto -D_FORTIFY_SOURCE=2 -c x.c"
    );
}

#[test]
fn exceptions_follow_the_abi() {
    let rewritten = run(Tool::Cxx, "-fexceptions -c x.cpp");
    assert_eq!(count(&rewritten, "-fexceptions"), 0);
    assert_eq!(count(&rewritten, "-fwasm-exceptions"), 1);
    // A package may still turn exceptions off: the ABI flags come before its own.
    let off = run(Tool::Cxx, "-fno-exceptions -c x.cpp");
    let at = |flag: &str| off.args.iter().position(|arg| arg == flag);
    assert!(at("-fwasm-exceptions") < at("-fno-exceptions"));
    // emscripten's JS exception scheme cannot be mixed in.
    let js = run(
        Tool::Cxx,
        "-sDISABLE_EXCEPTION_CATCHING=0 -s NO_DISABLE_EXCEPTION_CATCHING -shared x.o -o x.so",
    );
    assert!(!line(&js).contains("EXCEPTION_CATCHING"), "{}", line(&js));
    // An ABI without wasm exceptions leaves -fexceptions alone.
    let plain = rewrite(
        Tool::Cxx,
        &args("-fexceptions -c x.cpp"),
        &WrapperEnv::default(),
    );
    assert_eq!(count(&plain, "-fexceptions"), 1);
}

#[test]
fn abi_settings_win_over_the_package() {
    let rewritten = run(
        Tool::Cc,
        "-sWASM_BIGINT=0 -s SUPPORT_LONGJMP=emscripten -sEXPORTED_FUNCTIONS=_f -shared x.o -o x.so",
    );
    let text = line(&rewritten);
    assert!(!text.contains("WASM_BIGINT=0"), "{text}");
    assert!(!text.contains("SUPPORT_LONGJMP=emscripten"), "{text}");
    assert_eq!(count(&rewritten, "-sWASM_BIGINT"), 1);
    assert_eq!(count(&rewritten, "-sSUPPORT_LONGJMP=wasm"), 1);
    assert_eq!(count(&rewritten, "-sEXPORTED_FUNCTIONS=_f"), 1);
}

#[test]
fn gcc_strip_flag_is_told_apart_from_emcc_settings() {
    let strip = run(Tool::Cc, "-s main.o -o main");
    assert_eq!(count(&strip, "-s"), 0);
    assert_eq!(count(&strip, "main.o"), 1);
    let setting = run(Tool::Cc, "-s ALLOW_MEMORY_GROWTH=1 main.o -o main");
    let at = setting.args.iter().position(|arg| arg == "-s");
    assert!(at.is_some_and(|at| setting.args[at + 1] == "ALLOW_MEMORY_GROWTH=1"));
}

#[test]
fn linker_options_wasm_ld_rejects_are_dropped() {
    let rewritten = run(
        Tool::Cc,
        "-shared x.o -o x.so -Wl,-rpath,/usr/lib -Wl,-rpath=/opt -Wl,--version-script=v.map \
         -Wl,-O1,--as-needed,--gc-sections -Wl,-z,relro,-z,now -Wl,-soname,x.so \
         -Wl,--enable-new-dtags -Xlinker --no-undefined -Xlinker --export=f -z defs \
         -Wl,-z,stack-size=65536 -Wl,--strip-all -Wl,--start-group y.a -Wl,--end-group",
    );
    assert_eq!(
        line(&rewritten),
        "emcc -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT -sSIDE_MODULE=1 \
         -shared x.o -o x.so -Wl,-O1,--gc-sections -Xlinker --export=f \
         -Wl,-z,stack-size=65536 -Wl,--start-group y.a -Wl,--end-group"
    );
    // An option and its value in separate -Wl, arguments go together.
    let split = run(Tool::Cc, "-shared x.o -o x.so -Wl,-rpath -Wl,/opt/lib");
    assert!(!line(&split).contains("/opt/lib"), "{}", line(&split));
}

#[test]
fn cpp_takes_input_and_output_files() {
    assert_eq!(
        line(&run(Tool::Cpp, "-P in.h out.i")),
        "emcc -E -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -P in.h -o out.i"
    );
    assert_eq!(
        line(&run(Tool::Cpp, "-dM")),
        "emcc -E -fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -dM -"
    );
}

#[test]
fn queries_pass_through_and_multiarch_is_answered() {
    let version = run(Tool::Cc, "--version");
    assert_eq!(version.mode, Mode::Query);
    assert_eq!(line(&version), "emcc --version");
    assert_eq!(line(&run(Tool::Cc, "-dumpmachine")), "emcc -dumpmachine");
    let multiarch = run(Tool::Cc, "-print-multiarch");
    assert_eq!(multiarch.answer, Some("wasm32-emscripten"));
    // Reading a program from stdin is not a query.
    assert_eq!(run(Tool::Cc, "-E -dM -").mode, Mode::Preprocess);
}

#[test]
fn archivers_pass_arguments_through() {
    for (tool, program) in [
        (Tool::Ar, "emar"),
        (Tool::Ranlib, "emranlib"),
        (Tool::Strip, "emstrip"),
        (Tool::Nm, "emnm"),
    ] {
        let rewritten = run(tool, "-march=native --strip-unneeded libx.a");
        assert_eq!(rewritten.program, program);
        assert_eq!(
            rewritten.args,
            args("-march=native --strip-unneeded libx.a")
        );
    }
}

#[test]
fn values_of_options_are_not_inputs() {
    // `-o x.c` names an output; `-x c` a language; neither makes this a compile of x.c.
    let rewritten = run(Tool::Cc, "-o x.c -x c -include cfg.h");
    assert_eq!(rewritten.mode, Mode::Query);
    let cxx = run(Tool::Cc, "-x c++ -c x.h");
    assert_eq!(count(&cxx, "-fwasm-exceptions"), 1);
}

/// Issue 24: a host library's headers and archives are found without the package saying
/// where, after the folders the call names itself.
#[test]
fn the_host_prefix_is_searched_after_the_calls_own_folders() {
    let env = WrapperEnv {
        host_prefix: Some("/w/host".into()),
        ..WrapperEnv::default()
    };
    let compile = rewrite(Tool::Cc, &args("-Ivendor -c x.c -o x.o"), &env);
    assert_eq!(
        line(&compile),
        "emcc -fPIC -Ivendor -c x.c -o x.o -I/w/host/include"
    );
    let link = rewrite(Tool::Cc, &args("-shared x.o -lz -o x.so"), &env);
    assert_eq!(
        line(&link),
        "emcc -sSIDE_MODULE=1 -shared x.o -lz -o x.so -L/w/host/lib"
    );
    // Given already (CFLAGS carries it too): not repeated.
    let given = rewrite(Tool::Cc, &args("-I/w/host/include -c x.c"), &env);
    assert_eq!(count(&given, "-I/w/host/include"), 1);
    // Queries and archives get nothing.
    assert_eq!(
        line(&rewrite(Tool::Cc, &args("--version"), &env)),
        "emcc --version"
    );
    assert_eq!(
        line(&rewrite(Tool::Ar, &args("rcs libx.a x.o"), &env)),
        "emar rcs libx.a x.o"
    );
}

/// Where a build runs does not reach its bytes: each compile maps the build folders to fixed
/// names (`__FILE__` in a header's assertion embedded `/work/main/.kiln/build/…` in
/// markupsafe's side module), links and queries get nothing.
#[test]
fn compiles_map_the_build_folders_to_fixed_names() {
    let env = WrapperEnv {
        prefix_maps: vec![
            "/w/project=/kiln/project".into(),
            "/w/cache=/kiln/cache".into(),
        ],
        ..WrapperEnv::default()
    };
    let compile = rewrite(Tool::Cc, &args("-c x.c -o x.o"), &env);
    assert_eq!(
        line(&compile),
        "emcc -fPIC -ffile-prefix-map=/w/project=/kiln/project \
         -ffile-prefix-map=/w/cache=/kiln/cache -c x.c -o x.o"
    );
    let link = rewrite(Tool::Cc, &args("-shared x.o -o x.so"), &env);
    assert_eq!(
        count(&link, "-ffile-prefix-map=/w/project=/kiln/project"),
        0
    );
    let query = rewrite(Tool::Cc, &args("--version"), &env);
    assert_eq!(line(&query), "emcc --version");
}
