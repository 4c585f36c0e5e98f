/** Bytes an envelope adds to a plaintext, measured by sealing, per mode. */
import { EnvelopeSealer, generateKeyPair, type CryptoProvider } from '@mqtt-e2ee/envelope';
import { GroupSender, generateSigningKeyPair } from '@mqtt-e2ee/key-exchange';

export interface OverheadRow {
  mode: string;
  payload_bytes: number;
  envelope_bytes: number | null;
  overhead_bytes: number | null;
  /** Description of the overhead bytes. */
  note: string;
}

const TOPIC = 'bench/overhead';

/** Overhead of a direct envelope, without padding and with the default padding buckets. */
export function measureDirectOverhead(provider: CryptoProvider, payloadBytes: number): OverheadRow[] {
  const sender = generateKeyPair(provider);
  const recipient = generateKeyPair(provider);
  const plaintext = new Uint8Array(payloadBytes);
  const plain = new EnvelopeSealer({ identity: sender, provider });
  const sealed = plain.seal(TOPIC, plaintext, recipient.publicKey);
  const rows: OverheadRow[] = [
    {
      mode: 'direct',
      payload_bytes: payloadBytes,
      envelope_bytes: sealed.length,
      overhead_bytes: sealed.length - payloadBytes,
      note: 'version, suite, type, flags (4) + sender and recipient key ids (16) + HPKE enc (32) + seq (8) + Poly1305 tag (16)',
    },
  ];
  const padded = paddedSealer(sender, provider);
  if (padded !== undefined) {
    const length = padded.seal(TOPIC, plaintext, recipient.publicKey).length;
    rows.push({
      mode: 'direct, padding: buckets',
      payload_bytes: payloadBytes,
      envelope_bytes: length,
      overhead_bytes: length - payloadBytes,
      note: 'as direct, plus the 0x80 marker and zero bytes up to the next default bucket, which hide the exact length',
    });
  }
  return rows;
}

/** Overhead of a steady-state group message, unsigned and signed, measured with GroupSender. */
export function measureGroupOverhead(provider: CryptoProvider, payloadBytes: number): OverheadRow[] {
  const plaintext = new Uint8Array(payloadBytes);
  const base = { prefix: 'bench/v1', groupId: 'bench', sender: 'publisher', topics: ['bench/group/#'], members: ['member'], provider };
  const unsigned = new GroupSender(base);
  const signed = new GroupSender({ ...base, signer: generateSigningKeyPair(provider) });
  const rows: OverheadRow[] = [];
  for (const [mode, sender, note] of [
    ['group, unsigned', unsigned, 'group header: version, suite, type, flags, epoch id and seq (20) + Poly1305 tag (16); the sender key of the epoch reaches members once per epoch in a direct envelope'],
    ['group, signed', signed, 'as unsigned, plus a per-message Ed25519 signature so that members cannot forge the sender'],
  ] as const) {
    // The first message opens the epoch; the second is a steady-state message.
    sender.seal('bench/group/topic', plaintext);
    const length = sender.seal('bench/group/topic', plaintext).envelope.length;
    rows.push({ mode, payload_bytes: payloadBytes, envelope_bytes: length, overhead_bytes: length - payloadBytes, note });
  }
  return rows;
}

/** Returns a sealer with the default padding buckets, or undefined when this envelope build has no padding option. */
function paddedSealer(identity: ReturnType<typeof generateKeyPair>, provider: CryptoProvider): EnvelopeSealer | undefined {
  try {
    const options = { identity, provider, padding: 'buckets' } as ConstructorParameters<typeof EnvelopeSealer>[0];
    return new EnvelopeSealer(options);
  } catch {
    return undefined;
  }
}
