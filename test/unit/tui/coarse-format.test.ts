import { describe, expect, it } from 'vitest';
import { formatCoarseAge, formatRoughRate } from '../../../src/tui/format.js';

describe('what the live view shows coarsely, so an idle cluster redraws nothing', () => {
  it('ages: <10s, then to the 10 s, the minute, and as formatAge above an hour', () => {
    expect([undefined, 0, 3.9, 9.99, 10, 29, 59, 60, 119, 3599, 3600, 3725].map(formatCoarseAge)).toEqual([
      '-',
      '<10s',
      '<10s',
      '<10s',
      '10s',
      '20s',
      '50s',
      '1m',
      '1m',
      '59m',
      '1h00m',
      '1h02m',
    ]);
  });

  it('rates: two significant figures, and a steady 100/s reads 100 whichever side of it a second falls', () => {
    expect([99.2, 99.8, 100, 100.4, 104, 94, 12.3, 4.56, 1234, 10_400].map(formatRoughRate)).toEqual([
      '100/s',
      '100/s',
      '100/s',
      '100/s',
      '100/s',
      '94/s',
      '12/s',
      '4.6/s',
      '1.2k/s',
      '10k/s',
    ]);
  });
});
