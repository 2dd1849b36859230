import { isIPv4 } from 'node:net';

/**
 * Whether a peer address is a loopback one (127.0.0.0/8, ::1, or IPv4 loopback mapped into IPv6), as RabbitMQ's
 * `loopback_users` rule decides who may log in as guest.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return v4.startsWith('127.');
  return address === '::1';
}
