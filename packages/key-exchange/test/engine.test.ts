/**
 * KeyExchange with a recording transport, to control the order in which records arrive: orders
 * that a real broker produces only by chance.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  GROUP_WINDOW_SAVE_DELAY_MS,
  KeyChangedError,
  createAnnouncement,
  createKeyExchange,
  encodeAnnouncement,
  generateDeviceIdentity,
  type KeyEvent,
  type KeyExchange,
  type KeyExchangeTransport,
  type ReceiveOutcome,
} from '../src/index.js';

interface Published {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly retain: boolean;
}

function recorder(codes: (filter: string) => number = () => 1) {
  const published: Published[] = [];
  const transport: KeyExchangeTransport = {
    publish: async (topic, payload, { retain }) => {
      published.push({ topic, payload, retain });
    },
    subscribe: async (filters) => filters.map(codes),
  };
  return { published, transport };
}

function client(clientId: string, transport: KeyExchangeTransport, policy: 'tofu' | 'insecure' = 'tofu'): KeyExchange<undefined> {
  return createKeyExchange({ clientId, identity: generateDeviceIdentity(), policy, transport, discoveryTimeoutMs: 200 });
}

/** Delivers every recorded message to `to` and returns the outcomes. */
function deliver(to: KeyExchange<undefined>, messages: readonly Published[]): ReceiveOutcome<undefined>[] {
  return messages.map((m) => to.receive(m.topic, m.payload, undefined));
}

/** Starts alice and bob on recording transports; alice has read bob's announcement. */
async function startPair() {
  const aliceSide = recorder();
  const bobSide = recorder();
  const alice = client('alice', aliceSide.transport);
  const bob = client('bob', bobSide.transport);
  await alice.start();
  await bob.start();
  deliver(alice, bobSide.published);
  return { aliceSide, bobSide, alice, bob };
}

