import { DecryptionError, DuplicateMessageError, EnvelopeFormatError, ReplayError, nobleProvider } from '@mqtt-e2ee/envelope';
import { nodeProvider } from '@mqtt-e2ee/envelope/node';
import { describe, expect, it } from 'vitest';
import {
  GROUP_OVERHEAD,
  GroupReceiver,
  GroupSender,
  KeyRecordError,
  UnknownEpochError,
  deriveEpochKeys,
  envelopeKind,
  generateIdentity,
  openGroup,
  parseGroupHeader,
  sealGroup,
  type GroupReceiverState,
  type KeyMessage,
} from '../src/index.js';
import { EnvelopeSealer } from '@mqtt-e2ee/envelope';
import { deviceIdentity, fixedBytes, manualClock } from './helpers.js';

const PREFIX = 'e2ee/v1';
const text = (value: string) => new TextEncoder().encode(value);
const read = (value: Uint8Array) => new TextDecoder().decode(value);
const alice = deviceIdentity('alice');

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

function group(members: string[], extra: Partial<ConstructorParameters<typeof GroupSender>[0]> = {}) {
  const clock = manualClock();
  const sender = new GroupSender({ prefix: PREFIX, groupId: 'g1', sender: 'alice', topics: ['plant/#'], members, now: clock.now, ...extra });
  const receivers = new Map<string, GroupReceiver>();
  const receiver = (id: string) => {
    const existing = receivers.get(id) ?? new GroupReceiver({ prefix: PREFIX, clientId: id });
    receivers.set(id, existing);
    return existing;
  };
  const deliver = (messages: KeyMessage[]) => {
    for (const message of messages) receiver(message.member).ingestKeyMessage(message.topic, message.payload, { clientId: 'alice', signingKey: alice.signing.publicKey });
  };
  return { clock, sender, receiver, deliver };
}

/** Builds a group whose member bob opened seqs 0 to 9 of one epoch except those in `missing`. */
function groupWithGaps(missing: number[]) {
  const setup = group(['bob']);
  const sealed = Array.from({ length: 10 }, (_, seq) => setup.sender.seal('plant/1', text(`message ${seq}`)).envelope);
  setup.deliver(setup.sender.takeKeyMessages());
  sealed.forEach((envelope, seq) => {
    if (!missing.includes(seq)) setup.receiver('bob').open('plant/1', envelope);
  });
  return { ...setup, sealed };
}

