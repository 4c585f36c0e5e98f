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

  it('treats a number and a bigint of the same seq alike', () => {
    const window = new ReplayWindow(8);
    window.accept(5);
    expect(window.status(5n)).toBe('seen');
    window.accept(6n);
    expect(window.status(6)).toBe('seen');
    expect(window.status(7)).toBe('new');
    expect(window.top).toBe(6n);
    window.accept(13);
    expect(window.status(5n)).toBe('too old');
    // 6 is still inside the window and was accepted; 7 to 12 were never seen.
    expect(window.status(6)).toBe('seen');
    expect(window.status(7n)).toBe('new');
    expect(() => window.accept(13n)).toThrow(/already accepted/);
  });

  it('crosses 2^53 and 2^64 - 1 without losing slots', () => {
    const window = new ReplayWindow(16);
    const below = 2 ** 53 - 3;
    window.accept(below);
    window.accept(BigInt(below) + 4n);
    expect(window.top).toBe(BigInt(below) + 4n);
    expect(window.status(below)).toBe('seen');
    expect(window.status(below + 1)).toBe('new');
    expect(window.status(BigInt(below) + 4n)).toBe('seen');
    const top = (1n << 64n) - 1n;
    window.accept(top - 1n);
    expect(window.status(top - 1n)).toBe('seen');
    expect(window.status(top)).toBe('new');
    expect(window.status(below)).toBe('too old');
    window.accept(top);
    const restored = ReplayWindow.restore(window.snapshot());
    expect(restored.status(top)).toBe('seen');
    expect(restored.status(top - 2n)).toBe('new');
    expect(restored.top).toBe(top);
  });

  it('rejects numbers that are not safe non-negative integers', () => {
    const window = new ReplayWindow(8);
    window.accept(10);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1.5, 2 ** 53, 2 ** 60]) {
      expect(() => window.accept(bad), String(bad)).toThrow(TypeError);
      expect(() => window.status(bad), String(bad)).toThrow(/pass sequence numbers of 2\^53 and above as bigint/);
    }
    expect(() => window.accept(-1)).toThrow(RangeError);
    // Nothing above was recorded: the window still accepts the next seq and reports the old one.
    window.accept(11);
    expect(window.top).toBe(11n);
    expect(window.status(10)).toBe('seen');
  });

  it('records a new seq in one step', () => {
    const window = new ReplayWindow(8);
    expect(window.record(5)).toBe('new');
    expect(window.top).toBe(5n);
    expect(window.record(5n)).toBe('seen');
    expect(window.record(20)).toBe('new');
    // Neither a seen nor a too old seq changes the window.
    expect(window.record(5)).toBe('too old');
    expect(window.top).toBe(20n);
    expect(window.status(5)).toBe('too old');
    expect(window.status(19)).toBe('new');
  });

  it('validates window size', () => {
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
    expect(() => new ReplayWindow(2 ** 21)).toThrow(RangeError);
    expect(() => new ReplayWindow(1.5)).toThrow(TypeError);
    expect(new ReplayWindow().size).toBe(1024);
  });
});
