/** Runs memory-child.js in a fresh Node.js process so that other benchmarks do not skew the heap. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface MemoryRow {
  provider: string;
  sessions: number;
  /** Heap and external memory per session cached by an EnvelopeOpener, replay state included. */
  receiver_bytes_per_session: number;
  receiver_total_mb: number;
  /** Heap and external memory per recipient session kept by an EnvelopeSealer. */
  sender_bytes_per_session: number;
  sender_total_mb: number;
}

export async function measureMemory(sessions: number): Promise<MemoryRow> {
  const script = fileURLToPath(new URL('./memory-child.js', import.meta.url));
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', script, String(sessions)], { timeout: 120_000 }, (error, out, err) => {
      if (error !== null) reject(new Error(`memory benchmark failed: ${error.message}\n${err}`));
      else resolve(out);
    });
  });
  const parsed = JSON.parse(stdout.trim()) as Omit<MemoryRow, 'receiver_total_mb' | 'sender_total_mb'>;
  return {
    ...parsed,
    receiver_total_mb: (parsed.receiver_bytes_per_session * parsed.sessions) / 1e6,
    sender_total_mb: (parsed.sender_bytes_per_session * parsed.sessions) / 1e6,
  };
}
