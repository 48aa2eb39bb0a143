# Writes the cross sysconfigdata the way kiln's src/build/cross.rs does (overrides appended).
import sys
prefix, out = sys.argv[1], sys.argv[2]
name = "_sysconfigdata__emscripten_wasm32-emscripten"
text = open(f"{prefix}/lib/python3.13/{name}.py").read()
inc = f"{prefix}/include/python3.13"
ov = {
    "INCLUDEPY": inc, "CONFINCLUDEPY": inc, "LIBDIR": f"{prefix}/lib",
    "LIBPL": f"{prefix}/lib/python3.13/config-3.13-wasm32-emscripten",
    "CC": "cc", "CXX": "c++", "LDSHARED": "cc -shared", "LDCXXSHARED": "c++ -shared",
    "BLDSHARED": "cc -shared", "AR": "ar", "CCSHARED": "-fPIC",
    "CFLAGS": "-fPIC -fwasm-exceptions -sSUPPORT_LONGJMP=wasm", "CFLAGSFORSHARED": "-fPIC",
    "LDFLAGS": "-fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT", "OPT": "-DNDEBUG -O2",
}
text += "\n# Overrides (as kiln's cross.rs writes them)\nbuild_time_vars.update({\n"
text += "".join(f"    {k!r}: {v!r},\n" for k, v in ov.items()) + "})\n"
open(f"{out}/{name}.py", "w").write(text)
