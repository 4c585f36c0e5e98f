import { EnvelopeSealer, EnvelopeOpener, generateKeyPair, setupAuthS } from '@mqtt-e2ee/envelope';
import { sealWithContext } from '../packages/envelope/dist/sealer.js';
import { AadBuffer, encodeHeader, parseHeader } from '../packages/envelope/dist/wire.js';
import { sodiumProvider as p } from '@mqtt-e2ee/envelope/sodium';
const s = generateKeyPair(p), r = generateKeyPair(p);
const msg = p.randomBytes(1024), topic = 'bench/crypto/topic', tb = new TextEncoder().encode(topic);
const key = p.randomBytes(32), nonce = p.randomBytes(12), aad96 = p.randomBytes(80);
const { enc, context } = setupAuthS(r.publicKey, new TextEncoder().encode('mqtt-e2ee/v1 direct'), s.secretKey, { provider: p });
const sealer = new EnvelopeSealer({ identity: s, provider: p, maxMessagesPerSession: 1e9 });
const fields = { senderKeyId: new Uint8Array(8), recipientKeyId: new Uint8Array(8), enc, seq: 0n };
const aadb = new AadBuffer(tb);
let seq = 0n;
function bench(name, fn) { for (let i=0;i<2e5;i++) fn(); const rs=[]; for (let k=0;k<5;k++){ const t=performance.now(); const N=2e5; for (let i=0;i<N;i++) fn(); rs.push((performance.now()-t)/N*1e6);} rs.sort((a,b)=>a-b); console.log(name.padEnd(28), rs[2].toFixed(0).padStart(6), 'ns'); }
bench('provider.aeadSeal', () => p.aeadSeal(key, nonce, aad96, msg));
bench('context.seal', () => context.seal(aad96, msg, seq++));
bench('encodeHeader', () => encodeHeader({ ...fields, seq: seq++ }));
bench('sealWithContext', () => sealWithContext(context, { ...fields, seq: seq++ }, tb, msg, undefined, aadb));
bench('sealer.seal', () => sealer.seal(topic, msg, r.publicKey));
const envs = Array.from({ length: 200000 }, () => sealer.seal(topic, msg, r.publicKey));
bench('parseHeader', () => parseHeader(envs[0]));
let i = 0; let opener;
function fresh() { opener = new EnvelopeOpener({ identities: [r], resolveSender: () => [s.publicKey], provider: p }); i = 0; }
fresh();
bench('opener.open', () => { if (i >= envs.length) fresh(); opener.open(topic, envs[i++]); });
const ct = p.aeadSeal(key, nonce, aad96, msg);
bench('provider.aeadOpen', () => p.aeadOpen(key, nonce, aad96, ct));
let opener2; let j = 0;
function fresh2() { opener2 = new EnvelopeOpener({ identities: [r], resolveSender: () => [s.publicKey], provider: p, replayStore: { load: () => undefined, save: () => {} } }); j = 0; }
fresh2();
bench('opener.open no-op store', () => { if (j >= envs.length) fresh2(); opener2.open(topic, envs[j++]); });
bench('opener.open', () => { if (i >= envs.length) fresh(); opener.open(topic, envs[i++]); });
