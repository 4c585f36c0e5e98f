import { describe, expect, it } from 'vitest';
import { ReplayError, ReplayWindow } from '../src/index.js';

describe('ReplayWindow', () => {
  it('accepts each seq once', () => {
    const window = new ReplayWindow(8);
    for (const seq of [3n, 0n, 7n, 1n]) window.accept(seq);
    for (const seq of [3n, 0n, 7n, 1n]) expect(() => window.accept(seq)).toThrow(ReplayError);
    window.accept(2n);
    expect(() => window.check(2n)).toThrow(/already accepted/);
  });

  it('slides forward with highest seq', () => {
    const window = new ReplayWindow(8);
    window.accept(10n);
    window.accept(3n);
    expect(() => window.check(2n)).toThrow(/older than the replay window/);
    window.accept(11n);
    expect(() => window.check(3n)).toThrow(/older than the replay window/);
    window.accept(4n);
    expect(() => window.check(4n)).toThrow(/already accepted/);
  });

  it('clears slots reused by newer seqs', () => {
    const window = new ReplayWindow(4);
    window.accept(1n);
    window.accept(2n);
    // 5 and 6 share bitmap slots with 1 and 2, so the window must clear those slots.
    window.accept(6n);
    window.accept(5n);
    expect(() => window.check(4n)).not.toThrow();
    expect(() => window.check(6n)).toThrow(ReplayError);
  });

  it('handles jumps beyond window', () => {
    const window = new ReplayWindow(16);
    window.accept(0n);
    window.accept(1_000_000n);
    expect(() => window.check(0n)).toThrow(ReplayError);
    window.accept(999_990n);
    window.accept((1n << 64n) - 1n);
    expect(() => window.check((1n << 64n) - 1n)).toThrow(ReplayError);
    expect(() => window.check(999_990n)).toThrow(ReplayError);
  });

  it('does not record rejected checks', () => {
    const window = new ReplayWindow(8);
    window.check(5n);
    window.accept(5n);
    expect(() => window.accept(5n)).toThrow(ReplayError);
  });

  it('validates window size', () => {
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
    expect(() => new ReplayWindow(2 ** 21)).toThrow(RangeError);
    expect(() => new ReplayWindow(1.5)).toThrow(TypeError);
    expect(new ReplayWindow().size).toBe(1024);
  });
});
