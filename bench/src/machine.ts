/** Facts about the machine and software versions, recorded with every result file. */
import { cpus, release, totalmem, type as osType } from 'node:os';
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
}

function packageVersion(name: string): string {
  try {
    const manifest = createRequire(import.meta.url)(`${name}/package.json`) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

export function machineInfo(): MachineInfo {
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
  };
}
