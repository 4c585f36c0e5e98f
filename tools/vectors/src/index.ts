/** Generator of test-vectors/envelope-v1.json and the case runner shared with the conformance adapter. */
import { describeKeys } from './context.js';
import type { VectorFile } from './format.js';
import { classifyCases, keyIdCases, topicMapCases } from './misc-cases.js';
import { openCases } from './open-cases.js';
import { sealCases } from './seal-cases.js';
import { sequenceCases } from './sequence-cases.js';

export type * from './format.js';
export { runCase, runSeal, runOpen, runSequence, errorCode, parseSeq } from './run.js';
export { fromHex, toHex } from './hex.js';

/** Builds the vector file. It is deterministic: every key and ephemeral input comes from a fixed seed. */
export function generateEnvelopeVectors(): VectorFile {
  return {
    $schema: './envelope-v1.schema.json',
    name: 'mqtt-e2ee envelope v1 test vectors',
    version: 1,
    generatedBy: 'tools/vectors, run with `pnpm vectors`; do not edit by hand',
    notes: [
      'Byte strings are lowercase hex, sequence numbers decimal strings, topics JSON strings.',
      'Keys were derived with RFC 9180 DeriveKeyPair from SHA-256("mqtt-e2ee/v1 vectors key NAME").',
      'ikmE of each session is SHA-256("mqtt-e2ee/v1 vectors ikmE LABEL"); reusing it outside tests reuses nonces.',
      'expected is either the output object or {"error": CODE} with a code of the error registry in spec/envelope-v1.md.',
      'spec/conformance.md describes each op and how an implementation runs these cases.',
    ],
    keys: describeKeys(),
    cases: [...keyIdCases(), ...sealCases(), ...openCases(), ...sequenceCases(), ...classifyCases(), ...topicMapCases()],
  };
}

/** Serializes the file exactly as stored: two-space JSON and a final newline. */
export function serializeVectors(file: VectorFile): string {
  return JSON.stringify(file, null, 2) + '\n';
}
