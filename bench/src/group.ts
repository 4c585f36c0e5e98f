/**
 * Group mode link: one publish per message for all members, with a sender key per epoch. It is
 * measured only when the build exposes group mode for the Node.js client.
 */
import type { CryptoProvider } from '@mqtt-e2ee/envelope';
import type { LinkFactory } from './links.js';

export interface GroupMode {
  /** Link factory, or undefined when group mode cannot be measured in this build. */
  factory: LinkFactory | undefined;
  /** Why group mode is not measured, or what was measured. */
  note: string;
}

const GROUP_ENTRY = '@mqtt-e2ee/key-exchange/node-client';

/** Looks for the group mode entry point and returns a link factory for it when it exists. */
export async function loadGroupMode(_provider: CryptoProvider): Promise<GroupMode> {
  try {
    await import(GROUP_ENTRY);
  } catch {
    return { factory: undefined, note: `not yet measured: ${GROUP_ENTRY} does not exist in this build` };
  }
  // TODO: connect the group mode publisher and subscriber here once its API is settled.
  return { factory: undefined, note: `not yet measured: ${GROUP_ENTRY} exists, but the bench has no adapter for it yet` };
}
