/** Facts about the machine and software versions, recorded with every result file. */
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { createRequire } from 'node:module';

export interface MachineInfo {
  cpu: string;
  logical_cpus: number;
  memory_gb: number;
  os: string;
  node: string;
  openssl: string;
  mqtt_js: string;
  sodium_native: string;
  /** One-minute load average when the run started and ended; above the CPU count, other work competed. */
  load_average_start: number;
  load_average_end: number;
}

function packageVersion(name: string): string {
  try {
    const manifest = createRequire(import.meta.url)(`${name}/package.json`) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** Returns the one-minute load average, rounded to two decimals. */
export function currentLoad(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

export function machineInfo(loadAtStart: number): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    logical_cpus: list.length,
    memory_gb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    mqtt_js: packageVersion('mqtt'),
    sodium_native: packageVersion('sodium-native'),
    load_average_start: loadAtStart,
    load_average_end: currentLoad(),
  };
}
