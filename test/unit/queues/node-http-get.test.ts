/**
 * The node:http GET every management API client reads with (its errors, as fetch's, are held by
 * management-api.test.ts): here, that the background variant never keeps a process alive, and that connections are
 * kept between requests. A child process (the
 * built dist/, so `npm run build` first, as package-exports.test.ts) asks a server that accepts and never answers.
 */
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHttpGet } from '../../../src/queues/node-http-get.js';
import { ROOT } from '../../helpers/run-bin.js';

let silent: Server;
const sockets: Socket[] = [];
let url: string;
beforeAll(async () => {
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/api/overview`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

/** Whether a process that only has this GET pending exits by itself within `ms`. */
function exitsWithin(which: 'nodeHttpGet' | 'backgroundHttpGet', ms: number): Promise<boolean> {
  const script = `import { ${which} } from '${ROOT}dist/queues/node-http-get.js'; ${which}(${JSON.stringify(url)}).catch(() => {});`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('backgroundHttpGet', () => {
  it('lets the process exit while an answer is still pending; nodeHttpGet keeps it waiting', async () => {
    expect(await exitsWithin('backgroundHttpGet', 3000)).toBe(true);
    expect(await exitsWithin('nodeHttpGet', 1500)).toBe(false);
  });
});

describe('nodeHttpGet', () => {
  it('keeps its connection between requests, and sends once more on a new one when the server closed the kept one', async () => {
    let connections = 0;
    let resetNext = false;
    const server = createHttpServer((req, res) => {
      if (!resetNext) return void res.end('{}');
      resetNext = false;
      req.socket.resetAndDestroy();
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/overview`;
    try {
      for (let i = 0; i < 3; i++) expect((await nodeHttpGet(base)).status).toBe(200);
      expect(connections).toBe(1);
      // The server resets the kept connection as the next request goes out on it: answered on a second connection.
      resetNext = true;
      expect((await nodeHttpGet(base)).status).toBe(200);
      expect(connections).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
