import { readFileSync } from 'node:fs';

/** camq's version from package.json (two levels up from both src/cli and dist/cli). */
export const CAMQ_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
