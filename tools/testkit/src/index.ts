export { freePort, reachable, realMosquittoUrl, waitForPort } from './net.js';
export {
  clientTlsOptions,
  createTestPki,
  writeTestPki,
  type CertificateAndKey,
  type TestPki,
  type TestPkiFiles,
  type TestPkiOptions,
  type TlsClientOptions,
} from './pki.js';
export {
  mosquittoAvailable,
  mosquittoPath,
  startMosquitto,
  type MosquittoOptions,
  type RunningMosquitto,
} from './mosquitto.js';
export { startAedes, type AedesBrokerOptions, type RunningAedes } from './aedes.js';
export { natsAvailable, natsServerPath, startNats, type NatsOptions, type RunningNats } from './nats.js';
