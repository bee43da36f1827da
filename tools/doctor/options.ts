// Every setting of `ocpp-edge doctor` (common/config.ts). What the checks are held against comes from the
// proxy: and backend: sections of --config (ports, domains, listen backlog); these say what is planned and
// where to look.

import type { OptionSpecs } from '../../common/config.js';

export const doctorOptions = {
  fleet: {
    type: 'number',
    integer: true,
    min: 1,
    describe: 'Chargers planned on this host: the file-descriptor limits and queues are checked against it',
    default: 1000,
  },
  address: {
    type: 'string',
    array: true,
    describe:
      "This host's public addresses, which the domains must resolve to (default: the addresses of its interfaces; give it behind NAT)",
  },
  resolver: {
    type: 'string',
    describe: 'DNS server (IP[:PORT]) to ask for the A/AAAA records instead of the system resolver',
  },
  'ntp-server': {
    type: 'string',
    describe: 'Measure the clock offset against this NTP server (HOST[:PORT]) instead of asking timedatectl or chrony',
  },
  'unit-dir': {
    type: 'string',
    describe:
      'Where the systemd units are installed: their LimitNOFILE and AmbientCapabilities are what the services get',
    default: '/etc/systemd/system',
  },
  json: { type: 'boolean', describe: 'Print the findings as JSON instead of lines', default: false },
} as const satisfies OptionSpecs;
