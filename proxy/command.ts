import { serviceCommand } from '../common/command.js';
import { proxyOptions } from './options.js';
import { startProxy } from './server.js';

export const proxyCommand = serviceCommand({
  name: 'proxy',
  describe: 'Run the TLS edge: HTTPS/WSS on --https-port, redirects and ACME challenges on --http-port',
  section: 'proxy',
  options: proxyOptions,
  start: startProxy,
  // The drain, then up to 3 s of WebSocket close frames (in parallel with it), 1 s for the listeners and 1 s for
  // the log: 5 s of margin stays under PM2's kill_timeout (drain + 10 s) and systemd's TimeoutStopSec (30 s).
  stopDeadlineMs: (config) => config.drainTimeout * 1000 + 5000,
});
