;; CPython's fast call trampoline for emscripten, in WebAssembly text.
;;
;; CPython calls C functions registered with the wrong number of arguments (a METH_NOARGS
;; function defined with one parameter, say), which wasm traps on. Its trampoline module finds
;; the callee's real signature with the GC proposal's `ref.test` and calls it with that many
;; arguments. Upstream writes it in C with `__builtin_wasm_test_function_pointer_signature`,
;; which needs clang 22; Debian's emscripten 6.0.5 ships clang 21, so kiln assembles this same
;; logic with binaryen's `wasm-as` instead. `Python/emscripten_trampoline.c` loads it at start-up
;; and falls back to a slower JS trampoline where the engine lacks wasm GC.
;;
;; Exports `trampoline_call(success*, func, self, args, kw) -> PyObject*`: sets *success to 0
;; when the function takes more than three arguments.
(module
  (type $arity0 (func (result i32)))
  (type $arity1 (func (param i32) (result i32)))
  (type $arity2 (func (param i32 i32) (result i32)))
  (type $arity3 (func (param i32 i32 i32) (result i32)))
  (import "env" "memory" (memory 0))
  (import "env" "__indirect_function_table" (table $functions 0 funcref))
  (func (export "trampoline_call")
    (param $success i32) (param $func i32) (param $self i32) (param $args i32) (param $kw i32)
    (result i32)
    (local $callee funcref)
    (local.set $callee (table.get $functions (local.get $func)))
    (i32.store (local.get $success) (i32.const 1))
    (if (ref.test (ref $arity3) (local.get $callee))
      (then (return (call_indirect $functions (type $arity3)
        (local.get $self) (local.get $args) (local.get $kw) (local.get $func)))))
    (if (ref.test (ref $arity2) (local.get $callee))
      (then (return (call_indirect $functions (type $arity2)
        (local.get $self) (local.get $args) (local.get $func)))))
    (if (ref.test (ref $arity1) (local.get $callee))
      (then (return (call_indirect $functions (type $arity1)
        (local.get $self) (local.get $func)))))
    (if (ref.test (ref $arity0) (local.get $callee))
      (then (return (call_indirect $functions (type $arity0) (local.get $func)))))
    (i32.store (local.get $success) (i32.const 0))
    (i32.const 0)))
