// Every setting of `ocpp-edge status`, declared once (common/config.ts): where the private metrics listeners of
// the proxy and the backend are (default: the proxy: and backend: sections of --config, else the defaults of
// those sections), how long to sample the counters for the error rates, and the API for the running sessions.

import { checks, type OptionSpecs } from '../../common/config.js';
import { apiOptions } from '../operator/options.js';

export const statusOptions = {
  'proxy-metrics-url': {
    type: 'string',
    describe:
      "The proxy's private metrics listener (GET /status, /healthz); default from --config's proxy: section, else http://127.0.0.1:9464",
    check: checks.httpUrl,
  },
  'backend-metrics-url': {
    type: 'string',
    describe:
      "The backend's private metrics listener (GET /metrics, /healthz); default from --config's backend: section, else http://127.0.0.1:9465",
    check: checks.httpUrl,
  },
  sample: {
    type: 'number',
    min: 0,
    max: 300,
    describe: 'Seconds between the two readings of the counters the error rates come from (0: totals only)',
    default: 5,
  },
  'min-days': {
    type: 'number',
    min: 0,
    describe: 'A certificate with fewer days left counts as a problem (exit 1), as in check and config/alerts.yml',
    default: 7,
  },
  ...apiOptions,
} as const satisfies OptionSpecs;
