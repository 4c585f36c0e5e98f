/**
 * Windowed publish/subscribe flow: the publisher keeps at most `window` messages in flight
 * (sent but not yet received by the subscriber) and the subscriber checks every payload.
 */
import { performance } from 'node:perf_hooks';
import { PayloadSource } from './payloads.js';
import { percentile } from './stats.js';

/** Receiver of what a link's subscriber gets. */
export interface FlowSink {
  /** Called with each received (and, in encrypted modes, decrypted) payload. */
  receive(payload: Uint8Array): void;
  /** Called for a publish failure or a message the subscriber rejected. */
  fail(error: unknown): void;
}

/** A connected publisher and subscriber pair on one topic. */
export interface Link {
  /** Publishes one payload. Failures go to FlowSink.fail. */
  send(payload: Uint8Array): void;
  /** Resolves when every publish started so far has settled. */
  drain(): Promise<void>;
  /** Disconnects both clients. */
  close(): Promise<void>;
}

export interface FlowOptions {
  messages: number;
  window: number;
  payloadBytes: number;
  /** The run fails when no message arrives for this long. */
  idleTimeoutMs: number;
  /** Time to wait after the last expected message for late duplicates. */
  graceMs: number;
}

/** Counts and timings of one flow. A run is clean when lost, duplicated and corrupted are 0. */
export interface FlowResult {
  messages: number;
  received: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  failures: number;
  firstFailure?: string;
  elapsedMs: number;
  msgsPerS: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * CPU time of this Node.js process (user plus system, which includes the socket system calls)
   * from the first publish to the last receive, per received message. It covers publisher and
   * subscriber together and leaves out the broker.
   */
  cpuUsPerMsg: number;
}

/** Sends `messages` payloads through a link and checks what arrives. */
export class Flow implements FlowSink {
  readonly #options: FlowOptions;
  readonly #source: PayloadSource;
  readonly #sentAt: Float64Array;
  readonly #latency: Float64Array;
  readonly #seen: Uint8Array;
  #link: Link | undefined;
  #sent = 0;
  #received = 0;
  #duplicated = 0;
  #corrupted = 0;
  #failures = 0;
  #firstFailure: string | undefined;
  #lastReceiveAt = 0;
  #cpuAtStart: NodeJS.CpuUsage | undefined;
  #cpuAtEnd: NodeJS.CpuUsage | undefined;
  #done: (() => void) | undefined;

  constructor(options: FlowOptions) {
    this.#options = options;
    this.#source = new PayloadSource(options.payloadBytes);
    this.#sentAt = new Float64Array(options.messages);
    this.#latency = new Float64Array(options.messages);
    this.#seen = new Uint8Array(options.messages);
  }

  receive(payload: Uint8Array): void {
    const now = performance.now();
    const check = this.#source.check(payload);
    if (!check.ok || check.seq >= this.#options.messages) {
      this.#corrupted++;
      return;
    }
    if (this.#seen[check.seq] === 1) {
      this.#duplicated++;
      return;
    }
    this.#seen[check.seq] = 1;
    this.#latency[this.#received] = now - (this.#sentAt[check.seq] as number);
    this.#received++;
    this.#lastReceiveAt = now;
    if (this.#received === this.#options.messages) {
      this.#cpuAtEnd = process.cpuUsage(this.#cpuAtStart);
      this.#done?.();
    }
    else this.#pump();
  }

  fail(error: unknown): void {
    this.#failures++;
    this.#firstFailure ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }

  /** Runs the flow over `link` and returns the counts. The link stays open. */
  async run(link: Link): Promise<FlowResult> {
    this.#link = link;
    this.#cpuAtStart = process.cpuUsage();
    const startedAt = performance.now();
    const finished = new Promise<void>((resolve) => {
      this.#done = resolve;
    });
    const watchdog = this.#watchIdle(finished);
    this.#pump();
    await Promise.race([finished, watchdog.expired]);
    watchdog.stop();
    const endedAt = this.#received > 0 ? this.#lastReceiveAt : performance.now();
    const cpu = this.#cpuAtEnd ?? process.cpuUsage(this.#cpuAtStart);
    await link.drain();
    // Late duplicates (a QoS 1 redelivery, for example) would arrive within this grace period.
    await new Promise((resolve) => setTimeout(resolve, this.#options.graceMs));
    return this.#result(endedAt - startedAt, cpu.user + cpu.system);
  }

  #pump(): void {
    const link = this.#link as Link;
    const { messages, window } = this.#options;
    while (this.#sent < messages && this.#sent - this.#received < window) {
      const seq = this.#sent++;
      const payload = this.#source.make(seq);
      this.#sentAt[seq] = performance.now();
      link.send(payload);
    }
  }

  #watchIdle(finished: Promise<void>): { expired: Promise<void>; stop: () => void } {
    let timer: NodeJS.Timeout | undefined;
    let lastCount = -1;
    const expired = new Promise<void>((resolve) => {
      timer = setInterval(() => {
        if (this.#received === lastCount) resolve();
        lastCount = this.#received;
      }, this.#options.idleTimeoutMs);
    });
    void finished.then(() => clearInterval(timer));
    return { expired, stop: () => clearInterval(timer) };
  }

  #result(elapsedMs: number, cpuUs: number): FlowResult {
    const { messages } = this.#options;
    const result: FlowResult = {
      messages,
      received: this.#received,
      lost: messages - this.#received,
      duplicated: this.#duplicated,
      corrupted: this.#corrupted,
      failures: this.#failures,
      elapsedMs,
      msgsPerS: (this.#received / elapsedMs) * 1000,
      p50Ms: percentile(this.#latency, this.#received, 50),
      p99Ms: percentile(this.#latency, this.#received, 99),
      cpuUsPerMsg: this.#received > 0 ? cpuUs / this.#received : Number.NaN,
    };
    if (this.#firstFailure !== undefined) result.firstFailure = this.#firstFailure;
    return result;
  }
}
