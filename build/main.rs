//! kiln's build script: what the crate needs to know about its own files at compile time.
//!
//! - [`logic`]: digests of the build logic's source, for cache keys (`KILN_LOGIC_<PART>`).
//! - [`builtin`]: kiln's recipes and platform files, embedded so an installed kiln needs no
//!   checkout.

mod builtin;
mod logic;

fn main() {
    logic::emit();
    builtin::emit();
}
