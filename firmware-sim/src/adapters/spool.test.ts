import { mkdtempSync, rmSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceSpool } from './spool.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pg-spool-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const bytes = (n: number) => new Uint8Array([n >> 8, n & 255, 0xd2]);
const ids = (spool: DeviceSpool) =>
  Array.from({ length: spool.length }, (_, i) => {
    const b = spool.peek(i)!.bytes;
    return (b[0]! << 8) | b[1]!;
  });

describe('disk spool (store-and-forward)', () => {
  it('survives a restart with its order intact, acknowledged items gone', () => {
    const dir = tempDir();
    const spool = new DeviceSpool(dir, 'd1', { capacity: 100 });
    for (let i = 0; i < 10; i++) spool.push(bytes(i), i % 3 === 0 ? 'event' : 'routine');
    spool.shift();
    spool.shift();
    spool.flush();
    const reopened = new DeviceSpool(dir, 'd1', { capacity: 100 });
    expect(ids(reopened)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(reopened.peek(1)!.priority).toBe('event');
  });

  it('when full drops the oldest routine readings first and never door/tamper/RFID events', () => {
    const dir = tempDir();
    const spool = new DeviceSpool(dir, 'd1', { capacity: 3 });
    spool.push(bytes(0), 'event');
    for (let i = 1; i <= 5; i++) spool.push(bytes(i), 'routine');
    spool.push(bytes(6), 'event');
    spool.push(bytes(7), 'event');
    expect(ids(spool)).toEqual([0, 3, 4, 5, 6, 7]);
    expect(spool.dropped).toBe(2);
    spool.flush();
    expect(ids(new DeviceSpool(dir, 'd1', { capacity: 3 }))).toEqual([0, 3, 4, 5, 6, 7]);
  });

  it('ignores a torn last record after a crash mid-write', () => {
    const dir = tempDir();
    const spool = new DeviceSpool(dir, 'd1', { capacity: 10 });
    spool.push(bytes(1), 'routine');
    spool.push(bytes(2), 'routine');
    spool.flush();
    appendFileSync(spool.path, Buffer.from([0x01, 0x00, 0x40, 0x00]));
    expect(ids(new DeviceSpool(dir, 'd1', { capacity: 10 }))).toEqual([1, 2]);
  });

  it('deletes its file once drained, and puts in-flight readings back at the head', () => {
    const dir = tempDir();
    const spool = new DeviceSpool(dir, 'd1', { capacity: 10 });
    spool.push(bytes(1), 'routine');
    spool.flush();
    expect(existsSync(spool.path)).toBe(true);
    spool.shift();
    expect(existsSync(spool.path)).toBe(false);
    spool.push(bytes(5), 'routine');
    spool.prepend([
      { bytes: bytes(3), priority: 'routine' },
      { bytes: bytes(4), priority: 'event' },
    ]);
    expect(ids(new DeviceSpool(dir, 'd1', { capacity: 10 }))).toEqual([3, 4, 5]);
  });

  it('compacts a long log of finished records', () => {
    const dir = tempDir();
    const spool = new DeviceSpool(dir, 'd1', { capacity: 10_000 });
    spool.push(bytes(65535), 'routine');
    for (let i = 0; i < 3000; i++) {
      spool.push(bytes(i), 'routine');
      spool.flush();
    }
    for (let i = 0; i < 2990; i++) spool.shift();
    spool.flush();
    const reopened = new DeviceSpool(dir, 'd1', { capacity: 10_000 });
    expect(reopened.length).toBe(11);
  });
});
