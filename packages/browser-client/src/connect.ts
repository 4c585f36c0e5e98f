/** connectE2ee for browsers: MQTT.js over WebSockets on the shared client core. */
import mqtt from 'mqtt';
import { openE2eeClient, type E2eeClient } from '@mqtt-e2ee/node-client/core';
import { RandomSourceError, WebSocketClosedError } from './errors.js';
import { resolveBrowserKeyExchange, type ResolvedBrowserKeyExchange } from './key-exchange.js';
import {
  checkBrokerUrl,
  checkKeyExchangeCombination,
  resolveBrowserOptions,
  type BrowserConnectOptions,
} from './options.js';
import { IndexedDbReplayStore } from './replay-store.js';
import { closeAndRelease, lockStateDatabase, type StateLock } from './state-lock.js';
import { webSocketFactory } from './transport.js';

/**
 * Connects to the broker at a ws: or wss: URL and resolves once the broker accepts the connection
 * (CONNACK). The API and events are those of @mqtt-e2ee/node-client. Options are checked first:
 * Node-only options raise UnsupportedOptionError. A failed first connection rejects with
 * ConnectError. After that, MQTT.js reconnects every `mqtt.reconnectPeriod` milliseconds, and a
 * WebSocket that closes abnormally is reported as WebSocketClosedError on the 'error' event.
 */
export async function connectE2ee(
  brokerUrl: string,
  opts: BrowserConnectOptions,
): Promise<E2eeClient> {
  checkRandomSource();
  const shownUrl = checkBrokerUrl(brokerUrl);
  const kx = await prepareKeyExchange(opts);
  let resolved;
  try {
    resolved = resolveBrowserOptions(kx === undefined ? opts : { ...opts, identity: kx.identity });
  } catch (error) {
    await closeAndRelease(kx?.store, kx?.lock);
    throw error;
  }
  if (kx !== undefined) resolved.settings.identity = kx.identity;
  // The client exists only once MQTT.js returns, but closes happen later, so a holder is enough.
  let client: E2eeClient | undefined;
  const onAbnormalClose = (code: number, reason: string): void => {
    resolved.debug(`WebSocket closed with code ${code}`);
    if (client !== undefined && client.listenerCount('error') > 0) {
      client.emit('error', new WebSocketClosedError(code, reason));
    }
  };
  const createWebsocket = webSocketFactory(resolved.webSocket, onAbnormalClose);
  // keyExchange and replayStateDatabase exclude each other, so no key exchange store is open here.
  const replay = await openReplayState(resolved.replayStateDatabase);
  if (replay.store !== undefined) resolved.settings.replayStore = replay.store;
  // Each lock is released only after its store closed, so the next owner reads the final state.
  let closing: Promise<void> | undefined;
  const closeStore = (): Promise<void> => {
    closing ??= Promise.all([
      closeAndRelease(replay.store, replay.lock).catch((error: unknown) => {
        resolved.debug(`closing the replay state database failed: ${String(error)}`);
      }),
      closeAndRelease(kx?.store, kx?.lock).catch((error: unknown) => {
        resolved.debug(`closing the key exchange database failed: ${String(error)}`);
      }),
    ]).then(() => undefined);
    return closing;
  };
  try {
    client = await openE2eeClient(
      resolved.settings,
      () => mqtt.connect(brokerUrl, { ...resolved.mqtt, createWebsocket }),
      shownUrl,
      {
        log: resolved.debug,
        closeState: closeStore,
        ...(kx !== undefined ? { keyExchange: kx.create } : {}),
      },
    );
  } catch (error) {
    await closeStore();
    throw error;
  }
  // MQTT.js emits 'end' once end() completed, after which no message is opened. The listener
  // also covers a page that calls client.mqtt.end() directly.
  if (replay.store !== undefined || kx?.store !== undefined) {
    client.mqtt.once('end', () => void closeStore());
  }
  return client;
}

/**
 * Takes the Web Lock of the replay state database and reads the stored windows before connecting,
 * because the opener loads them synchronously. Returns no store without the option.
 */
async function openReplayState(
  databaseName: string | undefined,
): Promise<{ store: IndexedDbReplayStore | undefined; lock: StateLock | undefined }> {
  if (databaseName === undefined) return { store: undefined, lock: undefined };
  const lock = await lockStateDatabase('replay', databaseName, 'opts.replayStateDatabase');
  try {
    return { store: await IndexedDbReplayStore.open({ databaseName }), lock };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/** Checks and resolves opts.keyExchange, opening its database; undefined without the option. */
async function prepareKeyExchange(opts: BrowserConnectOptions): Promise<ResolvedBrowserKeyExchange | undefined> {
  const record = opts as unknown as Record<string, unknown>;
  if (typeof opts !== 'object' || opts === null || record['keyExchange'] === undefined) return undefined;
  checkKeyExchangeCombination(record);
  const provider = record['provider'] as Parameters<typeof resolveBrowserKeyExchange>[2];
  return resolveBrowserKeyExchange(record['keyExchange'], record['identity'], provider);
}

/**
 * Throws RandomSourceError unless crypto.getRandomValues exists. It is the only Web Crypto
 * function the client needs, so pages without crypto.subtle (plain http from another host) work.
 */
function checkRandomSource(): void {
  const source = (globalThis as { crypto?: Partial<Crypto> }).crypto;
  if (typeof source?.getRandomValues !== 'function') throw new RandomSourceError();
}
