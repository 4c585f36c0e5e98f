/** Chooses the broker for throughput runs: the local Mosquitto, or an embedded Aedes as fallback. */
import { spawnSync } from 'node:child_process';
import { mosquittoPath, reachable, realMosquittoUrl, startAedes } from '@mqtt-e2ee/testkit';

export interface BenchBroker {
  url: string;
  kind: 'mosquitto' | 'aedes';
  /** Version line of the broker software, or 'unknown'. */
  version: string;
  /** Set when the results are not from the local Mosquitto, and why. */
  note?: string;
  stop(): Promise<void>;
}

/**
 * Uses the Mosquitto at 127.0.0.1:1883 when it accepts connections. Otherwise, or with
 * `forceEmbedded`, starts Aedes on a free loopback port and explains that in `note`.
 */
export async function openBroker(forceEmbedded = false): Promise<BenchBroker> {
  if (!forceEmbedded && (await reachable(realMosquittoUrl, 1000))) {
    return { url: realMosquittoUrl, kind: 'mosquitto', version: mosquittoVersion(), stop: async () => undefined };
  }
  const aedes = await startAedes();
  const reason = forceEmbedded
    ? 'the embedded broker was requested'
    : `${realMosquittoUrl} did not accept a connection`;
  return {
    url: aedes.url,
    kind: 'aedes',
    version: 'aedes (embedded, same process)',
    note: `Embedded Aedes broker used because ${reason}. Aedes runs in the benchmark process and shares its CPU, so these rates are not comparable with Mosquitto runs.`,
    stop: () => aedes.stop(),
  };
}

/** Returns the version line that `mosquitto -h` prints, which is the installed binary's version. */
function mosquittoVersion(): string {
  const path = mosquittoPath();
  if (path === undefined) return 'unknown';
  const output = spawnSync(path, ['-h'], { encoding: 'utf8', timeout: 5000 });
  const line = `${output.stdout ?? ''}`.split('\n').find((text) => /version/i.test(text));
  return line?.trim() ?? 'unknown';
}