describe('group envelope wire format', () => {
  const keys = deriveEpochKeys(fixedBytes('epoch'), PREFIX, 'g1', 'alice');

  for (const provider of [nobleProvider, nodeProvider]) {
    it(`round trips with ${provider.name}`, () => {
      const envelope = sealGroup(provider, keys, 7n, 'plant/1', text('hello'));
      expect(envelope.length - 5).toBe(GROUP_OVERHEAD);
      expect(GROUP_OVERHEAD).toBeLessThanOrEqual(40);
      expect(Array.from(envelope.subarray(0, 4))).toEqual([1, 1, 2, 0]);
      const header = parseGroupHeader(envelope);
      expect(header.seq).toBe(7n);
      expect(read(openGroup(provider, keys, header, 'plant/1', envelope, undefined))).toBe('hello');
    });
  }

  it('binds topic and header', () => {
    const envelope = sealGroup(nobleProvider, keys, 1n, 'plant/1', text('hello'));
    const header = parseGroupHeader(envelope);
    expect(() => openGroup(nobleProvider, keys, header, 'plant/2', envelope, undefined)).toThrow(DecryptionError);
    const changed = envelope.slice();
    changed[19] = (changed[19] as number) ^ 1;
    expect(() => openGroup(nobleProvider, keys, parseGroupHeader(changed), 'plant/1', changed, undefined)).toThrow(DecryptionError);
  });

  it('gives each seq its own nonce', () => {
    const first = sealGroup(nobleProvider, keys, 1n, 't', text('same'));
    const second = sealGroup(nobleProvider, keys, 2n, 't', text('same'));
    expect(Buffer.from(first.subarray(20)).equals(Buffer.from(second.subarray(20)))).toBe(false);
  });

  it('checks signatures when required', () => {
    const signed = sealGroup(nobleProvider, keys, 1n, 't', text('x'), alice.signing);
    expect(signed[3]).toBe(1);
    const header = parseGroupHeader(signed);
    expect(read(openGroup(nobleProvider, keys, header, 't', signed, alice.signing.publicKey))).toBe('x');
    const forged = sealGroup(nobleProvider, keys, 2n, 't', text('forged'), deviceIdentity('bob').signing);
    expect(() => openGroup(nobleProvider, keys, parseGroupHeader(forged), 't', forged, alice.signing.publicKey)).toThrow(DecryptionError);
    const unsigned = sealGroup(nobleProvider, keys, 3n, 't', text('forged'));
    expect(() => openGroup(nobleProvider, keys, parseGroupHeader(unsigned), 't', unsigned, alice.signing.publicKey)).toThrow(EnvelopeFormatError);
  });

  it('dispatches by type byte', () => {
    const direct = new EnvelopeSealer({ identity: generateIdentity() }).seal('t', text('x'), generateIdentity().publicKey);
    expect(envelopeKind(direct)).toBe('direct');
    expect(envelopeKind(sealGroup(nobleProvider, keys, 1n, 't', text('x')))).toBe('group');
    expect(envelopeKind(Uint8Array.of(1, 1, 3))).toBe('unknown');
    expect(envelopeKind(Uint8Array.of(2, 1, 2))).toBe('unknown');
    expect(envelopeKind(new Uint8Array(0))).toBe('unknown');
  });

  it('rejects reserved flags and truncation', () => {
    const envelope = sealGroup(nobleProvider, keys, 1n, 't', text('x'));
    const flagged = envelope.slice();
    flagged[3] = 0x02;
    expect(() => parseGroupHeader(flagged)).toThrow(EnvelopeFormatError);
    expect(() => parseGroupHeader(envelope.subarray(0, 35))).toThrow(EnvelopeFormatError);
  });
});

