/**
 * Types of test-vectors/envelope-v1.json, described for other languages by
 * test-vectors/envelope-v1.schema.json. Byte strings are lowercase hex, sequence numbers decimal
 * strings, topics JSON strings.
 */

/** A mapping entry of a topicMap (spec/envelope-v1.md, "Topics"). */
export interface TopicMappingJson {
  local: string;
  canonical: string;
}

export type PaddingJson = 'none' | 'buckets' | number[];

export interface KeyIdInput {
  publicKey: string;
}

export interface SealInput {
  senderSecretKey: string;
  recipientPublicKey: string;
  /** Input keying material of the ephemeral key (RFC 9180 DeriveKeyPair). */
  ikmE: string;
  seq: string;
  /** Topic as the sender publishes it. With topicMap, the mapped topic is bound. */
  topic: string;
  plaintext: string;
  padding?: PaddingJson;
  topicMap?: TopicMappingJson[];
  maxEnvelopeBytes?: number;
  /** Flag bits set without padding the plaintext, only for building invalid envelopes. */
  extraFlags?: number;
}

export interface SealOutput {
  envelope: string;
  enc: string;
  sharedSecret: string;
  key: string;
  baseNonce: string;
  nonce: string;
  aad: string;
  /** AEAD plaintext including padding. Left out for plaintexts over 4096 bytes. */
  sealedPlaintext?: string;
}

/** Receiver configuration shared by open and sequence cases. */
export interface ReceiverInput {
  recipientSecretKeys: string[];
  /** Trusted sender public keys. The receiver keeps those whose key id matches the header. */
  senderPublicKeys: string[];
  topicMap?: TopicMappingJson[];
  maxEnvelopeBytes?: number;
  /** Replay window size W. Default 1024. */
  replayWindow?: number;
}

export interface OpenInput extends ReceiverInput {
  topic: string;
  envelope: string;
}

export interface OpenOutput {
  plaintext: string;
  senderPublicKey: string;
  senderKeyId: string;
  recipientKeyId: string;
  seq: string;
  sessionId: string;
  boundTopic: string;
  padded: boolean;
}

export type SequenceStep = { action: 'open'; topic: string; envelope: string } | { action: 'restart' };

export interface SequenceInput extends ReceiverInput {
  steps: SequenceStep[];
}

export type SequenceResult = { seq: string; plaintext: string } | { error: string } | { restarted: true };

export interface SequenceOutput {
  results: SequenceResult[];
}

export interface ClassifyInput {
  payload: string;
}

export interface CanonicalTopicInput {
  topic: string;
  topicMap: TopicMappingJson[];
}

/** The error outcome of a case: one code of the error registry. */
export interface ErrorOutput {
  error: string;
}

interface CaseOf<Op extends string, Input, Output> {
  id: string;
  op: Op;
  description: string;
  input: Input;
  expected: Output | ErrorOutput;
}

export type VectorCase =
  | CaseOf<'key-id', KeyIdInput, { keyId: string }>
  | CaseOf<'seal', SealInput, SealOutput>
  | CaseOf<'open', OpenInput, OpenOutput>
  | CaseOf<'sequence', SequenceInput, SequenceOutput>
  | CaseOf<'classify', ClassifyInput, { kind: string }>
  | CaseOf<'canonical-topic', CanonicalTopicInput, { topic: string }>;

export type VectorOp = VectorCase['op'];

export interface NamedKey {
  secretKey: string;
  publicKey: string;
  keyId: string;
}

export interface VectorFile {
  $schema: string;
  name: string;
  version: number;
  generatedBy: string;
  notes: string[];
  keys: Record<string, NamedKey>;
  cases: VectorCase[];
}
