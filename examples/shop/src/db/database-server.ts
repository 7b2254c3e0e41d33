import * as net from 'node:net';

/**
 * A small in-process "database" on a loopback port, so the shop's pool holds real TCP
 * connections. The protocol is one JSON object per line each way: `{id, sql, params}` in,
 * `{id, rows}` or `{id, error}` out, after a few milliseconds of "query time".
 */
export interface DatabaseServer {
  readonly host: string;
  readonly port: number;
  /** Connections currently open from clients. */
  openConnections(): number;
  close(): Promise<void>;
}

export interface DbRequest {
  id: number;
  sql: string;
  params?: unknown[];
}
export type DbResponse = { id: number; rows: Array<Record<string, unknown>> } | { id: number; error: string };

const QUERY_TIME_MS = { min: 2, max: 8 };

export function executeQuery(request: DbRequest): DbResponse {
  const verb = request.sql.trim().split(/\s+/)[0]?.toUpperCase();
  const id = Number(request.params?.[0] ?? 1);
  switch (verb) {
    case 'SELECT':
      return { id: request.id, rows: [{ id, name: `item-${id}`, stock: 40 + (id % 7), price: 10 + (id % 5) }] };
    case 'INSERT':
    case 'UPDATE':
      return { id: request.id, rows: [{ rowCount: 1 }] };
    default:
      return { id: request.id, error: `syntax error at or near "${verb ?? ''}"` };
  }
}

export async function startDatabaseServer(host = '127.0.0.1'): Promise<DatabaseServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        answer(socket, line);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    host,
    port: address.port,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function answer(socket: net.Socket, line: string): void {
  let request: DbRequest;
  try {
    request = JSON.parse(line) as DbRequest;
  } catch {
    socket.write(JSON.stringify({ id: -1, error: 'malformed request' }) + '\n');
    return;
  }
  const delay = QUERY_TIME_MS.min + Math.random() * (QUERY_TIME_MS.max - QUERY_TIME_MS.min);
  setTimeout(() => {
    if (!socket.destroyed) socket.write(JSON.stringify(executeQuery(request)) + '\n');
  }, delay);
}
