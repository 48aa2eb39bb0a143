// Zip archives for the loader's unit tests, written here so the tests need no fixtures on disk.
// Test code only; not part of dist/.

import { createHash } from "node:crypto";
import zlib from "node:zlib";

/**
 * A zip archive of { name: string | Uint8Array }: strings deflated, bytes stored, names ending
 * in "/" as folders. `tweak(central, name)` may change a central directory record (a Buffer)
 * before it is written, to make broken archives.
 */
export function makeZip(files, { tweak } = {}) {
  const local = [];
  const central = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === "string" ? Buffer.from(content) : Buffer.from(content);
    const deflate = typeof content === "string";
    const packed = deflate ? zlib.deflateRawSync(data) : data;
    const nameBytes = Buffer.from(name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(deflate ? 8 : 0, 8);
    header.writeUInt32LE(zlib.crc32(data), 14);
    header.writeUInt32LE(packed.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(20, 4);
    record.writeUInt16LE(20, 6);
    record.writeUInt16LE(deflate ? 8 : 0, 10);
    record.writeUInt32LE(zlib.crc32(data), 16);
    record.writeUInt32LE(packed.length, 20);
    record.writeUInt32LE(data.length, 24);
    record.writeUInt16LE(nameBytes.length, 28);
    record.writeUInt32LE(offset, 42);
    tweak?.(record, name);
    local.push(header, nameBytes, packed);
    central.push(record, nameBytes);
    offset += header.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...local, directory, end]));
}

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** A lockfile entry for `file` (its bytes give the sha256), Pyodide's fields. */
export function lockEntry(name, fileName, bytes, fields = {}) {
  return {
    name, version: "1.0", file_name: fileName, install_dir: "site", sha256: sha256(bytes),
    imports: [name], depends: [], package_type: "package", shared_library: false, ...fields,
  };
}