describe('group epochs and members', () => {
  it('members read one envelope', () => {
    const { sender, receiver, deliver } = group(['bob', 'carol']);
    const sealed = sender.seal('plant/1', text('one for all'));
    expect(sealed.newEpoch).toBe(true);
    deliver(sender.takeKeyMessages());
    for (const member of ['bob', 'carol']) {
      const opened = receiver(member).open('plant/1', sealed.envelope);
      expect(read(opened.plaintext)).toBe('one for all');
      expect(opened.sender).toBe('alice');
    }
    expect(() => receiver('bob').open('plant/1', sealed.envelope)).toThrow(ReplayError);
  });

  it('copy is a duplicate after authentication', () => {
    const { sender, receiver, deliver } = group(['bob']);
    const sealed = sender.seal('plant/1', text('once'));
    deliver(sender.takeKeyMessages());
    receiver('bob').open('plant/1', sealed.envelope);
    expect((errorOf(() => receiver('bob').open('plant/1', sealed.envelope)) as ReplayError).code).toBe('ERR_DUPLICATE');
    // A modified copy at the same seq fails authentication before the window is consulted.
    const forged = sealed.envelope.slice();
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 0x01;
    expect(errorOf(() => receiver('bob').open('plant/1', forged))).toBeInstanceOf(DecryptionError);
  });

  it('removed member reads nothing new', () => {
    const { sender, receiver, deliver } = group(['bob', 'carol']);
    sender.seal('plant/1', text('before'));
    deliver(sender.takeKeyMessages());
    sender.removeMember('carol');
    const after = sender.seal('plant/1', text('after'));
    const messages = sender.takeKeyMessages();
    expect(messages.map((m) => m.member)).toEqual(['bob']);
    deliver(messages);
    expect(read(receiver('bob').open('plant/1', after.envelope).plaintext)).toBe('after');
    expect(errorOf(() => receiver('carol').open('plant/1', after.envelope))).toBeInstanceOf(UnknownEpochError);
    expect(sender.takeRemovedInboxTopics()).toEqual([`${PREFIX}/inbox/carol/alice/g1`]);
  });

  it('new member cannot read earlier epochs', () => {
    const { sender, receiver, deliver } = group(['bob']);
    const before = sender.seal('plant/1', text('before'));
    deliver(sender.takeKeyMessages());
    sender.addMember('dave');
    const after = sender.seal('plant/1', text('after'));
    deliver(sender.takeKeyMessages());
    expect(read(receiver('dave').open('plant/1', after.envelope).plaintext)).toBe('after');
    expect(() => receiver('dave').open('plant/1', before.envelope)).toThrow(UnknownEpochError);
    expect(read(receiver('bob').open('plant/1', before.envelope).plaintext)).toBe('before');
  });

  it('shares history when chosen', () => {
    const { sender, receiver, deliver } = group(['bob'], { shareHistory: true });
    const before = sender.seal('plant/1', text('before'));
    deliver(sender.takeKeyMessages());
    sender.addMember('dave');
    sender.seal('plant/1', text('after'));
    deliver(sender.takeKeyMessages());
    expect(read(receiver('dave').open('plant/1', before.envelope).plaintext)).toBe('before');
  });

  it('rotates by count and age', () => {
    const { sender, clock } = group(['bob'], { maxMessagesPerEpoch: 2, maxEpochAgeMs: 1000 });
    const ids = [sender.seal('plant/1', text('1')), sender.seal('plant/1', text('2')), sender.seal('plant/1', text('3'))].map((s) => s.epochId);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[1]);
    clock.advance(1000);
    expect(sender.seal('plant/1', text('4')).epochId).not.toBe(ids[2]);
  });

  it('rejects topics outside the group', () => {
    const { sender, receiver, deliver } = group(['bob']);
    expect(() => sender.seal('other/1', text('x'))).toThrow(RangeError);
    const sealed = sender.seal('plant/1', text('x'));
    deliver(sender.takeKeyMessages());
    expect((errorOf(() => receiver('bob').open('other/1', sealed.envelope)) as KeyRecordError).reason).toBe('wrong-topic');
  });

  it('rejects misaddressed key messages', () => {
    const { sender, receiver } = group(['bob']);
    sender.seal('plant/1', text('x'));
    const [message] = sender.takeKeyMessages();
    if (message === undefined) throw new Error('expected a key message');
    const from = { clientId: 'alice', signingKey: alice.signing.publicKey };
    expect(() => receiver('carol').ingestKeyMessage(message.topic, message.payload, from)).toThrow(KeyRecordError);
    expect(() => receiver('bob').ingestKeyMessage(message.topic, message.payload, { ...from, clientId: 'mallory' })).toThrow(KeyRecordError);
    expect(() => receiver('bob').ingestKeyMessage(`${PREFIX}/inbox/bob/alice/g2`, message.payload, from)).toThrow(KeyRecordError);
    expect(receiver('bob').ingestKeyMessage(message.topic, message.payload, from).installed).toHaveLength(1);
  });

  it('signed groups stop member forgery', () => {
    const { sender, receiver, deliver } = group(['bob', 'carol'], { signer: alice.signing });
    const sealed = sender.seal('plant/1', text('signed'));
    deliver(sender.takeKeyMessages());
    expect(receiver('bob').open('plant/1', sealed.envelope).signed).toBe(true);
    // Carol has the epoch key and forges an unsigned message in Alice's name.
    const [epoch] = sender.exportState().epochs;
    const keys = deriveEpochKeys(Buffer.from(epoch?.secret ?? '', 'base64url'), PREFIX, 'g1', 'alice');
    const forged = sealGroup(nobleProvider, keys, 99n, 'plant/1', text('forged'));
    expect(() => receiver('bob').open('plant/1', forged)).toThrow(EnvelopeFormatError);
  });

  it('replay state survives restart', () => {
    const { sender, receiver, deliver } = group(['bob']);
    const first = sender.seal('plant/1', text('1'));
    const second = sender.seal('plant/1', text('2'));
    deliver(sender.takeKeyMessages());
    receiver('bob').open('plant/1', second.envelope);
    const restored = new GroupReceiver({ prefix: PREFIX, clientId: 'bob', state: JSON.parse(JSON.stringify(receiver('bob').exportState())) });
    expect(() => restored.open('plant/1', second.envelope)).toThrow(ReplayError);
    // The first message never arrived before the restart, so it is still new.
    expect(read(restored.open('plant/1', first.envelope).plaintext)).toBe('1');
    expect(() => restored.open('plant/1', first.envelope)).toThrow(ReplayError);
    expect(read(restored.open('plant/1', sender.seal('plant/1', text('3')).envelope).plaintext)).toBe('3');
  });

  it('restart keeps reordered seq deliverable', () => {
    const { receiver, sealed } = groupWithGaps([5]);
    const state = JSON.parse(JSON.stringify(receiver('bob').exportState())) as GroupReceiverState;
    expect(state.epochs[0]?.highestSeq).toBe('9');
    const restored = new GroupReceiver({ prefix: PREFIX, clientId: 'bob', state });
    expect(read(restored.open('plant/1', sealed[5] as Uint8Array).plaintext)).toBe('message 5');
    for (const seq of [9, 3, 5]) {
      const error = errorOf(() => restored.open('plant/1', sealed[seq] as Uint8Array));
      expect(error).toBeInstanceOf(DuplicateMessageError);
      expect((error as DuplicateMessageError).seq).toBe(BigInt(seq));
    }
  });

  it('state without window treats gaps as seen', () => {
    const { sender, receiver, sealed } = groupWithGaps([5]);
    const exported = receiver('bob').exportState();
    expect(exported.epochs[0]?.replayWindow?.top).toBe('9');
    // State of the earlier format stores only highestSeq per epoch.
    const epochs = exported.epochs.map(({ replayWindow: _window, ...rest }) => rest);
    expect(epochs[0]?.highestSeq).toBe('9');
    const restored = new GroupReceiver({ prefix: PREFIX, clientId: 'bob', state: { epochs } });
    const error = errorOf(() => restored.open('plant/1', sealed[5] as Uint8Array));
    expect(error).toBeInstanceOf(DuplicateMessageError);
    expect((error as DuplicateMessageError).seq).toBe(5n);
    expect(read(restored.open('plant/1', sender.seal('plant/1', text('next')).envelope).plaintext)).toBe('next');
  });

  it('restores window into another size', () => {
    const { receiver, sealed } = groupWithGaps([5, 8]);
    const state = receiver('bob').exportState();
    // A window of 4 covers seqs 6 to 9, so 5 is too old and only the gap at 8 stays open.
    const smaller = new GroupReceiver({ prefix: PREFIX, clientId: 'bob', state, replayWindow: 4 });
    expect((errorOf(() => smaller.open('plant/1', sealed[5] as Uint8Array)) as ReplayError).reason).toBe('too old');
    expect(read(smaller.open('plant/1', sealed[8] as Uint8Array).plaintext)).toBe('message 8');
    expect(errorOf(() => smaller.open('plant/1', sealed[7] as Uint8Array))).toBeInstanceOf(DuplicateMessageError);
  });

  it('rejects malformed saved windows', () => {
    const { sender, receiver, deliver } = group(['bob']);
    const envelope = sender.seal('plant/1', text('0')).envelope;
    deliver(sender.takeKeyMessages());
    receiver('bob').open('plant/1', envelope);
    const [epoch] = receiver('bob').exportState().epochs;
    if (epoch?.replayWindow == null) throw new Error('exported epoch has no replayWindow');
    const window = epoch.replayWindow;
    const cases: [string, unknown, RegExp][] = [
      ['string window', 'AAAA', /state\.epochs\[0\]\.replayWindow must be an object/],
      ['top mismatch', { ...window, top: '7' }, /replayWindow\.top must equal highestSeq \("0"\), got "7"/],
      ['size zero', { ...window, size: 0 }, /replayWindow\.size must be an integer from 1/],
      ['size fraction', { ...window, size: 8.5 }, /replayWindow\.size must be an integer/],
      ['bitmap alphabet', { ...window, bitmap: `${window.bitmap.slice(1)}+` }, /replayWindow\.bitmap must be unpadded base64url of 128 bytes/],
      ['bitmap length', { ...window, bitmap: 'AAAA' }, /replayWindow\.bitmap must hold 128 bytes for size 1024, got 3/],
      ['bitmap number', { ...window, bitmap: 0 }, /replayWindow\.bitmap must be unpadded base64url/],
    ];
    for (const [name, replayWindow, message] of cases) {
      const state = { epochs: [{ ...epoch, replayWindow }] } as unknown as GroupReceiverState;
      const error = errorOf(() => new GroupReceiver({ prefix: PREFIX, clientId: 'bob', state }));
      expect(error, name).toBeInstanceOf(RangeError);
      expect(error.message, name).toMatch(message);
      expect(error.message, name).toMatch(/delete replayWindow/);
    }
    const badSeq = { epochs: [{ ...epoch, highestSeq: '01' }] };
    expect(errorOf(() => new GroupReceiver({ prefix: PREFIX, clientId: 'bob', state: badSeq })).message).toMatch(/state\.epochs\[0\]\.highestSeq must be null or a decimal seq/);
  });

  it('restored sender opens new epoch', () => {
    const { sender } = group(['bob']);
    const before = sender.seal('plant/1', text('1'));
    const restored = new GroupSender({ prefix: PREFIX, groupId: 'g1', sender: 'alice', topics: ['plant/#'], members: ['bob'], state: sender.exportState() });
    const after = restored.seal('plant/1', text('2'));
    expect(after.epochId).not.toBe(before.epochId);
    expect(after.newEpoch).toBe(true);
  });
});

