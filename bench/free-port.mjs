import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (for a `camq broker --port` child). */
export function freePort() {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}
