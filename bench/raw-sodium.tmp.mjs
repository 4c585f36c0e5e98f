import { createRequire } from 'node:module';
const s = createRequire(import.meta.url)('sodium-native');
const k = new Uint8Array(32).fill(1), n = new Uint8Array(12).fill(2), m = new Uint8Array(1024).fill(3), ad = new Uint8Array(80);
const c = new Uint8Array(1040); s.crypto_aead_chacha20poly1305_ietf_encrypt(c, m, ad, null, n, k);
const out = new Uint8Array(1024), outc = new Uint8Array(1040);
function bench(name, fn) { for (let i=0;i<1e5;i++) fn(); const t=performance.now(); const N=1e6; for (let i=0;i<N;i++) fn(); console.log(name.padEnd(30), ((performance.now()-t)/N*1e6).toFixed(0), 'ns'); }
bench('encrypt prealloc', () => s.crypto_aead_chacha20poly1305_ietf_encrypt(outc, m, ad, null, n, k));
bench('decrypt prealloc', () => s.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, c, ad, n, k));
bench('encrypt alloc', () => { const o = new Uint8Array(1040); s.crypto_aead_chacha20poly1305_ietf_encrypt(o, m, ad, null, n, k); });
bench('decrypt alloc', () => { const o = new Uint8Array(1024); s.crypto_aead_chacha20poly1305_ietf_decrypt(o, null, c, ad, n, k); });
bench('alloc only 1040', () => new Uint8Array(1040));
bench('encrypt allocUnsafeSlow', () => { const o = Buffer.allocUnsafeSlow(1040); s.crypto_aead_chacha20poly1305_ietf_encrypt(o, m, ad, null, n, k); });
bench('encrypt allocUnsafe', () => { const o = Buffer.allocUnsafe(1040); s.crypto_aead_chacha20poly1305_ietf_encrypt(o, m, ad, null, n, k); });
bench('allocUnsafeSlow only', () => Buffer.allocUnsafeSlow(1040));
let slab = new ArrayBuffer(1 << 20), off = 0;
bench('encrypt slab', () => { if (off + 1040 > slab.byteLength) { slab = new ArrayBuffer(1 << 20); off = 0; } const o = new Uint8Array(slab, off, 1040); off += 1040; s.crypto_aead_chacha20poly1305_ietf_encrypt(o, m, ad, null, n, k); });
