/**
 * RabbitMQ's own view of a vhost through rabbitmqctl (`--formatter json`), for tests that check what camq did to the
 * broker: queues with their counts and flags, exchanges, bindings, and closing a connection from the broker side.
 * Each call starts an Erlang VM (about half a second), so tests ask once and check much.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BrokerInspector, type BindingView, type ExchangeView, type QueueView } from './broker-inspector.js';

const run = promisify(execFile);

/** A field table as rabbitmqctl's JSON formatter writes it: `[[key, type, value], ...]`, nested for tables. */
type JsonTable = [string, string, unknown][];

function fromTable(table: JsonTable): Record<string, unknown> {
  return Object.fromEntries(table.map(([key, type, value]) => [key, type === 'table' ? fromTable(value as JsonTable) : value]));
}

export class RabbitmqctlInspector extends BrokerInspector {
  constructor(private readonly vhost: string) {
    super();
  }

  private async json<T>(args: readonly string[]): Promise<T[]> {
    const { stdout } = await run('rabbitmqctl', ['-q', '--formatter', 'json', ...args, '-p', this.vhost], { timeout: 30_000 });
    return stdout.trim() === '' ? [] : (JSON.parse(stdout) as T[]);
  }

  async listQueues(): Promise<QueueView[]> {
    type Row = {
      name: string;
      messages_ready: number;
      messages_unacknowledged: number;
      consumers: number;
      durable: boolean;
      auto_delete: boolean;
      exclusive: boolean;
      arguments: JsonTable;
    };
    const rows = await this.json<Row>([
      'list_queues',
      'name',
      'messages_ready',
      'messages_unacknowledged',
      'consumers',
      'durable',
      'auto_delete',
      'exclusive',
      'arguments',
    ]);
    return rows.map((r) => ({
      name: r.name,
      messages: r.messages_ready,
      unacked: r.messages_unacknowledged,
      consumers: r.consumers,
      durable: r.durable,
      autoDelete: r.auto_delete,
      exclusive: r.exclusive,
      arguments: fromTable(r.arguments),
    }));
  }

  async listExchanges(): Promise<ExchangeView[]> {
    type Row = { name: string; type: string; durable: boolean; auto_delete: boolean };
    return (await this.json<Row>(['list_exchanges', 'name', 'type', 'durable', 'auto_delete'])).map((r) => ({
      name: r.name,
      type: r.type,
      durable: r.durable,
      autoDelete: r.auto_delete,
    }));
  }

  async listBindings(): Promise<BindingView[]> {
    type Row = { source_name: string; destination_name: string; routing_key: string };
    return (await this.json<Row>(['list_bindings', 'source_name', 'destination_name', 'routing_key'])).map((r) => ({
      source: r.source_name,
      destination: r.destination_name,
      routingKey: r.routing_key,
    }));
  }

  async closeConnectionsNamed(connectionName: string, reason = 'closed by camq test'): Promise<number> {
    // The table format, because close_connection takes the pid as it prints it (`<rabbit@host.1.2.3>`), not as JSON.
    const { stdout } = await run('rabbitmqctl', ['-q', '--no-table-headers', 'list_connections', 'pid', 'vhost', 'client_properties'], {
      timeout: 30_000,
    });
    const pids = stdout
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(([, vhost, props]) => vhost === this.vhost && props?.includes(`{"connection_name","${connectionName}"}`))
      .map(([pid]) => pid!);
    for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, reason], { timeout: 30_000 });
    return pids.length;
  }
}
