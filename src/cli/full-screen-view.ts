import { render } from 'ink';
import type { ReactElement } from 'react';
import type { CliIO } from './cli-io.js';

const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALT_SCREEN = '\u001b[?1049l';

/**
 * Run an Ink app on the terminal's alternate screen until it exits (`q`, Ctrl-C), SIGTERM or SIGHUP, or `until`
 * aborts; the screen is given back before this returns, so the caller's clean-up lines land on the normal screen.
 * `afterMount` runs once the app is rendered (a replay starts feeding it then). The live view and `camq replay` share it.
 */
export async function runFullScreenView(
  element: ReactElement,
  io: CliIO,
  options: { readonly until?: AbortSignal | undefined; readonly afterMount?: () => void } = {},
): Promise<void> {
  io.stdout.write(ENTER_ALT_SCREEN);
  const instance = render(element, {
    stdout: io.stdout as NodeJS.WriteStream,
    stdin: io.stdin as NodeJS.ReadStream,
    exitOnCtrlC: true,
    patchConsole: true,
  });
  options.afterMount?.();
  const onTerm = () => instance.unmount();
  process.once('SIGTERM', onTerm);
  process.once('SIGHUP', onTerm);
  options.until?.addEventListener('abort', onTerm, { once: true });
  try {
    await instance.waitUntilExit();
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onTerm);
    io.stdout.write(LEAVE_ALT_SCREEN);
  }
}
