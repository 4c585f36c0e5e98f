/**
 * The project's own conformance adapter: implements the protocol of spec/conformance.md on
 * @mqtt-e2ee/envelope. Usage: mqtt-e2ee-conformance-adapter --provider noble|node|sodium
 *
 * With the environment variable MQTT_E2EE_ADAPTER_FAULT=info-label it flips one byte of the HPKE
 * info label "mqtt-e2ee/v1 direct" wherever it enters HMAC, to prove that the kit catches such a
 * mistake. With MQTT_E2EE_ADAPTER_FAULT=kx-label the key exchange ops report signed bytes whose
 * context label has its last byte changed. Never set either outside the kit's tests.
 */
import { createInterface } from 'node:readline';
import {
  authEncap,
  deriveKeyPair,
  encap,
  keySchedule,
  MODE_AUTH,
  MODE_BASE,
  nobleProvider,
  setupAuthR,
  setupAuthS,
  setupBaseR,
  setupBaseS,
  type CryptoProvider,
  type HpkeContext,
} from '@mqtt-e2ee/envelope';
import { nodeProvider } from '@mqtt-e2ee/envelope/node';
import { errorCode, fromHex, parseSeq, runCase, toHex, type VectorOp } from '@mqtt-e2ee/vectors';
import { KX_OPS, runKx, type KxOp } from './kx-adapter.js';
import { liveReceive, liveSeal, type LiveReceiveInput, type LiveSealInput } from './live-adapter.js';

const VECTOR_OPS: readonly VectorOp[] = ['key-id', 'seal', 'open', 'sequence', 'classify', 'canonical-topic'];
const PRIMITIVE_OPS = ['hpke', 'x25519', 'aead-seal', 'aead-open'] as const;
const LIVE_OPS = ['live-receive', 'live-seal'] as const;

type Json = Record<string, unknown>;

async function selectProvider(name: string): Promise<CryptoProvider> {
  if (name === 'noble') return nobleProvider;
  if (name === 'node') return nodeProvider;
  if (name === 'sodium') return (await import('@mqtt-e2ee/envelope/sodium')).sodiumProvider;
  throw new TypeError(`--provider must be noble, node or sodium, got ${JSON.stringify(name)}`);
}

const INFO = new TextEncoder().encode('mqtt-e2ee/v1 direct');

/** Wraps a provider so that HMAC receives the info label with its last byte changed. */
function withInfoLabelFault(inner: CryptoProvider): CryptoProvider {
  const corrupt = (data: Uint8Array): Uint8Array => {
    for (let i = 0; i + INFO.length <= data.length; i++) {
      if (INFO.every((byte, j) => data[i + j] === byte)) {
        const copy = data.slice();
        copy[i + INFO.length - 1]! ^= 0x01;
        return copy;
      }
    }
    return data;
  };
  return { ...inner, name: `${inner.name}+info-label-fault`, hmacSha256: (key, data) => inner.hmacSha256(key, corrupt(data)) };
}

interface HpkeInput {
  mode: number;
  info: string;
  ikmR: string;
  ikmE: string;
  ikmS?: string;
  encryptions: { seq: string; aad: string; plaintext: string; ciphertext: string }[];
  exports: { exporterContext: string; length: number }[];
}

