// Byte helpers shared by the protocol, the gateway and the dashboard (browser-safe).

/** A plain Uint8Array view of Node Buffers (cborg and SQLite hand out Buffers; callers get one type). */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
