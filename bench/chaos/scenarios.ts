// The faults `npm run chaos` puts the stack through, each on a stack of its own: a fresh database (a database of
// the run's private PostgreSQL cluster, or a SQLite file), the run's private Redis, backends and a proxy.

import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import path from 'node:path';
import { startTcpRelay } from '../../test/support/cluster/tcp-relay.js';
import type { TestRedis } from '../../test/support/redis-server.js';
import type { PostgresCluster } from './postgres-cluster.js';
import { startBackend, startPm2Proxy, startProxy, type BackendProcess, type ErrorLog } from './processes.js';
import type { Scenario, ScenarioStack } from './scenario-run.js';
import { mountSmallDisk } from './small-disk.js';
import { sqliteIntegrity } from './stored-transactions.js';

/** The services every PostgreSQL scenario shares: one cluster and one Redis per run, a database per scenario. */
export interface SharedServices {
  postgres?: PostgresCluster;
  redis?: TestRedis;
}

/** A fresh database in the run's cluster: chaos_<index>. */
async function freshDatabase(services: SharedServices, index: number): Promise<string> {
  if (!services.postgres) throw new Error('this scenario needs PostgreSQL (a private cluster could not start)');
  const name = `chaos_${index}`;
  const client = new pg.Client({ connectionString: services.postgres.url });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name}`);
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return services.postgres.url.replace(/\/postgres$/, `/${name}`);
}

function redisUrl(services: SharedServices): string {
  if (!services.redis) throw new Error('this scenario needs redis-server');
  return services.redis.url;
}

/** Backends on PostgreSQL (and Redis), a proxy in front of them; `fault` breaks something of it. */
async function postgresStack(
  services: SharedServices,
  context: { errors: ErrorLog; index: number },
  options: {
    backends: number;
    /** The database URL the backends use instead (a relay in between). */
    databaseVia?: (url: string) => Promise<{ url: string; stop(): Promise<void> }>;
    fault(parts: { backends: BackendProcess[]; log(line: string): void }): Promise<string[]>;
  },
): Promise<ScenarioStack> {
  const databaseUrl = await freshDatabase(services, context.index);
  const via = options.databaseVia ? await options.databaseVia(databaseUrl) : undefined;
  const backends: BackendProcess[] = [];
  for (let count = 0; count < options.backends; count++)
    backends.push(
      await startBackend(
        { database: via?.url ?? databaseUrl, redis: redisUrl(services), 'presence-lease': '10' },
        context.errors,
      ),
    );
  const proxy = await startProxy(
    backends.map((backend) => backend.url),
    context.errors,
  );
  return {
    ocppUrl: proxy.ocppUrl,
    apiUrl: backends[0]!.url,
    databaseUrl,
    inject: (log) => options.fault({ backends, log }),
    async stop() {
      await proxy.stop();
      await Promise.all(backends.map((backend) => backend.stop()));
      await via?.stop();
    },
  };
}

async function killAndRestart(backend: BackendProcess, downMs: number, log: (line: string) => void): Promise<void> {
  log(`kill -9 of the backend on port ${backend.port}; back in ${downMs / 1000} s`);
  await backend.kill();
  await sleep(downMs);
  await backend.start();
  log(`backend on port ${backend.port} running again`);
}

export function scenarios(services: SharedServices): Scenario[] {
  return [
    {
      key: 'backend-kill-pool',
      name: 'backend kill -9, pool of 2',
      description: 'two backends behind the proxy, one killed with -9 and started again 5 s later',
      chargers: 200,
      durationSec: 60,
      faultAtSec: 20,
      start: (context) =>
        postgresStack(services, context, {
          backends: 2,
          fault: async ({ backends, log }) => {
            await killAndRestart(backends[0]!, 5000, log);
            return [];
          },
        }),
    },
    {
      key: 'backend-kill-single',
      name: 'backend kill -9, single',
      description: 'one backend, killed with -9 and started again 2 s later',
      chargers: 200,
      durationSec: 60,
      faultAtSec: 20,
      start: (context) =>
        postgresStack(services, context, {
          backends: 1,
          fault: async ({ backends, log }) => {
            await killAndRestart(backends[0]!, 2000, log);
            return [];
          },
        }),
    },
    {
      key: 'postgres-restart',
      name: 'PostgreSQL restarted',
      description: 'pg_ctl restart -m immediate (every session cut, crash recovery) of the private cluster',
      chargers: 200,
      durationSec: 60,
      faultAtSec: 20,
      start: (context) =>
        postgresStack(services, context, {
          backends: 1,
          fault: async ({ log }) => {
            const began = Date.now();
            await services.postgres!.restart();
            log(`PostgreSQL restarted in ${Date.now() - began} ms`);
            return [`PostgreSQL down ${Date.now() - began} ms`];
          },
        }),
    },
    {
      key: 'postgres-unreachable',
      name: 'PostgreSQL unreachable 30 s',
      description: 'the TCP relay between backend and PostgreSQL cut (connections reset, port closed) for 30 s',
      chargers: 200,
      durationSec: 80,
      faultAtSec: 20,
      start: (context) => {
        let relay: Awaited<ReturnType<typeof startTcpRelay>> | undefined;
        return postgresStack(services, context, {
          backends: 1,
          databaseVia: async (url) => {
            const target = new URL(url);
            relay = await startTcpRelay(target.hostname, Number(target.port));
            target.port = String(relay.port);
            return { url: target.toString(), stop: () => relay!.close() };
          },
          fault: async ({ log }) => {
            log('PostgreSQL cut off for 30 s');
            await relay!.cut();
            await sleep(30_000);
            await relay!.open();
            log('PostgreSQL reachable again');
            return [];
          },
        });
      },
    },
    {
      key: 'redis-restart',
      name: 'Redis restarted',
      description: 'the private redis-server killed (-9) and started again empty 3 s later, two backends',
      chargers: 200,
      durationSec: 60,
      faultAtSec: 20,
      start: (context) =>
        postgresStack(services, context, {
          backends: 2,
          fault: async ({ log }) => {
            log('Redis killed; back in 3 s');
            await services.redis!.stop();
            await sleep(3000);
            await services.redis!.start();
            return [];
          },
        }),
    },
    {
      key: 'proxy-sighup',
      name: 'proxy SIGHUP reload',
      description: 'SIGHUP to the proxy three times, 5 s apart, under load',
      chargers: 1000,
      durationSec: 60,
      faultAtSec: 20,
      start: async (context) => {
        const databaseUrl = await freshDatabase(services, context.index);
        const backend = await startBackend({ database: databaseUrl, redis: redisUrl(services) }, context.errors);
        const proxy = await startProxy([backend.url], context.errors);
        return {
          ocppUrl: proxy.ocppUrl,
          apiUrl: backend.url,
          databaseUrl,
          async inject(log) {
            for (let count = 1; count <= 3; count++) {
              await proxy.reload();
              log(`SIGHUP ${count}: reloaded`);
              await sleep(5000);
            }
            return [];
          },
          async stop() {
            await proxy.stop();
            await backend.stop();
          },
        };
      },
    },
    {
      key: 'proxy-pm2-reload',
      name: 'proxy PM2 reload',
      description: "pm2 reload of the ecosystem's proxy app (cluster mode) under a private PM2 daemon",
      chargers: 1000,
      durationSec: 60,
      faultAtSec: 20,
      start: async (context) => {
        const databaseUrl = await freshDatabase(services, context.index);
        const backend = await startBackend({ database: databaseUrl, redis: redisUrl(services) }, context.errors);
        const proxy = await startPm2Proxy(backend.url);
        return {
          ocppUrl: proxy.ocppUrl,
          apiUrl: backend.url,
          databaseUrl,
          async inject(log) {
            const began = Date.now();
            await proxy.reload();
            log(`pm2 reload done in ${Date.now() - began} ms`);
            return [];
          },
          async stop() {
            await proxy.stop();
            await backend.stop();
          },
        };
      },
    },
    {
      key: 'sqlite-disk-full',
      name: 'SQLite disk full',
      description: 'the SQLite database on a 16 MiB tmpfs, filled to ENOSPC for 15 s, then freed',
      chargers: 200,
      durationSec: 60,
      faultAtSec: 20,
      start: async (context) => {
        const disk = await mountSmallDisk(16);
        const file = path.join(disk.dir, 'ocpp.db');
        const backend = await startBackend({ database: `sqlite:${file}` }, context.errors);
        const proxy = await startProxy([backend.url], context.errors);
        return {
          ocppUrl: proxy.ocppUrl,
          apiUrl: backend.url,
          databaseUrl: `sqlite:${file}`,
          async inject(log) {
            const bytes = await disk.fill();
            log(`disk full (${bytes} bytes of filler); freed in 15 s`);
            await sleep(15_000);
            await disk.free();
            log('disk freed');
            return [];
          },
          async afterRun() {
            await proxy.stop();
            await backend.stop();
            return [`integrity_check: ${sqliteIntegrity(file)}`];
          },
          async stop() {
            await proxy.stop();
            await backend.stop();
            await disk.unmount();
          },
        };
      },
    },
  ];
}
