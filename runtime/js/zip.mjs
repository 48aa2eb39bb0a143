// The zip reader: a wheel's members, read straight from its bytes (no zip library in the
// runtime), inflated by Node's zlib or the browser's DecompressionStream.

import { IS_NODE } from "./host.mjs";

// Node: its zlib binding, imported on first use. Node's DecompressionStream is written in JS
// over web streams and was 4 times slower than zlib here on a 550-file wheel (100 ms against
// 25 ms); browsers' is native.
let nodeZlib;

/** Inflates one deflated ("raw", no header) zip member. */
async function inflateRaw(data) {
  if (IS_NODE) {
    nodeZlib ??= import("node:zlib");
    return new Uint8Array((await nodeZlib).inflateRawSync(data));
  }
  const stream = new DecompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  writer.write(data).catch(() => {}); // a failure shows in the reader too
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * The files of a zip archive (a wheel) as [{ name, read() → Promise<Uint8Array> }], folders
 * left out. Reads what wheels use: stored or deflated members, no encryption, no zip64 (which
 * only archives of over 65,535 files or 4 GB need). Integrity is the lockfile's sha256 of the
 * whole archive, so member CRCs are not checked again; sizes are.
 */
export function zipMembers(bytes, label) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why) => new Error(`kiln: ${label} is not a readable zip archive: ${why}`);
  // The end-of-central-directory record: the last 22 bytes, unless an archive comment
  // (at most 65,535 bytes) follows it.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end < 0) throw bad("no end-of-central-directory record");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  if (count === 0xffff || at === 0xffffffff) throw bad("zip64 archives are not supported");
  const utf8 = new TextDecoder();
  const members = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) {
      throw bad("broken central directory");
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const packedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const local = view.getUint32(at + 42, true);
    const name = utf8.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    if (name.endsWith("/")) continue;
    if (flags & 1) throw bad(`${name} is encrypted`);
    if (method !== 0 && method !== 8) throw bad(`${name} uses compression method ${method}`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) {
      throw bad(`no local header for ${name}`);
    }
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + packedSize > bytes.length) throw bad(`${name} is truncated`);
    const packed = bytes.subarray(start, start + packedSize);
    members.push({
      name,
      // The bytes of a stored member, without waiting (null for a deflated one).
      storedBytes: method === 0 && packedSize === size ? packed : null,
      async read() {
        const data = method === 0 ? packed : await inflateRaw(packed);
        if (data.length !== size) throw bad(`${name} unpacks to the wrong size`);
        return data;
      },
    });
  }
  return members;
}
