import { EnvelopeOpener, EnvelopeSealer, generateKeyPair } from '@mqtt-e2ee/envelope';
import { sodiumProvider } from '@mqtt-e2ee/envelope/sodium';
const provider = sodiumProvider;
const s = generateKeyPair(provider), r = generateKeyPair(provider);
const sealer = new EnvelopeSealer({ identity: s, provider });
const msg = provider.randomBytes(1024);
const N = 2000;
let t = performance.now(); let ops = 0;
while (performance.now() - t < 3000) { for (let i = 0; i < 1000; i++) sealer.seal('bench/crypto/topic', msg, r.publicKey); ops += 1000; }
console.log('seal/s', ops / (performance.now() - t) * 1000);
const envs = Array.from({ length: N }, () => sealer.seal('bench/crypto/topic', msg, r.publicKey));
t = performance.now(); ops = 0;
while (performance.now() - t < 3000) { const o = new EnvelopeOpener({ identities: [r], resolveSender: () => [s.publicKey], provider }); for (const e of envs) o.open('bench/crypto/topic', e); ops += N; }
console.log('open/s', ops / (performance.now() - t) * 1000);
