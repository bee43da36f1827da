// `node --import dist/test/support/module-trace.js ...`: records which npm packages a process imports, one name per
// line, in the file named by OCPP_EDGE_TEST_MODULE_TRACE (test/common/command-imports.test.ts).

import { register } from 'node:module';

register(new URL('./module-trace-hooks.js', import.meta.url));
