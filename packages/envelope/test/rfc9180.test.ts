import { describe, expect, it } from 'vitest';
import {
  authDecap,
  authEncap,
  decap,
  deriveKeyPair,
  encap,
  keySchedule,
  MODE_AUTH,
  MODE_BASE,
  setupAuthR,
  setupAuthS,
  setupBaseR,
  setupBaseS,
  type CryptoProvider,
  type HpkeContext,
} from '../src/index.js';
import { hex, loadVectors, providers, toHex } from './helpers.js';

interface HpkeVector {
  mode: number;
  kem_id: number;
  kdf_id: number;
  aead_id: number;
  info: string;
  ikmR: string;
  ikmE: string;
  ikmS?: string;
  skRm: string;
  pkRm: string;
  skEm: string;
  pkEm: string;
  skSm?: string;
  pkSm?: string;
  enc: string;
  shared_secret: string;
  key: string;
  base_nonce: string;
  exporter_secret: string;
  encryptions: { aad: string; pt: string; nonce: string; ct: string }[];
  exports: { exporter_context: string; L: number; exported_value: string }[];
}

const file = loadVectors<{ vectors: HpkeVector[] }>('rfc9180-x25519-sha256-chacha20poly1305.json');
const vectors = file.vectors;

function setup(provider: CryptoProvider, v: HpkeVector): { sender: HpkeContext; recipient: HpkeContext; enc: Uint8Array } {
  const options = { provider, ikmE: hex(v.ikmE) };
  const info = hex(v.info);
  if (v.mode === MODE_AUTH) {
    const { enc, context } = setupAuthS(hex(v.pkRm), info, hex(v.skSm ?? ''), options);
    const recipient = setupAuthR(hex(v.enc), hex(v.skRm), info, hex(v.pkSm ?? ''), { provider });
    return { sender: context, recipient, enc };
  }
  const { enc, context } = setupBaseS(hex(v.pkRm), info, options);
  return { sender: context, recipient: setupBaseR(hex(v.enc), hex(v.skRm), info, { provider }), enc };
}

describe('RFC 9180 vector file', () => {
  it('holds modes 0 and 2 of suite', () => {
    expect(vectors.map((v) => v.mode)).toEqual([MODE_BASE, MODE_AUTH]);
    for (const v of vectors) {
      expect([v.kem_id, v.kdf_id, v.aead_id]).toEqual([0x20, 0x01, 0x03]);
    }
  });
});

describe.each(providers)('RFC 9180 vectors with $name', (provider) => {
  describe.each(vectors)('mode $mode', (v) => {
    it('deriveKeyPair reproduces every key', () => {
      const recipient = deriveKeyPair(hex(v.ikmR), provider);
      expect(toHex(recipient.secretKey)).toBe(v.skRm);
      expect(toHex(recipient.publicKey)).toBe(v.pkRm);
      const ephemeral = deriveKeyPair(hex(v.ikmE), provider);
      expect(toHex(ephemeral.secretKey)).toBe(v.skEm);
      expect(toHex(ephemeral.publicKey)).toBe(v.pkEm);
      if (v.mode === MODE_AUTH) {
        const sender = deriveKeyPair(hex(v.ikmS ?? ''), provider);
        expect(toHex(sender.secretKey)).toBe(v.skSm);
        expect(toHex(sender.publicKey)).toBe(v.pkSm);
      }
    });

    it('KEM reproduces enc and shared_secret', () => {
      const ikmE = hex(v.ikmE);
      const sent =
        v.mode === MODE_AUTH
          ? authEncap(provider, hex(v.pkRm), hex(v.skSm ?? ''), { ikmE })
          : encap(provider, hex(v.pkRm), { ikmE });
      expect(toHex(sent.enc)).toBe(v.enc);
      expect(toHex(sent.sharedSecret)).toBe(v.shared_secret);
      const received =
        v.mode === MODE_AUTH
          ? authDecap(provider, hex(v.enc), hex(v.skRm), hex(v.pkSm ?? ''))
          : decap(provider, hex(v.enc), hex(v.skRm));
      expect(toHex(received)).toBe(v.shared_secret);
    });

    it('key schedule reproduces secrets', () => {
      const mode = v.mode === MODE_AUTH ? MODE_AUTH : MODE_BASE;
      const secrets = keySchedule(provider, mode, hex(v.shared_secret), hex(v.info));
      expect(toHex(secrets.key)).toBe(v.key);
      expect(toHex(secrets.baseNonce)).toBe(v.base_nonce);
      expect(toHex(secrets.exporterSecret)).toBe(v.exporter_secret);
    });

    it('seals and opens every encryption', () => {
      const { sender, recipient, enc } = setup(provider, v);
      expect(toHex(enc)).toBe(v.enc);
      let ran = 0;
      for (const [seq, e] of v.encryptions.entries()) {
        const ct = sender.seal(hex(e.aad), hex(e.pt));
        expect(toHex(ct), `seal seq ${seq}`).toBe(e.ct);
        expect(toHex(recipient.open(hex(e.aad), ct)), `open seq ${seq}`).toBe(e.pt);
        ran++;
      }
      expect(ran).toBe(257);
      expect(sender.seq).toBe(257n);
      expect(recipient.seq).toBe(257n);
    });

    it('explicit seq matches counter order', () => {
      const { sender, recipient } = setup(provider, v);
      // Open in reverse order to show that an explicit seq needs no earlier message.
      for (let seq = v.encryptions.length - 1; seq >= 0; seq--) {
        const e = v.encryptions[seq]!;
        expect(toHex(sender.seal(hex(e.aad), hex(e.pt), seq))).toBe(e.ct);
        expect(toHex(recipient.open(hex(e.aad), hex(e.ct), BigInt(seq)))).toBe(e.pt);
      }
      expect(sender.seq).toBe(0n);
    });

    it('seals into one buffer and opens into pooled bytes at every seq', () => {
      const { sender, recipient } = setup(provider, v);
      let ran = 0;
      for (let seq = v.encryptions.length - 1; seq >= 0; seq--) {
        const e = v.encryptions[seq]!;
        const pt = hex(e.pt);
        // Ciphertext after a 7-byte prefix, as an envelope body follows its header.
        const message = new Uint8Array(7 + pt.length + 16);
        sender.sealInto(hex(e.aad), pt, seq, message.subarray(7));
        expect(toHex(message.subarray(7)), `sealInto seq ${seq}`).toBe(e.ct);
        const opened = recipient.openWith(hex(e.aad), message.subarray(7), seq, (length) => new Uint8Array(length));
        expect(toHex(opened), `openWith seq ${seq}`).toBe(e.pt);
        ran++;
      }
      expect(ran).toBe(257);
    });

    it('reproduces every export', () => {
      const { sender, recipient } = setup(provider, v);
      expect(v.exports).toHaveLength(3);
      for (const x of v.exports) {
        expect(toHex(sender.export(hex(x.exporter_context), x.L))).toBe(x.exported_value);
        expect(toHex(recipient.export(hex(x.exporter_context), x.L))).toBe(x.exported_value);
      }
    });
  });

  it('runs 514 encryptions in total', () => {
    let ran = 0;
    for (const v of vectors) {
      const { sender } = setup(provider, v);
      for (const e of v.encryptions) {
        expect(toHex(sender.seal(hex(e.aad), hex(e.pt)))).toBe(e.ct);
        ran++;
      }
    }
    expect(ran).toBe(2 * 257);
  });
});
