import { activeTraceIds } from './trace-context';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'verbose';
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, verbose: 4 };

/**
 * A JSON-lines logger whose every line carries the active trace and span id, so a log line can
 * be joined to the loop iteration (trace) it belongs to. Its method shapes match Nest's
 * LoggerService, so a service passes it to `app.useLogger()` without this lib importing Nest.
 */
export class JsonLogger {
  constructor(
    private readonly service: string,
    private readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('verbose', message, rest);
  }

  child(component: string): ComponentLogger {
    return new ComponentLogger(this, component);
  }

  emit(level: LogLevel, message: unknown, rest: unknown[], fields: Record<string, unknown> = {}): void {
    if (ORDER[level] > ORDER[this.level]) return;
    // Nest passes the context (class name) as the last string argument.
    const last = rest.length > 0 ? rest[rest.length - 1] : undefined;
    const component = typeof last === 'string' ? last : undefined;
    const details = typeof last === 'string' ? rest.slice(0, -1) : rest;
    const line: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      service: this.service,
      ...(component ? { component } : {}),
      msg: message instanceof Error ? message.message : message,
      ...activeTraceIds(),
      ...fields,
    };
    if (message instanceof Error && message.stack) line['stack'] = message.stack;
    if (details.length > 0) line['details'] = details.map((d) => (d instanceof Error ? { message: d.message, stack: d.stack } : d));
    this.write(JSON.stringify(line));
  }
}

export class ComponentLogger {
  constructor(
    private readonly parent: JsonLogger,
    private readonly component: string,
  ) {}
  info(message: string, fields: Record<string, unknown> = {}): void {
    this.parent.emit('info', message, [this.component], fields);
  }
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.parent.emit('warn', message, [this.component], fields);
  }
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.parent.emit('error', message, [this.component], fields);
  }
  debug(message: string, fields: Record<string, unknown> = {}): void {
    this.parent.emit('debug', message, [this.component], fields);
  }
}
