// `ocpp-edge doctor`: the migration plan's pre-flight checks on this host, before the switch and after a change
// of machine — ports 80/443 free or ours, the domains' A/AAAA records pointing here, Node.js, jemalloc, the
// kernel's queues and the file-descriptor limits against the planned fleet, the low-port capability, clock sync.
// Each check is ✓, ! (a warning) or ✗ with its fix in one line; exit 1 when any is ✗, 2 for a bad configuration.

import type { Argv, CommandModule } from 'yargs';
import { exitWithConfigError, loadOrExit } from '../../common/command.js';
import { ConfigError, loadConfig, yargsOptions } from '../../common/config.js';
import { proxyOptions } from '../../proxy/options.js';
import { clockCheck } from './clock.js';
import { dnsCheck, interfaceAddresses } from './dns.js';
import { fileLimitCheck, jemallocCheck, kernelQueueChecks, lowPortCheck, nodeCheck, serviceLimits } from './host.js';
import { doctorOptions } from './options.js';
import { portCheck } from './ports.js';
import { formatFindings } from './report.js';
import type { Finding } from './result.js';

export const doctorCommand: CommandModule = {
  command: 'doctor',
  describe:
    'Pre-flight checks of this host: ports 80/443, DNS of the domains, Node.js, jemalloc, kernel queues and open-file limits for the fleet, low-port capability, clock sync',
  builder: (yargs: Argv) =>
    yargs
      .options(yargsOptions(doctorOptions, 'doctor') as never)
      .example('$0 doctor --config /etc/ocpp-edge/production.yaml --fleet 5000', 'before the DNS switch')
      .epilogue('Exit codes: 0 no ✗ (warnings allowed); 1 a check failed; 2 invalid configuration.'),
  handler: async (argv) => {
    const config = loadOrExit(doctorOptions, argv as Record<string, unknown>, 'doctor');
    let proxy: ReturnType<typeof loadConfig<typeof proxyOptions>>;
    try {
      proxy = loadConfig(proxyOptions, { flags: { config: config.configFile }, section: 'proxy' });
    } catch (error) {
      if (error instanceof ConfigError) exitWithConfigError(error);
      throw error;
    }
    const addresses = config.address.length > 0 ? config.address : interfaceAddresses();
    const findings: Finding[] = [
      portCheck(proxy.httpsPort, 'HTTPS'),
      portCheck(proxy.httpPort, 'HTTP'),
      ...(await Promise.all(proxy.domain.map((domain) => dnsCheck(domain, addresses, config.resolver)))),
      nodeCheck(),
      jemallocCheck(),
      ...kernelQueueChecks(proxy.listenBacklog),
      fileLimitCheck('proxy', config.fleet, serviceLimits(config.unitDir, 'ocpp-edge-proxy.service')),
      fileLimitCheck('backend', config.fleet, serviceLimits(config.unitDir, 'ocpp-edge-backend.service')),
      lowPortCheck({
        ports: [proxy.httpsPort, proxy.httpPort],
        unitDir: config.unitDir,
        uid: process.getuid?.() ?? -1,
        nodePath: process.execPath,
      }),
      await clockCheck(config.ntpServer),
    ];
    const failed = findings.some((finding) => finding.verdict === 'fail');
    const output = config.json ? `${JSON.stringify({ ok: !failed, findings }, null, 2)}\n` : formatFindings(findings);
    process.stdout.write(output, () => process.exit(failed ? 1 : 0));
  },
};
