/**
 * One seed for every fuzz suite in a run, printed so that a failure reproduces:
 *   CAMQ_FUZZ_SEED=1234 npx vitest run --project fuzz
 * CAMQ_FUZZ_RUNS scales the number of cases (the short form in `npm test` uses the defaults each suite sets; the long
 * runs in scripts/fuzz.sh raise it).
 */
import fc from 'fast-check';

const fromEnv = Number(process.env['CAMQ_FUZZ_SEED']);
export const FUZZ_SEED = Number.isSafeInteger(fromEnv) ? fromEnv : Math.floor(Math.random() * 2 ** 31);
const runsScale = Number(process.env['CAMQ_FUZZ_RUNS_SCALE'] ?? '1');

let printed = false;

/** fast-check parameters for one property: this run's seed, and `runs` cases scaled by CAMQ_FUZZ_RUNS_SCALE. */
export function fuzzParams(runs: number): fc.Parameters<unknown> {
  if (!printed) {
    printed = true;
    process.stderr.write(`fuzz: seed ${FUZZ_SEED} (reproduce with CAMQ_FUZZ_SEED=${FUZZ_SEED})\n`);
  }
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(runs * (Number.isFinite(runsScale) ? runsScale : 1))), endOnFailure: true };
}