describe('key exchange engine', () => {
  it('holds key message until announcement', async () => {
    const { aliceSide, alice, bob } = await startPair();
    const group = alice.group({ groupId: 'g', topics: ['data/#'], members: ['bob'] });
    const envelope = await group.seal('data/1', new TextEncoder().encode('late keys'));
    const inbox = aliceSide.published.filter((m) => m.topic.includes('/inbox/'));
    expect(inbox).toHaveLength(1);
    expect(inbox[0]?.retain).toBe(true);
    const late: ReceiveOutcome<undefined>[] = [];
    bob.onLateMessage = (outcome) => late.push(outcome);
    // Bob gets the group message first, then the key message, then Alice's announcement.
    expect(bob.receive('data/1', envelope, undefined).kind).toBe('pending');
    deliver(bob, inbox);
    expect(late).toHaveLength(0);
    deliver(bob, aliceSide.published.filter((m) => m.topic.endsWith('/keys/alice')));
    expect(late).toHaveLength(1);
    const outcome = late[0];
    expect(outcome?.kind).toBe('message');
    if (outcome?.kind === 'message') {
      expect(new TextDecoder().decode(outcome.message.plaintext)).toBe('late keys');
      expect(outcome.message.sender).toBe('alice');
    }
  });

  it('raises alarm on key change', async () => {
    const side = recorder();
    const alice = client('alice', side.transport);
    const bob = client('bob', recorder().transport);
    await alice.start();
    const events: KeyEvent[] = [];
    bob.events.on('key', (event) => events.push(event));
    deliver(bob, side.published);
    const impostor = generateDeviceIdentity();
    const forged = createAnnouncement({ identity: impostor, prefix: 'e2ee/v1', clientId: 'alice', seq: Date.now() * 2, validFrom: Date.now(), validUntil: Date.now() + 60_000 });
    bob.receive('e2ee/v1/keys/alice', encodeAnnouncement(forged), undefined);
    expect(events.map((e) => e.type)).toEqual(['accepted', 'changed']);
    expect(events[1]?.error).toBeInstanceOf(KeyChangedError);
    await expect(bob.peer('alice')).rejects.toThrow(KeyChangedError);
  });

  it('times out for unknown peer', async () => {
    const bob = client('bob', recorder().transport);
    await bob.start();
    await expect(bob.peer('nobody', 50)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_PEER' });
  });

  it('ignores zero-length records', async () => {
    const side = recorder();
    const alice = client('alice', side.transport);
    const bob = client('bob', recorder().transport);
    await alice.start();
    deliver(bob, side.published);
    expect(bob.receive('e2ee/v1/keys/alice', new Uint8Array(0), undefined).kind).toBe('control');
    expect((await bob.peer('alice')).clientId).toBe('alice');
    expect(bob.receive('data/x', new Uint8Array(0), undefined).kind).toBe('skipped');
  });

  it('skips envelopes for others', async () => {
    const aliceSide = recorder();
    const alice = client('alice', aliceSide.transport);
    const bob = client('bob', recorder().transport);
    const carol = client('carol', recorder().transport);
    await Promise.all([alice.start(), bob.start(), carol.start()]);
    const bobAnnouncement = encodeAnnouncement(bob.local.announcement());
    alice.receive('e2ee/v1/keys/bob', bobAnnouncement, undefined);
    const envelope = await alice.sealFor('bob', 'data/x', new Uint8Array([1]));
    deliver(carol, aliceSide.published);
    expect(carol.receive('data/x', envelope, undefined).kind).toBe('skipped');
    expect(carol.receive('data/x', new Uint8Array([9, 9, 9]), undefined).kind).toBe('error');
  });

  it('saves group replay windows after a delay', async () => {
    const { aliceSide, alice, bob } = await startPair();
    deliver(bob, aliceSide.published);
    const group = alice.group({ groupId: 'g', topics: ['data/#'], members: ['bob'] });
    const envelopes = [];
    for (let i = 0; i < 3; i++) envelopes.push(await group.seal('data/1', Uint8Array.of(i)));
    deliver(bob, aliceSide.published.filter((m) => m.topic.includes('/inbox/')));
    let saves = 0;
    bob.events.on('state', () => saves++);
    vi.useFakeTimers();
    try {
      for (const envelope of envelopes) expect(bob.receive('data/1', envelope, undefined).kind).toBe('message');
      // One save for the burst, once the delay has passed.
      vi.advanceTimersByTime(GROUP_WINDOW_SAVE_DELAY_MS - 1);
      expect(saves).toBe(0);
      vi.advanceTimersByTime(1);
      expect(saves).toBe(1);
      expect(bob.exportState().groupsReceived?.epochs[0]?.highestSeq).toBe('2');
      // flush() saves by itself and cancels a pending delayed save.
      const more = await group.seal('data/1', Uint8Array.of(9));
      expect(bob.receive('data/1', more, undefined).kind).toBe('message');
      await bob.flush();
      vi.advanceTimersByTime(GROUP_WINDOW_SAVE_DELAY_MS);
      expect(saves).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds messages until keys are out', async () => {
    const bobSide = recorder();
    const bob = client('bob', bobSide.transport);
    await bob.start();
    // Alice's transport delays her key messages until the test releases them.
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    const alice = client('alice', {
      publish: async (topic) => {
        if (topic.includes('/inbox/')) await gate;
        order.push(topic);
      },
      subscribe: async (filters) => filters.map(() => 1),
    });
    await alice.start();
    deliver(alice, bobSide.published);
    const group = alice.group({ groupId: 'g', topics: ['data/#'], members: ['bob'] });
    const first = group.prepare('data/1', new Uint8Array([1]));
    const second = group.prepare('data/1', new Uint8Array([2]));
    expect(first.keysDelivered).toBeDefined();
    // The second message is in the same epoch, but its key message is not out yet.
    expect(second.keysDelivered).toBeDefined();
    const sent: number[] = [];
    const both = [first, second].map((prepared, index) => prepared.keysDelivered?.then(() => sent.push(index)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sent).toEqual([]);
    release();
    await Promise.all(both);
    expect(sent).toEqual([0, 1]);
    expect(order.filter((topic) => topic.includes('/inbox/bob/'))).toHaveLength(1);
    expect(group.prepare('data/1', new Uint8Array([3])).keysDelivered).toBeUndefined();
  });

  it('resends group keys after rotation', async () => {
    const aliceSide = recorder();
    const bobSide = recorder();
    const alice = client('alice', aliceSide.transport);
    const bob = client('bob', bobSide.transport);
    await Promise.all([alice.start(), bob.start()]);
    deliver(alice, bobSide.published);
    const group = alice.group({ groupId: 'g', topics: ['data/#'], members: ['bob'] });
    await group.seal('data/1', new Uint8Array([1]));
    const before = aliceSide.published.filter((m) => m.topic.includes('/inbox/')).length;
    await alice.rotate();
    const inbox = aliceSide.published.filter((m) => m.topic.includes('/inbox/'));
    expect(inbox).toHaveLength(before + 1);
    // Bob has only the new announcement, so the resent key message must be sealed with the new key.
    deliver(bob, aliceSide.published.filter((m) => m.topic.endsWith('/keys/alice')).slice(-1));
    const events: KeyEvent[] = [];
    bob.events.on('key', (event) => events.push(event));
    deliver(bob, inbox.slice(-1));
    expect(events.map((e) => e.type)).toEqual(['group-keys']);
  });
});
