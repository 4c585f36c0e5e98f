/**
 * Trust policies for key announcements (spec/key-exchange-v1.md, "Trust policies"). Each policy
 * decides whether a structurally valid announcement may replace what is known about a client.
 */
import { keyIdHex } from '@mqtt-e2ee/envelope';
import type { Endorsement, Revocation } from './anchor.js';
import { equal, keyChain, type Announcement } from './announcement.js';
import { KeyChangedError, KeyRecordError, KeyRevokedError } from './errors.js';
import { decodeSigningPublicKey, signingKeyFingerprint, toAnchorPublicKey } from './signing.js';

/**
 * - 'pin': only signing keys whose fingerprints are pinned, or keys that a pinned key rotated to.
 * - 'tofu': the first key seen for a client is pinned. A later key must be reached by rotation
 *   links from the pin or be endorsed by a configured anchor, otherwise KeyChangedError is raised.
 * - 'anchor': every key must be endorsed by a configured anchor, directly or through rotation
 *   links from an endorsed key.
 * - 'insecure': any well-formed, self-signed announcement with a higher sequence number. The
 *   broker can replace keys at will, so this is for tests and demos only.
 */
export type TrustPolicy = 'pin' | 'tofu' | 'anchor' | 'insecure';

export const TRUST_POLICIES: readonly TrustPolicy[] = ['pin', 'tofu', 'anchor', 'insecure'];

/** Inputs of a trust decision. */
export interface TrustContext {
  readonly policy: TrustPolicy;
  readonly now: number;
  readonly clockSkewMs: number;
  /** Anchor public keys, raw bytes. */
  readonly anchors: readonly Uint8Array[];
  /** Pinned signing key fingerprints for this client: configured pins and the pin from state. */
  readonly pins: ReadonlySet<string>;
  /** Revocations known for this client. */
  readonly revocations: readonly Revocation[];
}

/** Outcome of a trust decision: the fingerprint to pin from now on. */
export interface TrustDecision {
  readonly pin: string;
  /** Basis of the trust, for logs: 'pin', 'rotation', 'endorsement', 'first-use' or 'insecure'. */
  readonly basis: 'pin' | 'rotation' | 'endorsement' | 'first-use' | 'insecure';
}

function rejected(a: Announcement, reason: 'untrusted' | 'endorsement', detail: string): KeyRecordError {
  return new KeyRecordError('announcement', reason, a.clientId, `Key announcement of client ${JSON.stringify(a.clientId)} rejected: ${detail}`);
}

function isRevoked(revocations: readonly Revocation[], keys: { encryptionKey: Uint8Array; signingKey: Uint8Array }): boolean {
  return revocations.some((r) => equal(r.encryptionKey, keys.encryptionKey) || equal(r.signingKey, keys.signingKey));
}

function endorsementValid(e: Endorsement, context: TrustContext): boolean {
  const trustedAnchor = context.anchors.some((anchor) => equal(anchor, e.anchor));
  const inPeriod = e.validFrom <= context.now + context.clockSkewMs && context.now < e.validUntil;
  return trustedAnchor && inPeriod;
}

/** Index in the key chain of the first key with a valid endorsement from a configured anchor, or -1. */
function endorsedIndex(a: Announcement, context: TrustContext): number {
  const chain = keyChain(a);
  let best = -1;
  for (const e of a.endorsements) {
    if (!endorsementValid(e, context)) continue;
    const index = chain.findIndex((keys) => equal(keys.encryptionKey, e.encryptionKey) && equal(keys.signingKey, e.signingKey));
    // The newest endorsed key needs the fewest rotation links, so prefer it.
    if (index > best) best = index;
  }
  return best;
}

/** Index in the key chain of the newest pinned signing key, or -1. */
function pinnedIndex(a: Announcement, pins: ReadonlySet<string>): number {
  const chain = keyChain(a);
  for (let index = chain.length - 1; index >= 0; index--) {
    if (pins.has(signingKeyFingerprint((chain[index] as { signingKey: Uint8Array }).signingKey))) return index;
  }
  return -1;
}

/**
 * Raises KeyRevokedError when the current key, or a key between the trust root at `rootIndex` and
 * the current key, is revoked: a thief of a revoked key must not rotate to a key of its own.
 */
function checkRevocations(a: Announcement, rootIndex: number, revocations: readonly Revocation[]): void {
  const chain = keyChain(a);
  for (let index = Math.max(rootIndex, 0); index < chain.length; index++) {
    const keys = chain[index] as { encryptionKey: Uint8Array; signingKey: Uint8Array };
    if (isRevoked(revocations, keys)) throw new KeyRevokedError(a.clientId, keyIdHex(keys.encryptionKey));
  }
}

/** Decides whether announcement `a` is trusted. Raises KeyRecordError, KeyChangedError or KeyRevokedError. */
export function decideTrust(a: Announcement, context: TrustContext): TrustDecision {
  const current = signingKeyFingerprint(a.signingKey);
  const chainLength = a.rotations.length + 1;

  if (context.policy === 'insecure') {
    checkRevocations(a, chainLength - 1, context.revocations);
    return { pin: current, basis: 'insecure' };
  }
  const pinned = pinnedIndex(a, context.pins);
  const endorsed = context.anchors.length > 0 ? endorsedIndex(a, context) : -1;

  if (context.policy === 'anchor') {
    if (endorsed < 0) {
      const detail =
        a.endorsements.length === 0
          ? 'it carries no anchor endorsement. Endorse the key with `mqtt-e2ee endorse` and announce it again.'
          : 'no endorsement is from a configured anchor and within its validity period.';
      throw rejected(a, 'endorsement', detail);
    }
    checkRevocations(a, endorsed, context.revocations);
    return { pin: current, basis: endorsed === chainLength - 1 ? 'endorsement' : 'rotation' };
  }

  if (pinned >= 0) {
    checkRevocations(a, pinned, context.revocations);
    return { pin: current, basis: pinned === chainLength - 1 ? 'pin' : 'rotation' };
  }
  if (endorsed >= 0) {
    checkRevocations(a, endorsed, context.revocations);
    return { pin: current, basis: 'endorsement' };
  }

  if (context.policy === 'pin') {
    const detail =
      context.pins.size === 0
        ? `no fingerprint is pinned for this client. Pin signing key ${current} if it is genuine.`
        : `signing key ${current} is not pinned and no rotation link leads to a pinned key.`;
    throw rejected(a, 'untrusted', detail);
  }
  if (context.pins.size > 0) {
    const [first] = context.pins;
    throw new KeyChangedError(a.clientId, first as string, current);
  }
  checkRevocations(a, chainLength - 1, context.revocations);
  return { pin: current, basis: 'first-use' };
}

/** Normalizes a pin: a 64-hex fingerprint, or a signing public key text ("mqe2e-sp1-…"). */
export function normalizePin(pin: string): string {
  if (/^[0-9a-fA-F]{64}$/.test(pin)) return pin.toLowerCase();
  if (pin.startsWith('mqe2e-sp1-')) return signingKeyFingerprint(decodeSigningPublicKey(pin));
  throw new RangeError(
    `pin must be a 64-hex signing key fingerprint or a signing public key text (mqe2e-sp1-…), got ${JSON.stringify(pin.slice(0, 70))}`,
  );
}

/** Converts configured anchors to raw public keys. */
export function normalizeAnchors(anchors: readonly (string | Uint8Array)[]): Uint8Array[] {
  return anchors.map((anchor) => toAnchorPublicKey(anchor));
}
