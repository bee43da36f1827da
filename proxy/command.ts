import { serviceCommand } from '../common/command.js';
import { proxyOptions } from './options.js';
import { startProxy } from './server.js';

export const proxyCommand = serviceCommand({
  name: 'proxy',
  describe: 'Run the TLS edge: HTTPS/WSS on --https-port, redirects and ACME challenges on --http-port',
  section: 'proxy',
  options: proxyOptions,
  start: startProxy,
});
