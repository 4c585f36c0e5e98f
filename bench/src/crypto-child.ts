/**
 * Child process of the crypto benchmark: measures one provider at the given sizes, its session
 * setup and its group epoch setup, and prints the rows as JSON on stdout. Each provider runs in a process of its own so
 * that the JIT feedback of one provider's calls does not slow down the shared envelope code when
 * the next provider runs.
 *
 *   node crypto-child.js PROVIDER SIZES RATE_OPTIONS_JSON
 */
import { measureCrypto } from './crypto.js';
import { measureEpochs } from './epochs.js';
import { loadProviders } from './providers.js';
import { measureSessions } from './sessions.js';
import type { RateOptions } from './timing.js';

const [name = '', sizesText = '', rateText = '{}'] = process.argv.slice(2);
const { entries } = await loadProviders();
const entry = entries.find((candidate) => candidate.provider.name === name);
if (entry === undefined) {
  throw new RangeError(`PROVIDER must be one of ${entries.map((e) => e.provider.name).join(', ')}, got '${name}'`);
}
const sizes = sizesText.split(',').map(Number);
const rate = JSON.parse(rateText) as RateOptions;
const crypto = sizes.map((size) => measureCrypto(entry, size, rate));
const sessions = measureSessions(entry, rate);
const epochs = measureEpochs(entry.provider, rate);
process.stdout.write(`${JSON.stringify({ crypto, sessions, epochs })}\n`);
