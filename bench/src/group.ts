/**
 * Group mode link: the publisher encrypts each message once for the group with a sender key per
 * epoch (E2eeClient.group), and the member receives it through key exchange. Members find each
 * other through announcements endorsed by a throwaway anchor, so each run sets up key files in
 * a temporary directory and clears its retained key-exchange messages at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CryptoProvider } from '@mqtt-e2ee/envelope';
import { encodeAnchorPublicKey, encodeEndorsement, endorseKey, generateAnchor } from '@mqtt-e2ee/key-exchange';
import { loadOrCreateDeviceIdentity } from '@mqtt-e2ee/key-exchange/fs';
import { connectE2ee, E2eeClient } from '@mqtt-e2ee/node-client';
import { connectAsync } from 'mqtt';
import type { Link } from './flow.js';
import type { LinkContext, LinkFactory } from './links.js';

export interface GroupMode {
  /** Link factory, or undefined when group mode cannot be measured in this build. */
  factory: LinkFactory | undefined;
  /** Description of the group rows, or the reason they are not measured. */
  note: string;
}

/** How long the publisher waits for the member's key announcement. */
const DISCOVERY_TIMEOUT_MS = 10_000;

/** Returns the group mode link when E2eeClient has group(), or a note that explains its absence. */
export function loadGroupMode(provider: CryptoProvider): GroupMode {
  if (typeof (E2eeClient.prototype as Partial<E2eeClient>).group !== 'function') {
    return { factory: undefined, note: 'not yet measured: E2eeClient.group() does not exist in this build' };
  }
  return {
    factory: (context) => openGroupLink(context, provider),
    note: 'E2eeClient.group() with one member: one sender-key envelope per message, unsigned, key exchange by anchor endorsement',
  };
}

interface Provisioned {
  dir: string;
  prefix: string;
  publisherId: string;
  memberId: string;
}

async function provision(provider: CryptoProvider): Promise<Provisioned> {
  const dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-bench-group-'));
  const run = randomBytes(5).toString('hex');
  const prefix = `mqtt-e2ee-bench-kx-${run}/v1`;
  const anchor = generateAnchor();
  await writeFile(join(dir, 'anchor.pub'), `${encodeAnchorPublicKey(anchor.publicKey)}\n`);
  const publisherId = `bench-pub-${run}`;
  const memberId = `bench-sub-${run}`;
  for (const clientId of [publisherId, memberId]) {
    const device = await loadOrCreateDeviceIdentity(join(dir, clientId), provider);
    const now = Date.now();
    const endorsement = endorseKey(anchor, { prefix, clientId, device, validFrom: now - 60_000, validUntil: now + 3_600_000 });
    await writeFile(join(dir, `${clientId}.endorsement.json`), encodeEndorsement(endorsement));
  }
  return { dir, prefix, publisherId, memberId };
}

async function connectMember(url: string, setup: Provisioned, clientId: string, provider: CryptoProvider): Promise<E2eeClient> {
  return connectE2ee(url, {
    identity: join(setup.dir, `${clientId}.key`),
    provider,
    keyExchange: {
      clientId,
      policy: 'anchor',
      prefix: setup.prefix,
      anchors: [join(setup.dir, 'anchor.pub')],
      endorsements: [join(setup.dir, `${clientId}.endorsement.json`)],
    },
    mqtt: { reconnectPeriod: 0, clientId: `${clientId}-${randomBytes(3).toString('hex')}` },
  });
}

async function waitForPeer(client: E2eeClient, clientId: string): Promise<void> {
  const deadline = Date.now() + DISCOVERY_TIMEOUT_MS;
  while (client.keyExchange?.directory.has(clientId) !== true) {
    if (Date.now() > deadline) throw new Error(`group setup timed out: no key announcement of ${clientId} within ${DISCOVERY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Deletes every retained message under the run's key-exchange prefix. */
async function clearRetained(url: string, prefix: string): Promise<void> {
  const cleaner = await connectAsync(url, { reconnectPeriod: 0, clientId: `bench-clean-${randomBytes(4).toString('hex')}` });
  const topics = new Set<string>();
  cleaner.on('message', (topic, payload, packet) => {
    if (packet.retain && payload.length > 0) topics.add(topic);
  });
  await cleaner.subscribeAsync(`${prefix}/#`, { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const topic of topics) await cleaner.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
  await cleaner.endAsync();
}

async function openGroupLink({ brokerUrl, topic, qos, sink }: LinkContext, provider: CryptoProvider): Promise<Link> {
  const setup = await provision(provider);
  const [publisher, member] = await Promise.all([
    connectMember(brokerUrl, setup, setup.publisherId, provider),
    connectMember(brokerUrl, setup, setup.memberId, provider),
  ]);
  member.on('message', (message) => sink.receive(message.payload));
  member.on('decrypt-error', (error) => sink.fail(error));
  await member.subscribe(topic, { qos });
  await waitForPeer(publisher, setup.memberId);
  const group = publisher.group({ groupId: 'bench', topics: [topic], members: [setup.memberId] });
  let pending = 0;
  let waiters: Array<() => void> = [];
  const settle = (): void => {
    pending--;
    if (pending === 0) for (const wake of waiters.splice(0)) wake();
  };
  const options = { qos };
  return {
    send(payload: Uint8Array) {
      pending++;
      group.publish(topic, payload, options).then(settle, (error: unknown) => {
        sink.fail(error);
        settle();
      });
    },
    drain: () => (pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    close: async () => {
      await Promise.all([publisher.end(), member.end()]);
      await clearRetained(brokerUrl, setup.prefix);
      await rm(setup.dir, { recursive: true, force: true });
      waiters = [];
    },
  };
}