/** RFC 9180 sections 4 and 5 for one test vector: keys, key schedule, seal, open and export. */
function runHpke(input: HpkeInput, provider: CryptoProvider): Json {
  const recipient = deriveKeyPair(fromHex(input.ikmR), provider);
  const info = fromHex(input.info);
  const ikmE = fromHex(input.ikmE);
  const options = { provider, ikmE };
  let sender: HpkeContext;
  let receiver: HpkeContext;
  let encapsulation;
  const out: Json = { skR: toHex(recipient.secretKey), pkR: toHex(recipient.publicKey) };

  if (input.mode === MODE_AUTH) {
    const senderKeys = deriveKeyPair(fromHex(input.ikmS ?? ''), provider);
    out.pkS = toHex(senderKeys.publicKey);
    encapsulation = authEncap(provider, recipient.publicKey, senderKeys.secretKey, options);
    sender = setupAuthS(recipient.publicKey, info, senderKeys.secretKey, options).context;
    receiver = setupAuthR(encapsulation.enc, recipient.secretKey, info, senderKeys.publicKey, { provider });
  } else if (input.mode === MODE_BASE) {
    encapsulation = encap(provider, recipient.publicKey, options);
    sender = setupBaseS(recipient.publicKey, info, options).context;
    receiver = setupBaseR(encapsulation.enc, recipient.secretKey, info, { provider });
  } else {
    throw new RangeError(`mode must be 0 or 2, got ${input.mode}`);
  }

  const secrets = keySchedule(provider, input.mode, encapsulation.sharedSecret, info);
  Object.assign(out, {
    enc: toHex(encapsulation.enc),
    sharedSecret: toHex(encapsulation.sharedSecret),
    key: toHex(secrets.key),
    baseNonce: toHex(secrets.baseNonce),
    exporterSecret: toHex(secrets.exporterSecret),
    ciphertexts: input.encryptions.map((e) => toHex(sender.seal(fromHex(e.aad), fromHex(e.plaintext), parseSeq(e.seq)))),
    plaintexts: input.encryptions.map((e) => toHex(receiver.open(fromHex(e.aad), fromHex(e.ciphertext), parseSeq(e.seq)))),
    exportedValues: input.exports.map((e) => toHex(sender.export(fromHex(e.exporterContext), e.length))),
  });
  return out;
}

function runPrimitive(op: (typeof PRIMITIVE_OPS)[number], input: Json, provider: CryptoProvider): Json {
  const bytes = (field: string) => fromHex(String(input[field]));
  switch (op) {
    case 'hpke':
      return runHpke(input as unknown as HpkeInput, provider);
    case 'x25519':
      return { sharedSecret: toHex(provider.x25519(bytes('secretKey'), bytes('publicKey'))) };
    case 'aead-seal':
      return { ciphertext: toHex(provider.aeadSeal(bytes('key'), bytes('nonce'), bytes('aad'), bytes('plaintext'))) };
    case 'aead-open':
      return { plaintext: toHex(provider.aeadOpen(bytes('key'), bytes('nonce'), bytes('aad'), bytes('ciphertext'))) };
  }
}

async function answer(message: Json, provider: CryptoProvider, write: (reply: Json) => void): Promise<Json> {
  if (message.type === 'hello') {
    return { type: 'hello', implementation: `@mqtt-e2ee/envelope (${provider.name})`, ops: [...VECTOR_OPS, ...PRIMITIVE_OPS, ...KX_OPS, ...LIVE_OPS] };
  }
  const op = String(message.op);
  const input = (message.input ?? {}) as Json;
  let output: unknown;
  try {
    if ((VECTOR_OPS as readonly string[]).includes(op)) {
      output = runCase(op as VectorOp, input, provider);
    } else if ((PRIMITIVE_OPS as readonly string[]).includes(op)) {
      output = runPrimitive(op as (typeof PRIMITIVE_OPS)[number], input, provider);
    } else if ((KX_OPS as readonly string[]).includes(op)) {
      output = runKx(op as KxOp, input, provider, process.env.MQTT_E2EE_ADAPTER_FAULT === 'kx-label');
    } else if (op === 'live-receive') {
      output = await liveReceive(input as unknown as LiveReceiveInput, provider, () => write({ type: 'ready', id: message.id }));
    } else if (op === 'live-seal') {
      output = await liveSeal(input as unknown as LiveSealInput, provider);
    } else {
      output = { error: 'ERR_UNSUPPORTED_OP' };
    }
  } catch (error) {
    output = { error: errorCode(error) };
  }
  return { type: 'result', id: message.id, output };
}

/** Reads cases from stdin until it closes. Returns the exit status. */
export async function runAdapter(argv: readonly string[]): Promise<number> {
  const flag = argv.indexOf('--provider');
  const name = flag >= 0 ? argv[flag + 1] ?? '' : 'noble';
  let provider: CryptoProvider;
  try {
    provider = await selectProvider(name);
  } catch (error) {
    process.stderr.write(`mqtt-e2ee-conformance-adapter: ${(error as Error).message}\n`);
    return 2;
  }
  if (process.env.MQTT_E2EE_ADAPTER_FAULT === 'info-label') provider = withInfoLabelFault(provider);
  const write = (reply: Json) => process.stdout.write(JSON.stringify(reply) + '\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue;
    write(await answer(JSON.parse(line) as Json, provider, write));
  }
  return 0;
}
