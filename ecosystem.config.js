// The PM2 process file under its usual name, for `pm2 start ecosystem.config.js`. The settings are in
// ecosystem.config.cjs.
//
// package.json says "type": "module", so this file is an ES module. PM2 loads process files with require(),
// which on Node >= 20.19 (our minimum, see "engines") can load an ES module without top-level await and gives
// its named exports: PM2 then reads `apps` from them. On older Node, use ecosystem.config.cjs.

import ecosystem from './ecosystem.config.cjs';

export const apps = ecosystem.apps;

export default ecosystem;
