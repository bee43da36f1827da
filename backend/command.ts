import { serviceCommand } from '../common/command.js';
import { backendOptions } from './options.js';
import { startBackend } from './server.js';

export const backendCommand = serviceCommand({
  name: 'backend',
  describe: 'Run the OCPP 1.6-J central system: /ocpp/{id}, the REST API under /api/, /health and /metrics',
  section: 'backend',
  options: backendOptions,
  start: startBackend,
});
