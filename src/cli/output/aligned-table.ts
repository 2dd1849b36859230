import type { ChalkInstance } from 'chalk';
import stringWidth from 'string-width';
import type { ListingTable } from '../../control/reply-text.js';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Draw a listing as aligned columns without borders (as `rabbitmqctl list_queues` and `kubectl get` do), for
 * listings that may run to thousands of rows: cli-table3 (renderTable) takes about 18 s for 10,000 rows on the
 * development machine, this a few milliseconds, and the output is easy to grep and cut. Columns are separated by two
 * spaces; those in `rightAligned` (numbers) are right-aligned; the last column is not padded. `styleCell` colours
 * a cell after its width is measured, so colour never shifts the columns.
 */
export function renderAlignedTable(
  table: ListingTable,
  style: ChalkInstance,
  options: { readonly rightAligned?: ReadonlySet<number>; readonly styleCell?: (column: number, text: string) => string } = {},
): string {
  const rows = [table.head, ...table.rows];
  const widths = table.head.map((_, column) => Math.max(...rows.map((row) => width(row[column] ?? ''))));
  const last = table.head.length - 1;
  return rows
    .map((row, index) =>
      row
        .map((cell, column) => {
          const pad = ' '.repeat(Math.max(0, widths[column]! - width(cell)));
          const styled = index === 0 ? style.bold(cell) : (options.styleCell?.(column, cell) ?? cell);
          if (options.rightAligned?.has(column)) return pad + styled;
          return column === last ? styled : styled + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function width(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text);
}
