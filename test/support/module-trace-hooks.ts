// The resolve hook behind module-trace.ts (it runs on the loader thread): appends the package name of every
// module resolved from node_modules. Packages that only require() each other are not seen; what our code imports
// is.

import { appendFileSync } from 'node:fs';

interface ResolveResult {
  url: string;
}

const PACKAGE = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//;

export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: (specifier: string, context: unknown) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  const result = await nextResolve(specifier, context);
  const name = PACKAGE.exec(result.url)?.[1];
  const file = process.env.OCPP_EDGE_TEST_MODULE_TRACE;
  if (name && file) appendFileSync(file, `${name}\n`);
  return result;
}
