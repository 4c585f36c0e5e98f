import { describe, expect, it } from 'vitest';
import { BytePool } from '../src/index.js';

describe('BytePool', () => {
  it('starts with a small block and doubles up to 16 KiB', () => {
    const pool = new BytePool();
    const sizes: number[] = [];
    let last: ArrayBufferLike | undefined;
    for (let i = 0; i < 200; i++) {
      const view = pool.take(1000);
      if (view.buffer !== last) sizes.push(view.buffer.byteLength);
      last = view.buffer;
    }
    expect(sizes.slice(0, 5)).toEqual([2048, 4096, 8192, 16384, 16384]);
  });

  it('hands out zeroed views that never overlap', () => {
    const pool = new BytePool();
    const views = Array.from({ length: 100 }, (_, i) => pool.take((i % 13) * 37));
    views.forEach((view, i) => {
      expect(view.every((byte) => byte === 0)).toBe(true);
      view.fill(i + 1);
    });
    views.forEach((view, i) => expect(view.every((byte) => byte === i + 1)).toBe(true));
  });

  it('gives requests above 4 KiB arrays of their own', () => {
    const view = new BytePool().take(4097);
    expect(view.byteOffset).toBe(0);
    expect(view.buffer.byteLength).toBe(4097);
  });

  it('replaces a block whose buffer was transferred', () => {
    const pool = new BytePool();
    const first = pool.take(16);
    structuredClone(first.buffer, { transfer: [first.buffer as ArrayBuffer] });
    expect(pool.take(0)).toHaveLength(0);
    const next = pool.take(16);
    expect(next).toHaveLength(16);
    expect(next.buffer.byteLength).toBeGreaterThan(0);
  });
});
