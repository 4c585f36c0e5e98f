/**
 * Cost of starting a group epoch: the sender's new epoch with its first message, one key message
 * per member sealed in the member's direct session, and the member's install of the epoch keys.
 */
import { EnvelopeOpener, EnvelopeSealer, generateKeyPair, type CryptoProvider } from '@mqtt-e2ee/envelope';
import { generateSigningKeyPair, GroupReceiver, GroupSender } from '@mqtt-e2ee/key-exchange';
import { measureRate, type RateOptions } from './timing.js';

export interface EpochRow {
  provider: string;
  /** GroupSender.rotate and the first message of the new epoch (epoch secret and key schedule). */
  sender_epoch_us: number;
  /** One member's key message: built and sealed in the member's existing direct session. */
  key_message_per_member_us: number;
  /** A member opening the key message envelope and installing the epoch keys. */
  member_install_us: number;
}

const PREFIX = 'bench/v1';
const TOPIC = 'bench/group/topic';
const BATCH = 16;

export function measureEpochs(provider: CryptoProvider, options: RateOptions): EpochRow {
  const publisherKeys = generateKeyPair(provider);
  const memberKeys = generateKeyPair(provider);
  const signing = generateSigningKeyPair(provider);
  const plaintext = new Uint8Array(64);
  const base = { prefix: PREFIX, groupId: 'bench', sender: 'publisher', topics: ['bench/group/#'], members: ['member'], provider };

  const epochSender = new GroupSender(base);
  const senderRate = measureRate(() => {
    for (let i = 0; i < BATCH; i++) {
      epochSender.rotate();
      epochSender.seal(TOPIC, plaintext);
      epochSender.takeKeyMessages();
    }
  }, BATCH, options);

  // Key messages travel in direct envelopes; the member's session already exists. The messages
  // are built before the timer starts, so only the sealing is timed.
  const sealer = new EnvelopeSealer({ identity: publisherKeys, provider });
  const keySender = new GroupSender(base);
  sealer.seal(TOPIC, plaintext, memberKeys.publicKey);
  const nextKeyMessages = (): { topic: string; payload: Uint8Array }[] => {
    const messages: { topic: string; payload: Uint8Array }[] = [];
    for (let i = 0; i < BATCH; i++) {
      keySender.rotate();
      keySender.seal(TOPIC, plaintext);
      messages.push(...keySender.takeKeyMessages());
    }
    return messages;
  };
  let keyMessages: { topic: string; payload: Uint8Array }[] = [];
  const keyMessageRate = measureRate(
    () => {
      for (const message of keyMessages) sealer.seal(message.topic, message.payload, memberKeys.publicKey);
    },
    BATCH,
    options,
    () => {
      keyMessages = nextKeyMessages();
    },
  );

  const opener = new EnvelopeOpener({ identities: [memberKeys], resolveSender: () => [publisherKeys.publicKey], provider });
  const from = { clientId: 'publisher', signingKey: signing.publicKey };
  let pending: { topic: string; envelope: Uint8Array }[] = [];
  let receiver: GroupReceiver | undefined;
  const prepare = (): void => {
    pending = nextKeyMessages().map((message) => ({
      topic: message.topic,
      envelope: sealer.seal(message.topic, message.payload, memberKeys.publicKey).slice(),
    }));
    receiver = new GroupReceiver({ prefix: PREFIX, clientId: 'member', provider });
  };
  const installRate = measureRate(() => {
    const current = receiver as GroupReceiver;
    for (const item of pending) current.ingestKeyMessage(item.topic, opener.open(item.topic, item.envelope).plaintext, from);
  }, BATCH, options, prepare);

  return {
    provider: provider.name,
    sender_epoch_us: 1e6 / senderRate,
    key_message_per_member_us: 1e6 / keyMessageRate,
    member_install_us: 1e6 / installRate,
  };
}
