# The cross environment for a Rust package build, as kiln would export it (source after the venv exists).
export CARGO_HOME=/work/rust/cargo-home
export CARGO_HTTP_CAINFO=$SSL_CERT_FILE
# kiln's cross env (src/build/cross.rs)
export _PYTHON_HOST_PLATFORM=emscripten-3.1.69-wasm32
export _PYTHON_SYSCONFIGDATA_NAME=_sysconfigdata__emscripten_wasm32-emscripten
export PYTHONPATH=/work/rust/cross/sysconfig
export CC=cc CXX=c++ AR=ar RANLIB=ranlib LDSHARED="cc -shared"
# kiln's compiler wrapper
export KILN_WRAPPER_DIR=/work/rust/wrappers KILN_WRAPPER_LOG=/work/rust/wrapper.log
export KILN_WRAPPER_CFLAGS="-fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm"
export KILN_WRAPPER_CXXFLAGS="-fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm"
export KILN_WRAPPER_LDFLAGS="-fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT"
export KILN_WRAPPER_SIDE_MODULE_LDFLAGS="-sSIDE_MODULE=1"
export PATH=/work/rust/wrappers:/work/rust/venv/bin:$PATH
# Rust
export CARGO_BUILD_TARGET=wasm32-unknown-emscripten
export RUST_SYSROOT=${RUST_SYSROOT:-/work/rust/sysroot}
export RUSTFLAGS="${RUSTFLAGS_OVERRIDE:---sysroot=$RUST_SYSROOT -Ctarget-cpu=mvp -Ctarget-feature=+mutable-globals,+sign-ext,+multivalue -Clink-arg=-sSUPPORT_LONGJMP=wasm}"
export PYO3_CROSS_PYTHON_VERSION=3.13
export PYO3_CROSS_LIB_DIR=/work/rust/cross/sysconfig
# cargo's host artifacts (build scripts, proc macros) and cc-rs host compiles: the real gcc,
# never kiln's wrapper (collect2 would find the wrapper's `ld` on PATH otherwise)
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=/work/rust/host-tools/host-cc
export HOST_CC=/work/rust/host-tools/host-cc HOST_CXX=/work/rust/host-tools/host-c++ HOST_AR=/usr/bin/ar
