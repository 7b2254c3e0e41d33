import * as net from 'node:net';
import type { DbResponse } from './database-server';

export class DbError extends Error {
  constructor(
    readonly code: 'CONNECTION_CLOSED' | 'QUERY_FAILED' | 'CONNECT_FAILED',
    message: string,
  ) {
    super(message);
  }
}

type Waiter = { resolve: (rows: Array<Record<string, unknown>>) => void; reject: (error: Error) => void };

/** One client connection to the database server: a socket and the queries waiting on it. */
export class DbConnection {
  private static nextId = 1;
  readonly id = DbConnection.nextId++;
  private readonly waiting = new Map<number, Waiter>();
  private nextQueryId = 1;
  private buffer = '';

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => this.failAll(new DbError('CONNECTION_CLOSED', 'connection closed')));
    socket.on('error', () => socket.destroy());
  }

  static connect(host: string, port: number, timeoutMs = 2_000): Promise<DbConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DbError('CONNECT_FAILED', `connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new DbConnection(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new DbError('CONNECT_FAILED', `connect to ${host}:${port} failed: ${error.message}`));
      });
    });
  }

  get alive(): boolean {
    return !this.socket.destroyed;
  }

  query(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    if (!this.alive) return Promise.reject(new DbError('CONNECTION_CLOSED', 'connection closed'));
    const id = this.nextQueryId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.socket.write(JSON.stringify({ id, sql, params }) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      newline = this.buffer.indexOf('\n');
      const response = JSON.parse(line) as DbResponse;
      const waiter = this.waiting.get(response.id);
      if (!waiter) continue;
      this.waiting.delete(response.id);
      if ('error' in response) waiter.reject(new DbError('QUERY_FAILED', response.error));
      else waiter.resolve(response.rows);
    }
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
