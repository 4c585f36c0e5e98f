import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { generateEnvelopeVectors, serializeVectors, type VectorFile } from '../src/index.js';

const dir = fileURLToPath(new URL('../../../test-vectors/', import.meta.url));
const storedText = readFileSync(`${dir}envelope-v1.json`, 'utf8');
const stored = JSON.parse(storedText) as VectorFile;
const schema = JSON.parse(readFileSync(`${dir}envelope-v1.schema.json`, 'utf8')) as object;

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  return ajv.compile(schema);
}

describe('envelope vectors', () => {
  it('match a fresh generation', () => {
    const fresh = serializeVectors(generateEnvelopeVectors());
    // Compare case ids first, so a drift names the cases that changed.
    const freshFile = JSON.parse(fresh) as VectorFile;
    const changed = freshFile.cases
      .filter((c, i) => JSON.stringify(c) !== JSON.stringify(stored.cases[i]))
      .map((c) => c.id);
    expect(changed, 'run `pnpm vectors` to regenerate').toEqual([]);
    expect(freshFile.cases).toHaveLength(stored.cases.length);
    expect(fresh === storedText, 'run `pnpm vectors` to regenerate').toBe(true);
  });

  it('validate against schema', () => {
    const validate = validator();
    const valid = validate(stored);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('schema rejects malformed cases', () => {
    const validate = validator();
    const first = stored.cases.find((c) => c.op === 'open')!;
    const broken = (change: (c: Record<string, unknown>) => void) => {
      const copy = structuredClone(first) as unknown as Record<string, unknown>;
      change(copy);
      return { ...stored, cases: [copy] };
    };
    expect(validate(broken((c) => ((c.input as Record<string, unknown>).envelope = 'ABC')))).toBe(false);
    expect(validate(broken((c) => (c.expected = { error: 'ERR_SOMETHING' })))).toBe(false);
    expect(validate(broken((c) => (c.op = 'decrypt')))).toBe(false);
    expect(validate(broken((c) => delete c.description))).toBe(false);
    expect(validate(broken(() => undefined))).toBe(true);
  });

  it('cover every op and code', () => {
    const ops = new Set(stored.cases.map((c) => c.op));
    expect([...ops].sort()).toEqual(['canonical-topic', 'classify', 'key-id', 'open', 'seal', 'sequence']);
    const codes = new Set<string>();
    for (const c of stored.cases) {
      if ('error' in c.expected) codes.add(c.expected.error);
      if (c.op === 'sequence' && 'results' in c.expected) {
        for (const r of c.expected.results) if ('error' in r) codes.add(r.error);
      }
    }
    expect([...codes].sort()).toEqual([
      'ERR_DECRYPT',
      'ERR_DUPLICATE',
      'ERR_ENVELOPE_FORMAT',
      'ERR_INVALID_ARGUMENT',
      'ERR_INVALID_KEY',
      'ERR_NOT_FOR_RECIPIENT',
      'ERR_PADDING',
      'ERR_REPLAY',
      'ERR_TOO_LARGE',
      'ERR_UNKNOWN_SENDER',
      'ERR_UNSUPPORTED_SUITE',
      'ERR_UNSUPPORTED_VERSION',
    ]);
    expect(new Set(stored.cases.map((c) => c.id)).size).toBe(stored.cases.length);
  });
});
