import { CamqError } from './camq-error.js';

/**
 * End a command with an exit code after its output already said what went wrong (a failed line in a camqadm
 * script, for instance). The CLI prints nothing more for it.
 */
export class ExitRequest extends CamqError {
  constructor(exitCode: number, message = `exit ${exitCode}`) {
    super('cli.exit', message, { exitCode });
  }
}
