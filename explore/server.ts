/**
 * `npm run explore`: serves the built explorer page (dist/explore) on localhost with the headers that
 * make it cross-origin isolated, and the trained model under /model/: strata-out/ when `strata train`
 * (npm start) has saved one there, else the shipped default weights.
 *
 *   tsx explore/server.ts [--port N] [--root DIR] [--model DIR] [--no-isolation]
 *
 * PORT also sets the port (0 picks one). --no-isolation leaves the COOP/COEP headers out: the page is
 * then not cross-origin isolated (no SharedArrayBuffer), and training runs on one thread.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ISOLATION_HEADERS } from './headers.js';

const here = dirname(fileURLToPath(import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

export interface ExploreServerOptions {
  /** The built page (default dist/explore). */
  root?: string;
  /** Where a trained model is looked for first (default strata-out). */
  modelDir?: string;
  port?: number;
  host?: string;
  /** Send COOP/COEP so the page is cross-origin isolated (wasm threads); default true. */
  isolation?: boolean;
}

/** Starts the server; resolves with it and its URL once listening. */
export function startExploreServer(o: ExploreServerOptions = {}): Promise<{ server: Server; url: string }> {
  const root = resolve(o.root ?? join(here, '..', 'dist', 'explore'));
  const modelDir = resolve(o.modelDir ?? 'strata-out');
  if (!existsSync(join(root, 'index.html')))
    throw new Error(`${root} has no index.html: build the page first (npm run build:explore)`);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file: string;
    let source: string | null = null;
    if (path.startsWith('/model/')) {
      const name = path.slice('/model/'.length);
      const trained = existsSync(join(modelDir, 'model.json'));
      source = trained ? 'strata-out' : 'default';
      file = join(trained ? modelDir : join(root, 'model-default'), name);
      if (!normalize(file).startsWith((trained ? modelDir : join(root, 'model-default')) + sep)) file = '';
    } else {
      file = join(root, path.endsWith('/') ? `${path}index.html` : path);
      if (!normalize(file).startsWith(root + sep)) file = '';
    }
    const headers: Record<string, string> = {
      ...(o.isolation === false ? {} : ISOLATION_HEADERS),
      'Cache-Control': 'no-store',
    };
    if (source) headers['X-Strata-Model'] = source;
    if (
      !file ||
      !existsSync(file) ||
      !statSync(file).isFile() ||
      (req.method !== 'GET' && req.method !== 'HEAD')
    ) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 5173, o.host ?? '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : o.port;
      ok({ server, url: `http://${o.host ?? '127.0.0.1'}:${port}/` });
    });
  });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(arg('--port') ?? process.env.PORT ?? 5173);
  const isolation = !process.argv.includes('--no-isolation');
  startExploreServer({ port, root: arg('--root'), modelDir: arg('--model'), isolation })
    .then(({ url }) => {
      const trained = existsSync(join(resolve(arg('--model') ?? 'strata-out'), 'model.json'));
      console.log(`Strata explorer: ${url}`);
      console.log(
        trained
          ? 'model: strata-out/ (from npm start / strata train)'
          : 'model: the shipped default weights (run npm start to train your own into strata-out/)',
      );
      console.log(
        isolation
          ? 'cross-origin isolated (COOP same-origin, COEP require-corp): training uses wasm threads. Ctrl-C stops.'
          : 'not cross-origin isolated (--no-isolation): training runs on one thread. Ctrl-C stops.',
      );
    })
    .catch((e: Error) => {
      console.error(`explore: ${e.message}`);
      process.exit(1);
    });
}
