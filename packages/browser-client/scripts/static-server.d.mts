import type { IncomingMessage, ServerResponse } from 'node:http';

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => unknown;

export interface RunningStaticServer {
  url: string;
  stop(): Promise<void>;
}

export declare function startStaticServer(options: {
  prefixes: string[];
  routes?: Record<string, RouteHandler>;
  port?: number;
}): Promise<RunningStaticServer>;
