//! End-to-end tests: they run the built `kiln` binary against real recipes and the real
//! toolchain root. One test binary (`tests/it/`), one module per area.
//!
//! Tests that need the toolchain root install it through `kiln toolchain install` (once per
//! test run; fast when it exists) and share the user's cache, so a rerun on the same machine
//! reuses the root and every cached build, exactly as a user's second run would.

mod bridge;
mod cmake;
mod common;
mod containment;
mod cpython_tests;
mod dist;
mod distribution;
mod embedding;
mod fetch;
mod graph_builds;
mod installed;
mod interop;
mod micropip;
mod packages;
mod port;
mod pyodide_recipes;
mod recipe_check;
mod remote;
mod runtime;
mod rust;
mod scipy;
mod skeleton;
mod slim;
mod stack;
mod toolchain;
