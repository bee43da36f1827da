// The real `ocpp-edge proxy` command as a child process, on ephemeral ports, its JSON log lines read (the bound
// ports come from its "proxy listening" line).

import {
  runCli,
  spawnOcppEdge,
  type CliOptions,
  type CliResult,
  type OcppEdgeOptions,
  type OcppEdgeProcess,
} from './cli.js';

export interface ProxyProcess extends OcppEdgeProcess {
  httpsPort: number;
  httpPort: number;
  metricsPort: number;
}

/** Loopback, and ports the OS picks (the "proxy listening" line says which). */
export const EPHEMERAL_PROXY_PORTS = [
  '--host',
  '127.0.0.1',
  '--https-port',
  '0',
  '--http-port',
  '0',
  '--metrics-port',
  '0',
];
const JSON_LOGS = { OCPP_EDGE_LOG_PRETTY: '0' };

/** `ocpp-edge proxy` on ephemeral ports with `args`, once it listens. */
export async function startProxyProcess(
  args: string[],
  timeoutMs = 15_000,
  options: Omit<OcppEdgeOptions, 'env'> = {},
): Promise<ProxyProcess> {
  const proxy = spawnOcppEdge(['proxy', ...EPHEMERAL_PROXY_PORTS, ...args], { ...options, env: JSON_LOGS });
  const line = await proxy.logLine('proxy listening', timeoutMs).catch(async (error: Error) => {
    await proxy.stop('SIGKILL');
    throw error;
  });
  return {
    ...proxy,
    httpsPort: Number(line.httpsPort),
    httpPort: Number(line.httpPort),
    metricsPort: Number(line.metricsPort),
  };
}

export type CommandResult = CliResult;

/** Runs `ocpp-edge proxy ...` to completion (configuration errors exit at once). */
export function runProxyCommand(args: string[], options: CliOptions = {}): Promise<CommandResult> {
  return runCli(['proxy', ...args], { ...options, env: { ...JSON_LOGS, ...options.env } });
}
