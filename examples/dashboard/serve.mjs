#!/usr/bin/env node
/**
 * A dependency-free development server for the alarm dashboard: it serves the files of this folder
 * and forwards /graphql (HTTP and the WebSocket upgrade) and /graphiql/assets/* to the Metergraph
 * API, so that the page talks to one origin only and needs no CORS setup.
 *
 *   METERGRAPH_URL  the API base URL (default http://localhost:4000)
 *   PORT            where to listen (default 5173; 0 picks a free port)
 *   HOST            the interface to listen on (default 127.0.0.1; 0.0.0.0 for other machines)
 *
 * Not a production server: put the folder behind your usual reverse proxy for that.
 */
import { createReadStream, realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

/** Only these kinds of files are served: this script and its README stay private. */
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The page may load and connect to its own origin only; 'self' covers ws: and wss: on the same host. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers that describe one connection and must not be passed along by a proxy. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function isProxied(pathname) {
  return pathname === '/graphql' || pathname.startsWith('/graphiql/assets/');
}

function plain(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${text}\n`);
}

async function serveStatic(req, res, pathname) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method Not Allowed');
  let relative;
  try {
    relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
  } catch {
    return plain(res, 400, 'Bad Request');
  }
  const file = normalize(join(ROOT, relative));
  const type = TYPES[extname(file).toLowerCase()];
  if (!file.startsWith(ROOT.endsWith(sep) ? ROOT : ROOT + sep) || !type || relative.includes('\0')) {
    return plain(res, 404, 'Not Found');
  }
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return plain(res, 404, 'Not Found');
  const headers = {
    'content-type': type,
    'content-length': info.size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (type.startsWith('text/html')) Object.assign(headers, { 'content-security-policy': CSP });
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

/** Copies the request to the API and the answer back, body streamed both ways. */
function proxyHttp(api, req, res) {
  const headers = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers.host = api.host;
  const client = api.protocol === 'https:' ? https : http;
  const upstream = client.request(
    {
      protocol: api.protocol,
      hostname: api.hostname,
      port: api.port || undefined,
      method: req.method,
      path: req.url,
      headers,
    },
    (answer) => {
      const back = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (!HOP_BY_HOP.has(name) && value !== undefined) back[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    },
  );
  upstream.on('error', () => {
    if (res.headersSent) return res.destroy();
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ message: `The API at ${api.origin} is not reachable` }] }));
  });
  req.pipe(upstream);
}

/**
 * Forwards a WebSocket upgrade as raw bytes: the request head is written again with the API's
 * Host, and from then on both sockets are piped into each other (the API answers 101 itself).
 */
function proxyUpgrade(api, req, socket, head, sockets) {
  const port = Number(api.port) || (api.protocol === 'https:' ? 443 : 80);
  const upstream =
    api.protocol === 'https:'
      ? tls.connect({ host: api.hostname, port, servername: api.hostname })
      : net.connect({ host: api.hostname, port });
  sockets.add(upstream);
  upstream.on('close', () => sockets.delete(upstream));
  let connected = false;
  upstream.once(api.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
    connected = true;
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      lines.push(`${name}: ${name.toLowerCase() === 'host' ? api.host : req.rawHeaders[i + 1]}`);
    }
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head?.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => {
    if (!connected && socket.writable) socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
}

/**
 * Creates (and starts) the dashboard server. Resolves once it listens, with its URL and a close()
 * that also ends open WebSocket connections.
 *
 * @param {{ apiUrl?: string, port?: number, host?: string }} [options]
 * @returns {Promise<{ server: import('node:http').Server, url: string, close(): Promise<void> }>}
 */
export async function createDashboardServer({
  apiUrl = 'http://localhost:4000',
  port = 5173,
  host = '127.0.0.1',
} = {}) {
  const api = new URL(apiUrl);
  if (api.protocol !== 'http:' && api.protocol !== 'https:') throw new Error(`Not an http(s) URL: ${apiUrl}`);
  /** Upgraded sockets: server.close() does not end them, close() below does. */
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (isProxied(pathname)) return proxyHttp(api, req, res);
    serveStatic(req, res, pathname).catch(() => {
      if (!res.headersSent) plain(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const { pathname } = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (pathname !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    proxyUpgrade(api, req, socket, head, sockets);
  });

  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address();
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise((resolveClose) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

function runDirectly() {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return (
      pathToFileURL(realpathSync(resolve(script))).href ===
      pathToFileURL(realpathSync(fileURLToPath(import.meta.url))).href
    );
  } catch {
    return false;
  }
}

if (runDirectly()) {
  const apiUrl = process.env.METERGRAPH_URL || 'http://localhost:4000';
  const dashboard = await createDashboardServer({
    apiUrl,
    port: process.env.PORT === undefined || process.env.PORT === '' ? 5173 : Number(process.env.PORT),
    host: process.env.HOST || '127.0.0.1',
  });
  process.stdout.write(`Alarm dashboard on ${dashboard.url} (API ${new URL(apiUrl).origin})\n`);
  const stop = () => dashboard.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
