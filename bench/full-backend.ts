// `ocpp-edge backend`, the real central system, as the bench runs it behind a target: a fresh database of the
// chosen kind (bench-database.ts), JSON logs, production mode, an ephemeral port on loopback. The boot storm and the
// capacity run use it; the other measurements use the echo backend (backend-echo.ts).

import { createBenchDatabase, type BenchDatabase, type BenchDatabaseKind } from './bench-database.js';
import { startProcess, stopProcess, type StartedProcess } from './child-process.js';
import { OCPP_EDGE_CLI } from './targets.js';

export interface FullBackend {
  process: StartedProcess;
  port: number;
  database: BenchDatabase;
  /** Undefined while it runs; why it is gone otherwise (exit code, its last error lines). */
  failure(): string | undefined;
  /** Its last log lines at level error or fatal (pino JSON), for a report that must say what went wrong. */
  errors(): string[];
  stop(): Promise<void>;
}

/** pino's level of `error`: lines at or above it are kept. */
const ERROR_LEVEL = 50;
const KEPT_ERRORS = 10;

export async function startFullBackend(
  kind: BenchDatabaseKind,
  options: { nodeBinary?: string; args?: string[] } = {},
): Promise<FullBackend> {
  const database = await createBenchDatabase(kind);
  const errors: string[] = [];
  try {
    const started = await startProcess(
      options.nodeBinary ?? process.execPath,
      [
        // Profiling the central system: OCPP_EDGE_BENCH_BACKEND_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
        ...(process.env.OCPP_EDGE_BENCH_BACKEND_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== ''),
        OCPP_EDGE_CLI,
        'backend',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--database',
        database.url,
        // Its own metrics port: other backends (tests, other runs) may hold the default.
        '--metrics-port',
        '0',
        // As in production: one JSON line per boot, connection and command, through a pipe.
        '--log-level',
        'info',
        ...(options.args ?? []),
      ],
      {
        isReady: (line) => line.msg === 'backend listening',
        env: { ...process.env, OCPP_EDGE_LOG_PRETTY: '0', NODE_ENV: 'production' },
        // PostgreSQL's migrations on a loaded machine take longer than SQLite's.
        timeoutMs: 60_000,
        onLine: (line) => {
          if (!line.includes('"level":')) return;
          const { level } = JSON.parse(line) as { level?: number };
          if ((level ?? 0) < ERROR_LEVEL) return;
          errors.push(line.slice(0, 2000));
          if (errors.length > KEPT_ERRORS) errors.shift();
        },
      },
    );
    return {
      process: started,
      port: Number(started.ready.port),
      database,
      errors: () => [...errors],
      failure: () =>
        started.child.exitCode === null && started.child.signalCode === null
          ? undefined
          : `backend exited (${started.child.exitCode ?? started.child.signalCode}): ${started.stderr()} ${errors.join('\n')}`,
      stop: async () => {
        await stopProcess(started.child, 10_000);
        await database.cleanup();
      },
    };
  } catch (error) {
    await database.cleanup();
    throw error;
  }
}
