//! kiln: builds CPython and Python packages for WebAssembly (wasm32-emscripten) from recipes.
//!
//! Data flows one way: [`recipe`] → [`source`] → build → wheel → [`dist`] (assemble, lock,
//! verify). The [`toolchain`] module provides the pinned Debian root every build runs in;
//! [`config`], [`fs`] and [`hash`] serve all stages. Only `cli` (in the binary) knows how the stages are
//! driven from the command line.

pub mod build;
pub mod builtin;
pub mod bundle;
pub mod cache;
pub mod config;
pub mod dist;
pub mod fs;
pub mod graph;
pub mod hash;
pub mod progress;
#[cfg(test)]
mod proptests;
pub mod pycompile;
pub mod recipe;
pub mod run;
pub mod serve;
pub mod skeleton;
pub mod smoke;
pub mod source;
pub mod toolchain;
pub mod venv;
pub mod wheel;
pub mod zipfile;
