/**
 * The WebSocket that MQTT.js gets in the browser. It hands MQTT.js every incoming frame as an
 * ArrayBuffer with exactly the frame's bytes, in arrival order, whatever the underlying socket
 * delivers: ArrayBuffer, Blob, a typed-array or DataView over part of a larger buffer, or text.
 */

/** The WebSocket constructor shape the client needs; the global WebSocket by default. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

/** Receives the close code and reason of every close that is not a normal closure. */
export type AbnormalCloseHandler = (code: number, reason: string) => void;

const NORMAL_CLOSE_CODES = new Set([1000, 1005]);
const utf8 = new TextEncoder();

/**
 * A WebSocket wrapper that normalizes incoming data. Blob frames are read asynchronously, so
 * frames are queued and dispatched in order: a Blob followed by an ArrayBuffer never swaps.
 */
export class NormalizedWebSocket extends EventTarget {
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readonly #socket: WebSocket;
  /** Frames dispatched so far form a chain; each waits for the one before it. */
  #pending: Promise<void> = Promise.resolve();

  constructor(socket: WebSocket, onAbnormalClose: AbnormalCloseHandler) {
    super();
    this.#socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('open', () => this.dispatchEvent(new Event('open')));
    socket.addEventListener('error', () => this.dispatchEvent(new Event('error')));
    socket.addEventListener('message', (event: MessageEvent<unknown>) => this.#enqueue(event.data));
    socket.addEventListener('close', (event: CloseEvent) => {
      // The close waits for the frames before it, so MQTT.js receives all data before the end.
      this.#pending = this.#pending.then(() => {
        if (!NORMAL_CLOSE_CODES.has(event.code)) onAbnormalClose(event.code, event.reason);
        this.dispatchEvent(new CloseEvent('close', { code: event.code, reason: event.reason }));
      });
    });
  }

  get readyState(): number {
    return this.#socket.readyState;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  get protocol(): string {
    return this.#socket.protocol;
  }

  get url(): string {
    return this.#socket.url;
  }

  /** Always 'arraybuffer'; MQTT.js sets it, and the wrapper delivers ArrayBuffers regardless. */
  get binaryType(): BinaryType {
    return 'arraybuffer';
  }

  set binaryType(_value: BinaryType) {
    // Ignored: incoming data is normalized to ArrayBuffer whatever the caller asks for.
  }

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    this.#socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }

  #enqueue(data: unknown): void {
    // Reading starts at once; only the dispatch waits for the frames before this one.
    const bytes = frameBytes(data);
    // Marks a failed read as handled now; the chain below still receives the failure.
    bytes.catch(() => undefined);
    this.#pending = this.#pending
      .then(async () => {
        const buffer = await bytes;
        this.dispatchEvent(new MessageEvent('message', { data: buffer }));
      })
      .catch(() => {
        // A frame that cannot be read would leave a gap in the MQTT byte stream, so the
        // connection ends and MQTT.js reconnects. Scripts may only send close code 1000 or
        // 3000-4999, so this uses 4002 from the private range (RFC 6455 section 7.4.2).
        this.dispatchEvent(new Event('error'));
        this.#socket.close(4002, 'unreadable frame');
      });
  }
}

/**
 * Returns an ArrayBuffer with exactly the bytes of a frame. An ArrayBuffer passes through as it
 * is; a view is copied over its own range only, so bytes around it never leak into the stream.
 */
export async function frameBytes(data: unknown): Promise<ArrayBuffer> {
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) {
    const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return view.slice().buffer;
  }
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data.arrayBuffer();
  if (typeof data === 'string') return utf8.encode(data).slice().buffer;
  throw new TypeError(
    `WebSocket frame data must be an ArrayBuffer, Blob, ArrayBufferView or string, got ${typeof data}.`,
  );
}

/** Returns the createWebsocket hook of MQTT.js that builds a NormalizedWebSocket. */
export function webSocketFactory(
  WebSocketImpl: WebSocketConstructor,
  onAbnormalClose: AbnormalCloseHandler,
): (url: string, protocols: string[]) => NormalizedWebSocket {
  return (url, protocols) =>
    new NormalizedWebSocket(new WebSocketImpl(url, protocols), onAbnormalClose);
}