describe('group receive and seal caches', () => {
  /** Epoch keys of the sender's newest epoch, rebuilt from its exported state. */
  function newestKeys(sender: GroupSender) {
    const secret = sender.exportState().epochs.at(-1)?.secret ?? '';
    return deriveEpochKeys(Buffer.from(secret, 'base64url'), PREFIX, 'g1', 'alice');
  }

  it('trimmed epoch stops opening', () => {
    const { sender, clock } = group(['bob']);
    const bob = new GroupReceiver({ prefix: PREFIX, clientId: 'bob', maxEpochsPerGroup: 1 });
    const from = { clientId: 'alice', signingKey: alice.signing.publicKey };
    const first = sender.seal('plant/1', text('old 1'));
    const second = sender.seal('plant/1', text('old 2'));
    for (const message of sender.takeKeyMessages()) bob.ingestKeyMessage(message.topic, message.payload, from);
    expect(read(bob.open('plant/1', first.envelope).plaintext)).toBe('old 1');
    clock.advance(1);
    sender.rotate();
    const next = sender.seal('plant/1', text('new'));
    for (const message of sender.takeKeyMessages()) bob.ingestKeyMessage(message.topic, message.payload, from);
    // The old epoch was the last one opened, and keeping one epoch dropped it.
    expect(errorOf(() => bob.open('plant/1', second.envelope))).toBeInstanceOf(UnknownEpochError);
    expect(bob.tryOpen('plant/1', second.envelope)).toBeUndefined();
    expect(read(bob.open('plant/1', next.envelope).plaintext)).toBe('new');
  });

  it('removed member stops mid-stream', () => {
    const { sender, receiver, deliver } = group(['bob', 'carol']);
    const stream = [sender.seal('plant/1', text('a')), sender.seal('plant/1', text('b'))];
    deliver(sender.takeKeyMessages());
    for (const sealed of stream) expect(receiver('carol').open('plant/1', sealed.envelope).sender).toBe('alice');
    sender.removeMember('carol');
    const after = sender.seal('plant/1', text('bob only'));
    deliver(sender.takeKeyMessages());
    expect(errorOf(() => receiver('carol').open('plant/1', after.envelope))).toBeInstanceOf(UnknownEpochError);
    expect(read(receiver('bob').open('plant/1', after.envelope).plaintext)).toBe('bob only');
  });

  it('checks each new topic', () => {
    const { sender, receiver, deliver } = group(['bob']);
    const one = sender.seal('plant/1', text('one'));
    const two = sender.seal('plant/2', text('two'));
    expect(() => sender.seal('other/1', text('x'))).toThrow(RangeError);
    deliver(sender.takeKeyMessages());
    expect(read(receiver('bob').open('plant/1', one.envelope).plaintext)).toBe('one');
    // The AAD buffer of the last topic must not leak into the next one.
    expect(errorOf(() => receiver('bob').open('plant/1', two.envelope))).toBeInstanceOf(DecryptionError);
    expect(read(receiver('bob').open('plant/2', two.envelope).plaintext)).toBe('two');
    // A member can seal with the epoch key on any topic, but receivers still check the filters.
    const outside = sealGroup(nobleProvider, newestKeys(sender), 50n, 'other/1', text('outside'));
    expect((errorOf(() => receiver('bob').open('other/1', outside)) as KeyRecordError).reason).toBe('wrong-topic');
  });

  it('sender bytes match sealGroup', () => {
    const { sender } = group(['bob'], { signer: alice.signing });
    const sealed = [0, 1, 2].map((index) => sender.seal(`plant/${index}`, text(`message ${index}`)));
    const keys = newestKeys(sender);
    sealed.forEach((message, index) => {
      const expected = sealGroup(nobleProvider, keys, BigInt(index), `plant/${index}`, text(`message ${index}`), alice.signing);
      expect(Buffer.from(message.envelope).equals(Buffer.from(expected))).toBe(true);
      expect(message.seq).toBe(BigInt(index));
    });
  });

  it('pooled bytes stay intact', () => {
    const { sender, receiver, deliver } = group(['bob']);
    const payloads = Array.from({ length: 40 }, (_, index) => new Uint8Array(1000).fill(index));
    const sealed = payloads.map((payload) => sender.seal('plant/1', payload).envelope);
    deliver(sender.takeKeyMessages());
    const opened = sealed.map((envelope) => receiver('bob').open('plant/1', envelope).plaintext);
    // Read only after all were opened: a reused block would have overwritten earlier plaintexts.
    opened.forEach((plaintext, index) => expect(Buffer.from(plaintext).equals(Buffer.from(payloads[index] as Uint8Array))).toBe(true));
  });

  it('opens seqs above 2^32 and 2^53', () => {
    const { sender, receiver, deliver } = group(['bob']);
    sender.seal('plant/1', text('start'));
    deliver(sender.takeKeyMessages());
    const keys = newestKeys(sender);
    for (const seq of [2n ** 32n + 3n, 2n ** 60n, 2n ** 60n - 5n]) {
      const envelope = sealGroup(nodeProvider, keys, seq, 'plant/1', text(`seq ${seq}`));
      const opened = receiver('bob').open('plant/1', envelope);
      expect(opened.seq).toBe(seq);
      expect(read(opened.plaintext)).toBe(`seq ${seq}`);
      expect((errorOf(() => receiver('bob').open('plant/1', envelope)) as ReplayError).code).toBe('ERR_DUPLICATE');
    }
    const saved = receiver('bob').exportState().epochs.at(-1);
    expect(saved?.highestSeq).toBe((2n ** 60n).toString());
    expect(() => sealGroup(nobleProvider, keys, 2n ** 64n, 'plant/1', text('x'))).toThrow(RangeError);
    expect(() => sealGroup(nobleProvider, keys, -1, 'plant/1', text('x'))).toThrow(RangeError);
  });
});
