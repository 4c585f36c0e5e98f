/** Sequence cases: replay window, duplicates from MQTT redelivery, sessions and restarts. */
import { BASE_SEAL } from './seal-cases.js';
import { flip, ikm, pk, sealOk, sk } from './context.js';
import type { SequenceInput, SequenceStep, VectorCase } from './format.js';
import { utf8Hex } from './hex.js';
import { runSequence } from './run.js';

const TOPIC = 'plant/line-1/state';

/** Envelope of message `seq` in session `session` from Alice to Bob. */
function message(session: string, seq: bigint | number, topic = TOPIC, recipient: 'bob' | 'bobNext' = 'bob'): string {
  return sealOk({
    ...BASE_SEAL,
    recipientPublicKey: pk(recipient),
    ikmE: ikm(`sequence ${session} ${recipient}`),
    seq: seq.toString(),
    topic,
    plaintext: utf8Hex(`${session}:${seq}`),
  }).envelope;
}

const open = (envelope: string, topic = TOPIC): SequenceStep => ({ action: 'open', topic, envelope });
const restart: SequenceStep = { action: 'restart' };
const at = (seq: bigint | number, session = 'a') => open(message(session, seq));

function sequenceCase(id: string, description: string, steps: SequenceStep[], replayWindow?: number, keys = [sk('bob')]): VectorCase {
  const input: SequenceInput = { recipientSecretKeys: keys, senderPublicKeys: [pk('alice')], steps };
  if (replayWindow !== undefined) input.replayWindow = replayWindow;
  return { id: `sequence/${id}`, op: 'sequence', description, input, expected: runSequence(input) };
}

function mqttDuplicateCases(): VectorCase[] {
  return [
    sequenceCase('in-order', 'Messages 0 to 4 in order are all accepted.', [0, 1, 2, 3, 4].map((seq) => at(seq))),
    sequenceCase('qos1-redelivery', 'QoS 1 redelivers message 1 with the DUP flag: the copy is a duplicate.', [at(0), at(1), at(1), at(2)]),
    sequenceCase('overlapping-subscriptions', "Subscriptions 'plant/+/state' and 'plant/line-1/state' deliver each message twice.", [at(0), at(0), at(1), at(1)]),
    sequenceCase('retained-resubscribe', 'The retained message 0 arrives again after a new SUBSCRIBE.', [at(0), at(1), at(2), at(0)]),
    sequenceCase('out-of-order', 'Loss and reordering: 5, 2, 9, then copies and late messages.', [at(5), at(2), at(9), at(5), at(0), at(9)]),
  ];
}

function windowCases(): VectorCase[] {
  const tampered = (seq: number) => open(flip(message('a', seq), 70, 0x01));
  return [
    sequenceCase('window-edge', 'Window 4: after 9, seq 6 is inside and seq 5 outside the window.', [at(9), at(6), at(5), at(6), at(10), at(6), at(7)], 4),
    sequenceCase('tampered-duplicate', 'A modified copy of an accepted message fails authentication; it is no duplicate.', [at(0), tampered(0), at(0)]),
    sequenceCase('tampered-too-old', 'Window 4: a modified message older than the window is rejected before decryption.', [at(9), tampered(1)], 4),
    sequenceCase('forgery-leaves-no-state', 'A failed first message creates no session; the real message then opens.', [tampered(0), at(0)]),
    sequenceCase('other-topic-after-accept', 'An accepted envelope received on another topic fails authentication.', [at(0), open(message('a', 0), 'plant/line-2/state'), at(0)]),
    sequenceCase('seq-edges', 'The last sequence numbers of the uint64 space, then seq 0 far below the window.', [
      at(2n ** 64n - 1n),
      at(2n ** 64n - 2n),
      at(2n ** 64n - 1n),
      at(0),
    ]),
    sequenceCase('bad-padding-uses-seq', 'A message with the padding flag and no 0x80 marker uses its seq: its exact copy is a duplicate.', [
      open(sealOk({ ...BASE_SEAL, ikmE: ikm('sequence bad-padding'), topic: TOPIC, plaintext: '00'.repeat(16), extraFlags: 0x01 }).envelope),
      open(sealOk({ ...BASE_SEAL, ikmE: ikm('sequence bad-padding'), topic: TOPIC, plaintext: '00'.repeat(16), extraFlags: 0x01 }).envelope),
    ]),
    sequenceCase('jump-2^32', 'A jump from 0 to 2^32 slides the window past 0.', [at(0), at(2n ** 32n), at(1), at(2n ** 32n - 1n)]),
  ];
}

function sessionCases(): VectorCase[] {
  return [
    sequenceCase('new-session-known-sender', 'Alice starts session b; late messages of session a still open.', [
      at(0, 'a'),
      at(1, 'a'),
      at(0, 'b'),
      at(1, 'b'),
      at(2, 'a'),
      at(0, 'b'),
      at(1, 'a'),
    ]),
    sequenceCase('rotated-recipient-keys', 'Sessions to both of Bob\'s keys use the same seq numbers independently.', [
      at(0),
      open(message('a', 0, TOPIC, 'bobNext')),
      open(message('a', 0, TOPIC, 'bobNext')),
      at(0),
    ], undefined, [sk('bob'), sk('bobNext')]),
    sequenceCase('restart', 'The receiver restarts twice with persisted replay state.', [
      at(0),
      at(1),
      at(2),
      restart,
      at(2),
      at(3),
      at(1),
      restart,
      at(3),
      at(4),
      at(0),
    ]),
    sequenceCase('restart-window', 'Window 4 after a restart: old messages stay rejected, unseen ones inside the window open.', [
      at(9),
      at(7),
      restart,
      at(3),
      at(7),
      at(8),
      at(9),
      at(10),
    ], 4),
    sequenceCase('restart-new-session', 'After a restart a new session of the sender opens at seq 0.', [at(0), at(1), restart, at(0, 'c'), at(1), at(0)]),
  ];
}

export function sequenceCases(): VectorCase[] {
  return [...mqttDuplicateCases(), ...windowCases(), ...sessionCases()];
}
