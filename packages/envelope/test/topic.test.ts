import { describe, expect, it } from 'vitest';
import {
  canonicalTopic,
  compileTopicMap,
  DecryptionError,
  EnvelopeOpener,
  EnvelopeSealer,
  generateKeyPair,
  type CryptoProvider,
} from '../src/index.js';
import { providers, utf8 } from './helpers.js';

describe('canonicalTopic', () => {
  const map = compileTopicMap([
    { local: 'site-a/', canonical: 'fleet/' },
    { local: 'site-a/vip/', canonical: 'fleet/priority/' },
    { local: 'edge', canonical: '' },
  ]);

  it('uses longest matching prefix', () => {
    expect(canonicalTopic('site-a/t1', map)).toBe('fleet/t1');
    expect(canonicalTopic('site-a/vip/t1', map)).toBe('fleet/priority/t1');
    expect(canonicalTopic('edge/x', map)).toBe('/x');
    expect(canonicalTopic('site-b/t1', map)).toBe('site-b/t1');
    expect(canonicalTopic('site-a', map)).toBe('site-a');
  });

  it('validates mappings', () => {
    expect(() => compileTopicMap({})).toThrow(TypeError);
    expect(() => compileTopicMap([{ local: '', canonical: 'x/' }])).toThrow(/must not be empty/);
    expect(() => compileTopicMap([{ local: 'a/', canonical: 'x/' }, { local: 'a/', canonical: 'y/' }])).toThrow(/appears twice/);
    expect(() => compileTopicMap([{ local: 'a/+/', canonical: 'x/' }])).toThrow(/wildcard|'\+'/);
    expect(() => compileTopicMap([{ local: 'a/', canonical: 5 }])).toThrow(TypeError);
    expect(() => compileTopicMap([null])).toThrow(TypeError);
  });
});

function peers(provider: CryptoProvider) {
  const alice = generateKeyPair(provider);
  const bob = generateKeyPair(provider);
  return { alice, bob, resolveSender: () => [alice.publicKey] };
}

describe.each(providers)('topics with $name', (provider) => {
  it('binds canonical topic across bridge', () => {
    const { alice, bob, resolveSender } = peers(provider);
    // The bridge republishes site-a/... on the other broker as hq/site-a/...
    const sealer = new EnvelopeSealer({ identity: alice, provider, topicMap: [{ local: 'site-a/', canonical: 'plant/' }] });
    const opener = new EnvelopeOpener({ identities: [bob], resolveSender, provider, topicMap: [{ local: 'hq/site-a/', canonical: 'plant/' }] });
    const envelope = sealer.seal('site-a/line-1', utf8('on'), bob.publicKey);
    const opened = opener.open('hq/site-a/line-1', envelope);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('on');
    expect(opened.boundTopic).toBe('plant/line-1');
    // Without the mapping the rewritten topic no longer matches the AAD.
    const strict = new EnvelopeOpener({ identities: [bob], resolveSender, provider });
    expect(() => strict.open('hq/site-a/line-1', envelope)).toThrow(DecryptionError);
    expect(() => opener.open('hq/site-a/line-2', envelope)).toThrow(DecryptionError);
  });

  it('rejects invalid topic names', () => {
    const { alice, bob, resolveSender } = peers(provider);
    const sealer = new EnvelopeSealer({ identity: alice, provider });
    const opener = new EnvelopeOpener({ identities: [bob], resolveSender, provider });
    const envelope = sealer.seal('ok', utf8('x'), bob.publicKey);
    for (const topic of ['', 'a/+', 'a/#', 'a\u0000b', 'bad\uD800']) {
      expect(() => sealer.seal(topic, utf8('x'), bob.publicKey), JSON.stringify(topic)).toThrow(RangeError);
      expect(() => opener.open(topic, envelope), JSON.stringify(topic)).toThrow(RangeError);
    }
    expect(() => sealer.seal('', utf8('x'), bob.publicKey)).toThrow(/topic alias/);
    expect(sealer.seal('a'.repeat(65535), utf8('x'), bob.publicKey)).toHaveLength(77);
    expect(() => sealer.seal('ä'.repeat(32768), utf8('x'), bob.publicKey)).toThrow(/at most 65535 UTF-8 bytes/);
    expect(opener.open('ok', envelope).boundTopic).toBe('ok');
  });
});
