// A static file server on 127.0.0.1 for the demo and the browser tests. It serves only files
// under the listed URL prefixes of this package, plus the extra routes a caller adds.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/**
 * Starts the server and resolves with its base URL and a stop function. `prefixes` are URL path
 * prefixes that map to the same directories of this package; `routes` maps exact paths to
 * handlers (request, response) for dynamic content.
 */
export async function startStaticServer({ prefixes, routes = {}, port = 0 }) {
  const sockets = new Set();
  const server = createServer((request, response) => {
    handle(request, response, prefixes, routes).catch((error) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(undefined));
  });
  const address = server.address();
  return {
    url: `http://127.0.0.1:${address.port}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

async function handle(request, response, prefixes, routes) {
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  const route = routes[path];
  if (route !== undefined) return route(request, response);
  if (request.method !== 'GET' && request.method !== 'HEAD') return notFound(response);
  const file = resolveFile(path, prefixes);
  if (file === undefined) return notFound(response);
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) return notFound(response);
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': 'no-store',
  });
  if (request.method === 'HEAD') return response.end();
  createReadStream(file).pipe(response);
}

/** Maps a URL path to a file under one of the prefixes, or undefined for anything outside them. */
function resolveFile(path, prefixes) {
  let decoded;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const prefix = prefixes.find((candidate) => decoded.startsWith(candidate));
  if (prefix === undefined) return undefined;
  const root = join(packageDir, prefix);
  const file = normalize(
    join(packageDir, decoded.endsWith('/') ? `${decoded}index.html` : decoded),
  );
  // normalize() resolves '..', so a path that leaves the prefix directory is rejected here.
  return file.startsWith(root.endsWith(sep) ? root : `${root}${sep}`) ? file : undefined;
}

function notFound(response) {
  response.writeHead(404, { 'content-type': 'text/plain' });
  response.end('not found');
}
