/**
 * Builds the conformance cases from the files in test-vectors/: the envelope vectors as they are,
 * the RFC 9180 and Wycheproof files turned into hpke, x25519, aead-seal and aead-open cases, and
 * the key exchange vectors turned into kx cases (kx-cases.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VectorFile } from '@mqtt-e2ee/vectors';
import { kxCases } from './kx-cases.js';

/** One case of the protocol: what the kit sends and the output it expects back. */
export interface KitCase {
  id: string;
  op: string;
  input: unknown;
  expected: unknown;
  /** Runs before the case is sent, such as a subscription of the kit. */
  prepare?: () => Promise<void>;
  /** Runs when the adapter reports {"type":"ready"} for this case. */
  onReady?: () => Promise<void>;
  /** Combines the adapter's output with what the kit observed; its result is compared. */
  observe?: (output: unknown) => Promise<unknown>;
  /** Runs after the case, whatever its outcome. */
  cleanup?: () => Promise<void>;
}

interface HpkeVector {
  mode: number;
  info: string;
  ikmR: string;
  ikmE: string;
  ikmS?: string;
  skRm: string;
  pkRm: string;
  pkEm: string;
  pkSm?: string;
  enc: string;
  shared_secret: string;
  key: string;
  base_nonce: string;
  exporter_secret: string;
  encryptions: { aad: string; pt: string; ct: string }[];
  exports: { exporter_context: string; L: number; exported_value: string }[];
}

interface XdhTest {
  tcId: number;
  public: string;
  private: string;
  shared: string;
  result: string;
}

interface AeadTest {
  tcId: number;
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: string;
}

function readJson<T>(dir: string, file: string): T {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
}

function envelopeCases(dir: string): KitCase[] {
  const file = readJson<VectorFile>(dir, 'envelope-v1.json');
  return file.cases.map((c) => ({ id: `envelope/${c.id}`, op: c.op, input: c.input, expected: c.expected }));
}

function hpkeCases(dir: string): KitCase[] {
  const file = readJson<{ vectors: HpkeVector[] }>(dir, 'rfc9180-x25519-sha256-chacha20poly1305.json');
  return file.vectors.map((v) => {
    const input: Record<string, unknown> = {
      mode: v.mode,
      info: v.info,
      ikmR: v.ikmR,
      ikmE: v.ikmE,
      encryptions: v.encryptions.map((e, seq) => ({ seq: String(seq), aad: e.aad, plaintext: e.pt, ciphertext: e.ct })),
      exports: v.exports.map((e) => ({ exporterContext: e.exporter_context, length: e.L })),
    };
    if (v.ikmS !== undefined) input.ikmS = v.ikmS;
    const expected: Record<string, unknown> = {
      skR: v.skRm,
      pkR: v.pkRm,
      enc: v.enc,
      sharedSecret: v.shared_secret,
      key: v.key,
      baseNonce: v.base_nonce,
      exporterSecret: v.exporter_secret,
      ciphertexts: v.encryptions.map((e) => e.ct),
      plaintexts: v.encryptions.map((e) => e.pt),
      exportedValues: v.exports.map((e) => e.exported_value),
    };
    if (v.pkSm !== undefined) expected.pkS = v.pkSm;
    return { id: `rfc9180/mode-${v.mode}`, op: 'hpke', input, expected };
  });
}

function x25519Cases(dir: string): KitCase[] {
  const file = readJson<{ testGroups: { tests: XdhTest[] }[] }>(dir, 'wycheproof-x25519.json');
  const zero = '00'.repeat(32);
  return file.testGroups.flatMap((group) =>
    group.tests.map((t) => ({
      id: `wycheproof-x25519/tc-${t.tcId}`,
      op: 'x25519',
      input: { secretKey: t.private, publicKey: t.public },
      // RFC 7748 section 6.1 and RFC 9180 section 7.1.4: an all-zero result is rejected.
      expected: t.shared === zero ? { error: 'ERR_INVALID_KEY' } : { sharedSecret: t.shared },
    })),
  );
}

function aeadCases(dir: string): KitCase[] {
  const file = readJson<{ testGroups: { ivSize: number; tests: AeadTest[] }[] }>(dir, 'wycheproof-chacha20-poly1305.json');
  return file.testGroups.flatMap((group) =>
    group.tests.flatMap((t) => {
      const id = `wycheproof-chacha20-poly1305/tc-${t.tcId}`;
      const ciphertext = t.ct + t.tag;
      // Nonces other than 96 bits are invalid arguments; other invalid cases fail authentication.
      const failure = group.ivSize === 96 ? 'ERR_DECRYPT' : 'ERR_INVALID_ARGUMENT';
      const open: KitCase = {
        id: `${id}/open`,
        op: 'aead-open',
        input: { key: t.key, nonce: t.iv, aad: t.aad, ciphertext },
        expected: t.result === 'valid' ? { plaintext: t.msg } : { error: failure },
      };
      if (t.result !== 'valid' && group.ivSize === 96) return [open];
      const seal: KitCase = {
        id: `${id}/seal`,
        op: 'aead-seal',
        input: { key: t.key, nonce: t.iv, aad: t.aad, plaintext: t.msg },
        expected: t.result === 'valid' ? { ciphertext } : { error: failure },
      };
      return [seal, open];
    }),
  );
}

/** Names of the case suites, in the order the kit runs them. */
export const SUITES = ['envelope', 'rfc9180', 'wycheproof-x25519', 'wycheproof-chacha20-poly1305', 'kx', 'live'] as const;

/** Loads every suite from `vectorDir`. */
export function loadCases(vectorDir: string): KitCase[] {
  return [...envelopeCases(vectorDir), ...hpkeCases(vectorDir), ...x25519Cases(vectorDir), ...aeadCases(vectorDir), ...kxCases(vectorDir)];
}
