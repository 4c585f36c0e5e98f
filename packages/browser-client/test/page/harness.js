// Page-side helpers for the browser tests. The tests call window.harness through page.evaluate,
// so that each scenario is a few short calls and the page keeps the clients between them.
const clients = new Map();

/** Hex of at most the first 4096 bytes, for byte-exact comparison of small payloads. */
function hex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function sha256Hex(bytes) {
  if (globalThis.crypto?.subtle === undefined) return undefined;
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

async function summarize(message) {
  const { payload } = message;
  return {
    topic: message.topic,
    length: payload.length,
    hex: payload.length <= 4096 ? hex(payload) : undefined,
    sha256: await sha256Hex(payload),
    senderKeyId: message.sender.keyId,
    retain: message.retain,
    qos: message.qos,
    seq: String(message.seq),
    senderClientId: message.sender.clientId,
    group: message.group,
  };
}

/**
 * A WebSocket double that wraps a real WebSocket and hands incoming bytes over in every form a
 * browser or polyfill may use. The forms are Blob, Uint8Array and DataView views at an offset
 * inside a larger buffer with other bytes around them, and plain ArrayBuffers. It also splits
 * frames into parts and merges a frame into the next one. It counts what it did, so the tests can
 * check that every path ran.
 */
class OddFramesWebSocket extends EventTarget {
  static stats = { blob: 0, uint8View: 0, dataView: 0, arrayBuffer: 0, split: 0, merged: 0 };
  CONNECTING = 0;
  OPEN = 1;
  CLOSING = 2;
  CLOSED = 3;
  #inner;
  #heldBack = undefined;
  #count = 0;

  constructor(url, protocols) {
    super();
    this.#inner = new WebSocket(url, protocols);
    this.#inner.binaryType = 'arraybuffer';
    for (const type of ['open', 'error']) {
      this.#inner.addEventListener(type, () => this.dispatchEvent(new Event(type)));
    }
    this.#inner.addEventListener('close', (event) => {
      this.#flush();
      this.dispatchEvent(new CloseEvent('close', { code: event.code, reason: event.reason }));
    });
    this.#inner.addEventListener('message', (event) => this.#receive(new Uint8Array(event.data)));
  }

  get readyState() {
    return this.#inner.readyState;
  }
  get bufferedAmount() {
    return this.#inner.bufferedAmount;
  }
  get binaryType() {
    return 'blob';
  }
  set binaryType(_value) {}
  send(data) {
    this.#inner.send(data);
  }
  close(code, reason) {
    this.#inner.close(code, reason);
  }

  #receive(bytes) {
    this.#count++;
    let data = bytes;
    if (this.#heldBack !== undefined) {
      data = new Uint8Array(this.#heldBack.length + bytes.length);
      data.set(this.#heldBack);
      data.set(bytes, this.#heldBack.length);
      this.#heldBack = undefined;
      OddFramesWebSocket.stats.merged++;
    } else if (this.#count % 4 === 0) {
      // Delays this frame and delivers it together with the next one.
      this.#heldBack = bytes;
      setTimeout(() => this.#flush(), 20);
      return;
    }
    this.#deliver(data);
  }

  #flush() {
    if (this.#heldBack === undefined) return;
    const delayedFrame = this.#heldBack;
    this.#heldBack = undefined;
    this.#deliver(delayedFrame);
  }

  #deliver(bytes) {
    if (bytes.length >= 8 && this.#count % 2 === 0) {
      // Three parts in one go, the first as a Blob: a Blob is read asynchronously, so the views
      // after it would overtake it unless the client keeps frames in order.
      OddFramesWebSocket.stats.split++;
      const first = 1 + (this.#count % Math.floor(bytes.length / 2));
      const second = first + 1 + Math.floor((bytes.length - first) / 3);
      this.#emit(bytes.subarray(0, first), 0);
      this.#emit(bytes.subarray(first, second), 1);
      this.#emit(bytes.subarray(second), 2);
    } else {
      this.#emit(bytes, this.#count);
    }
  }

  #emit(bytes, turn) {
    const kind = turn % 4;
    let data;
    if (kind === 0) {
      OddFramesWebSocket.stats.blob++;
      data = new Blob([bytes]);
    } else if (kind === 1 || kind === 2) {
      // Places the bytes at an odd offset in a larger buffer filled with 0xEE around them.
      const backing = new Uint8Array(bytes.length + 13).fill(0xee);
      backing.set(bytes, 5);
      if (kind === 1) {
        OddFramesWebSocket.stats.uint8View++;
        data = backing.subarray(5, 5 + bytes.length);
      } else {
        OddFramesWebSocket.stats.dataView++;
        data = new DataView(backing.buffer, 5, bytes.length);
      }
    } else {
      OddFramesWebSocket.stats.arrayBuffer++;
      data = bytes.slice().buffer;
    }
    this.dispatchEvent(new MessageEvent('message', { data }));
  }
}

function record(name) {
  const entry = clients.get(name);
  if (entry === undefined) throw new Error(`no client named ${name}`);
  return entry;
}

async function resolveIdentity(identity) {
  const { BrowserKeyStore, generateKeyPair } = window.e2ee;
  if (identity === undefined) return generateKeyPair();
  if (identity.stored !== undefined) {
    const store = await BrowserKeyStore.open();
    try {
      return await store.loadOrCreateIdentity(identity.stored);
    } finally {
      store.close();
    }
  }
  return identity.secretKeyText;
}

window.harness = {
  OddFramesWebSocket,

  /** Connects a client and records its events under `name`; returns its public key text. */
  async connect(name, url, options = {}) {
    const { connectE2ee } = window.e2ee;
    const entry = { messages: [], errors: [], deletes: [], duplicates: [], events: [], keyEvents: [], client: undefined };
    // With key exchange the identity comes from its state database and peers from discovery.
    const keys =
      options.keyExchange !== undefined
        ? { keyExchange: options.keyExchange }
        : { identity: await resolveIdentity(options.identity), peers: options.peers ?? [] };

    const client = await connectE2ee(url, {
      ...keys,
      mqtt: { reconnectPeriod: 200, connectTimeout: 5000, ...options.mqtt },
      ...(options.oddFrames ? { webSocket: OddFramesWebSocket } : {}),
      ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {}),
      ...(options.replayStateDatabase ? { replayStateDatabase: options.replayStateDatabase } : {}),
    });
    entry.client = client;

    client.on('message', (message) => entry.messages.push(summarize(message)));
    client.on('decrypt-error', (error) =>
      entry.errors.push({ topic: error.topic, code: error.code, name: error.name }),
    );
    client.on('key', (event) => entry.keyEvents.push({ type: event.type, clientId: event.clientId }));
    client.on('retained-delete', (deleted) => entry.deletes.push(deleted.topic));
    client.on('duplicate', (duplicate) =>
      entry.duplicates.push({ ...duplicate, seq: String(duplicate.seq) }),
    );
    for (const event of ['connect', 'reconnect', 'offline', 'close']) {
      client.on(event, () => entry.events.push(event));
    }
    client.on('error', (error) =>
      entry.events.push(`error:${error.code ?? error.message}:${error.closeCode ?? ''}`),
    );

    clients.set(name, entry);
    return client.publicKeyText;
  },

  /** Calls connect and returns what it rejected with, or 'resolved' with the client kept under `name`. */
  async connectFailure(name, url, options = {}) {
    try {
      await window.harness.connect(name, url, options);
      return 'resolved';
    } catch (error) {
      const { code, option, databaseName, message } = error;
      return { name: error.name, code, option, databaseName, message };
    }
  },

  /** Returns the names of the Web Locks held in this origin. */
  async heldLocks() {
    const snapshot = await navigator.locks.query();
    return snapshot.held.map((lock) => lock.name);
  },

  /** Returns the public keys of the device identity in a key exchange database, as hex. */
  async deviceKeys(databaseName) {
    const identity = await window.e2ee.loadOrCreateDeviceIdentity(databaseName);
    return { encryptionKey: hex(identity.publicKey), signingKey: hex(identity.signing.publicKey) };
  },

  /**
   * Waits until the wall clock reaches `startAt` (milliseconds since the epoch), then loads or
   * creates the device identity, so that several pages start at the same moment.
   */
  async deviceKeysAt(databaseName, startAt) {
    while (Date.now() < startAt - 20) await new Promise((resolve) => setTimeout(resolve, 5));
    while (Date.now() < startAt) {
      // Spins for the last milliseconds, because timers may fire late.
    }
    return window.harness.deviceKeys(databaseName);
  },

  /** Rotates the key of a key exchange client and returns its key ids before and after. */
  async rotateKey(name) {
    const client = record(name).client;
    const before = client.keyExchange.local.keyId;
    await client.rotateKey();
    return { before, after: client.keyExchange.local.keyId };
  },

  /** Returns the key id that the client's key exchange holds for the peer `clientId`. */
  async peerKeyId(name, clientId) {
    return (await record(name).client.peer(clientId)).keyId;
  },

  /** Waits until the client has seen a key event of `type` about `clientId`; returns all key events. */
  async waitForKeyEvent(name, type, clientId, timeoutMs = 15000) {
    const entry = record(name);
    const deadline = Date.now() + timeoutMs;
    const seen = () => entry.keyEvents.some((event) => event.type === type && event.clientId === clientId);
    while (!seen()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for key event ${type} of ${clientId}; events ${JSON.stringify(entry.keyEvents)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return entry.keyEvents;
  },

  /** Returns the client ids of the peers in the saved key exchange state. */
  async storedKxPeers(databaseName) {
    const store = await window.e2ee.IndexedDbKeyExchangeStore.open({ databaseName });
    try {
      const state = await store.readState();
      return Object.keys(state?.directory?.peers ?? {});
    } finally {
      await store.close();
    }
  },

  /** Publishes text once to the group `groupId`, creating it with `members` on first use. */
  async groupPublish(name, groupId, topics, members, topic, text) {
    const group = record(name).client.group({ groupId, topics, members });
    await group.publish(topic, new TextEncoder().encode(text), { qos: 1 });
    return group.members();
  },

  async groupRemove(name, groupId, member) {
    const group = record(name).client.group({ groupId, topics: [], members: [] });
    await group.removeMember(member);
    return group.members();
  },

  async subscribe(name, filter, qos = 1) {
    const grants = await record(name).client.subscribe(filter, { qos });
    return grants.map((grant) => grant.qos);
  },

  /** Publishes text, or `length` random bytes (returning their SHA-256), to `to`. */
  async publish(name, topic, to, { text, randomLength, qos = 1 } = {}) {
    let payload = text;
    let digest;
    if (randomLength !== undefined) {
      payload = new Uint8Array(randomLength);
      for (let offset = 0; offset < randomLength; offset += 65536) {
        crypto.getRandomValues(payload.subarray(offset, Math.min(offset + 65536, randomLength)));
      }
      digest = await sha256Hex(payload);
    }
    await record(name).client.publish(topic, payload, { to, qos });
    return digest;
  },

  /**
   * Publishes the same bytes as a Blob, an ArrayBuffer, a DataView and a Uint16Array at an offset
   * in a larger buffer, one topic each, and returns the hex of the bytes that should arrive.
   */
  async publishForms(name, prefix, to) {
    const backing = new Uint8Array(64).map((_, i) => (i * 53 + 7) & 0xff);
    const bytes = backing.subarray(6, 38);
    const forms = {
      blob: new Blob([bytes.subarray(0, 10), bytes.subarray(10)]),
      arrayBuffer: bytes.slice().buffer,
      dataView: new DataView(backing.buffer, 6, 32),
      uint16: new Uint16Array(backing.buffer, 6, 16),
    };
    for (const [form, payload] of Object.entries(forms)) {
      await record(name).client.publish(`${prefix}/${form}`, payload, { to, qos: 1 });
    }
    return hex(bytes);
  },

  /** Returns what publish rejected with: its class name and code, or 'resolved'. */
  async publishError(name, topic, to, length, qos = 1) {
    try {
      await record(name).client.publish(topic, new Uint8Array(length), { to, qos });
      return 'resolved';
    } catch (error) {
      return { name: error.name, code: error.code, direction: error.direction, limit: error.limit };
    }
  },

  /** Waits until `count` messages on topics starting with `prefix` arrived, and returns them. */
  async messages(name, prefix, count, timeoutMs = 15000) {
    const entry = record(name);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const summaries = await Promise.all(entry.messages);
      const matching = summaries.filter((message) => message.topic.startsWith(prefix));
      if (matching.length >= count) return matching;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out with ${matching.length} of ${count} messages on ${prefix}; errors ${JSON.stringify(entry.errors)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  },

  /** Waits until `count` decrypt-errors on `prefix` arrived, and returns them. */
  async errors(name, prefix, count, timeoutMs = 15000) {
    const entry = record(name);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = entry.errors.filter((error) => error.topic.startsWith(prefix));
      if (matching.length >= count) return matching;
      if (Date.now() > deadline)
        throw new Error(`timed out with ${matching.length} of ${count} errors on ${prefix}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  },

  /** Waits until `count` dropped duplicates on `prefix` arrived, and returns them. */
  async duplicates(name, prefix, count, timeoutMs = 15000) {
    const entry = record(name);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = entry.duplicates.filter((duplicate) => duplicate.topic.startsWith(prefix));
      if (matching.length >= count) return matching;
      if (Date.now() > deadline)
        throw new Error(`timed out with ${matching.length} of ${count} duplicates on ${prefix}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  },

  /** Returns the client's counters of incoming messages. */
  stats(name) {
    return record(name).client.stats;
  },

  /** Waits until the client has seen `event` at least `count` times; returns the event log. */
  async waitForEvent(name, event, count, timeoutMs = 15000) {
    const entry = record(name);
    const deadline = Date.now() + timeoutMs;
    while (entry.events.filter((seen) => seen.startsWith(event)).length < count) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${event}; events ${entry.events.join(',')}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return entry.events;
  },

  /** Loads or creates a stored identity and returns its public key text. */
  async storedIdentity(identityName) {
    const store = await window.e2ee.BrowserKeyStore.open();
    try {
      const pair = await store.loadOrCreateIdentity(identityName);
      return window.e2ee.publicKeyText(pair);
    } finally {
      store.close();
    }
  },

  /** Lists stored identities as the key store returns them. */
  async listIdentities() {
    const store = await window.e2ee.BrowserKeyStore.open();
    try {
      return await store.listIdentities();
    } finally {
      store.close();
    }
  },

  /** Returns the page's random-source and global state relevant to the bundle. */
  environment() {
    return {
      subtle: typeof globalThis.crypto?.subtle,
      getRandomValues: typeof globalThis.crypto?.getRandomValues,
      buffer: typeof globalThis.Buffer,
      process: typeof globalThis.process,
      secureContext: globalThis.isSecureContext,
    };
  },

  oddFrameStats() {
    return { ...OddFramesWebSocket.stats };
  },

  /** Publishes a zero-length retained message to delete the retained message of `topic`. */
  async clearRetained(name, topic) {
    await record(name).client.clearRetained(topic, { qos: 1 });
  },

  deletes(name) {
    return record(name).deletes;
  },

  events(name) {
    return record(name).events;
  },

  connected(name) {
    return record(name).client.mqtt.connected;
  },

  async end(name) {
    const entry = clients.get(name);
    clients.delete(name);
    await entry?.client.end(true);
  },

  async endAll() {
    await Promise.all([...clients.keys()].map((name) => window.harness.end(name)));
  },

  /** Calls connectE2ee with `options` and returns the error's name, code and option. */
  async connectError(url, options) {
    try {
      const client = await window.e2ee.connectE2ee(url, {
        identity: window.e2ee.generateKeyPair(),
        ...options,
      });
      await client.end(true);
      return 'resolved';
    } catch (error) {
      return { name: error.name, code: error.code, option: error.option, message: error.message };
    }
  },
};
