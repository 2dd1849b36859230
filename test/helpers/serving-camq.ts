/**
 * bin/camq started as a metrics server (`camq exporter`, `camq record --metrics`): resolves once its output names
 * the URL it serves (the pattern's first group), rejects with its output if it exits first. Build first.
 */
import { startCamqBin, type RunningCamq } from './camq-bin.js';

export interface ServingCamq extends RunningCamq {
  /** `http://127.0.0.1:<port>`, from the line that says where it serves. */
  readonly base: string;
}

export const SERVING_METRICS = /serving (http:\/\/[^/]+)\/metrics/;

export async function startServingCamq(args: readonly string[], pattern: RegExp = SERVING_METRICS): Promise<ServingCamq> {
  const running = startCamqBin(args);
  const [, base] = await running.waitFor(pattern);
  return { ...running, base: base! };
}
