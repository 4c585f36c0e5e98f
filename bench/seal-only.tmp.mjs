import { EnvelopeSealer, generateKeyPair } from '@mqtt-e2ee/envelope';
import { sodiumProvider } from '@mqtt-e2ee/envelope/sodium';
const provider = sodiumProvider;
const s = generateKeyPair(provider), r = generateKeyPair(provider);
const sealer = new EnvelopeSealer({ identity: s, provider, maxMessagesPerSession: 1e9 });
const msg = provider.randomBytes(1024);
const key = provider.randomBytes(32), nonce = provider.randomBytes(12), aad = provider.randomBytes(96);
for (const round of [1,2,3]) {
let t = performance.now(); let ops = 0;
while (performance.now() - t < 1000) { for (let i = 0; i < 1000; i++) sealer.seal('bench/crypto/topic', msg, r.publicKey); ops += 1000; }
const seal = ops / (performance.now() - t) * 1000;
t = performance.now(); ops = 0;
while (performance.now() - t < 1000) { for (let i = 0; i < 1000; i++) provider.aeadSeal(key, nonce, aad, msg); ops += 1000; }
console.log('seal/s', seal.toFixed(0), 'aeadSeal/s', (ops / (performance.now() - t) * 1000).toFixed(0));
}
