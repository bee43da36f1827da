#!/usr/bin/env node
// The ocpp-edge command: the Node version first (node:fs and semver only), then the command line itself. Static
// imports are evaluated before any code of this module runs, so the CLI comes in by a dynamic import afterwards: a
// Node too old for one of its dependencies still gets the message instead of a SyntaxError from deep in
// node_modules.

import { EXIT_CONFIG } from '../common/exit-codes.js';
import { supportedNodeRange, unsupportedNodeMessage } from './node-version.js';

const unsupported = unsupportedNodeMessage(process.versions.node, supportedNodeRange());
if (unsupported !== undefined) {
  process.stderr.write(unsupported);
  process.exit(EXIT_CONFIG);
}
await import('./cli.js');
