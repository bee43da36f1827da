// What SIGHUP may change besides certificate contents. The config file is read again, but only the certificate
// paths are applied while serving, and only when the running configuration took them from that file (flags and
// environment win over the file, so paths given there stay as they are). Any other change in the file is
// reported as needing a restart rather than half-applied.

import { loadConfig } from '../common/config.js';
import { proxyOptions, type ProxyConfig } from './options.js';

export interface CertificatePaths {
  cert: string[];
  key: string[];
}

export class ReloadableConfigFile {
  private startupValues: Record<string, unknown>;
  readonly ownsCertificatePaths: boolean;

  constructor(
    private readonly configFile: string,
    running: ProxyConfig,
  ) {
    this.startupValues = readFileOnly(configFile);
    const fromFile = this.startupValues as unknown as CertificatePaths;
    this.ownsCertificatePaths = sameList(fromFile.cert, running.cert) && sameList(fromFile.key, running.key);
  }

  /** Reads the file again (ConfigError if it became invalid): the new certificate paths and the other keys that changed. */
  read(): { paths: CertificatePaths; restartNeeded: string[] } {
    const values = readFileOnly(this.configFile);
    const restartNeeded = Object.keys(values).filter(
      (key) =>
        key !== 'cert' && key !== 'key' && JSON.stringify(values[key]) !== JSON.stringify(this.startupValues[key]),
    );
    return { paths: values as unknown as CertificatePaths, restartNeeded };
  }
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** The configuration as the file alone (plus defaults) gives it. */
function readFileOnly(configFile: string): Record<string, unknown> {
  return loadConfig(proxyOptions, { flags: { config: configFile }, env: {}, section: 'proxy' }) as unknown as Record<
    string,
    unknown
  >;
}
