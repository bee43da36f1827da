// The settings every operator command (chargers, tags, transactions) shares: where the REST API is, the token it
// takes, JSON or a table. Flags > OCPP_EDGE_CLI_API_URL / OCPP_EDGE_CLI_TOKEN > the backend: section of --config
// (the backend's own address and its strongest api-token) > http://127.0.0.1:8080. The variables carry the
// command line's own prefix like every process's: a plain OCPP_EDGE_API_TOKEN in an operator's shell would be the
// backend's refused old name (common/config.ts) and stop `ocpp-edge backend` or `dev` started from that shell.

import { checks, type ConfigOf, type OptionSpecs } from '../../common/config.js';

export const apiOptions = {
  'api-url': {
    type: 'string',
    describe:
      "Base URL of the backend's REST API (default: the backend: section of --config, else http://127.0.0.1:8080)",
    check: checks.httpUrl,
  },
  token: {
    type: 'string',
    secret: true,
    describe: "Bearer token of the API (default: the strongest api-token of --config's backend: section)",
  },
  json: { type: 'boolean', describe: 'Machine output: JSON on stdout instead of a table', default: false },
  'page-size': {
    type: 'number',
    integer: true,
    min: 1,
    max: 1000,
    describe: 'Items asked per API request; lists follow the pages to the end',
    default: 1000,
  },
  timeout: { type: 'number', min: 0.1, max: 600, describe: 'Seconds each API request may take', default: 30 },
} as const satisfies OptionSpecs;

/** The section name of the options: OCPP_EDGE_CLI_API_URL, OCPP_EDGE_CLI_TOKEN. */
export const API_SECTION = 'cli';

export type ApiConfig = ConfigOf<typeof apiOptions>;
