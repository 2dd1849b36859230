import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { ListingTable } from '../../control/reply-text.js';

/** Draw a listing with cli-table3; headers and borders are coloured only when `style` has colour. */
export function renderTable(table: ListingTable, style: ChalkInstance): string {
  const colored = style.level > 0;
  const out = new Table({ head: [...table.head], style: { head: colored ? ['cyan'] : [], border: colored ? ['grey'] : [], compact: true } });
  out.push(...table.rows.map((row) => [...row]));
  return out.toString();
}
