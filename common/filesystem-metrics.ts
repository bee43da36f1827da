// Free and total space of the filesystems that hold what ocpp-edge writes: the proxy's data directory
// (certificates, the ACME account), the SQLite database and the log directory. Read with statfs at each scrape
// (a system call per directory and gauge), so the numbers are as fresh as the scrape, and nothing runs between scrapes.
// Named like node_exporter's node_filesystem_avail_bytes / node_filesystem_size_bytes, so the "disk > 80 % full"
// rule (config/alerts.yml, OcppEdgeDiskSpaceLow) reads the same way.

import { statfsSync } from 'node:fs';
import path from 'node:path';
import { Gauge, type Registry } from 'prom-client';

/** A directory whose filesystem is watched, and why ("data", "database", "logs"). */
export interface WatchedDirectory {
  purpose: string;
  path: string;
}

export function registerFilesystemMetrics(registry: Registry, directories: readonly WatchedDirectory[]): void {
  const watched = directories.map((directory) => ({ purpose: directory.purpose, path: path.resolve(directory.path) }));
  const read = () => watched.map((directory) => ({ directory, stats: statfsOf(directory.path) }));
  new Gauge({
    name: 'ocpp_edge_filesystem_avail_bytes',
    help: 'Bytes an unprivileged process may still write on the filesystem holding this directory (statfs f_bavail), by purpose: data (certificates, ACME), database (SQLite), logs',
    labelNames: ['purpose', 'path'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { directory, stats } of read())
        if (stats) this.set({ purpose: directory.purpose, path: directory.path }, stats.bavail * stats.bsize);
    },
  });
  new Gauge({
    name: 'ocpp_edge_filesystem_size_bytes',
    help: 'Size in bytes of the filesystem holding this directory (statfs f_blocks), by purpose',
    labelNames: ['purpose', 'path'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { directory, stats } of read())
        if (stats) this.set({ purpose: directory.purpose, path: directory.path }, stats.blocks * stats.bsize);
    },
  });
}

/**
 * The statfs of the filesystem that holds (or will hold) `dir`: the nearest directory that exists, so a data
 * directory not created yet is still watched where it will be. Undefined when not even / can be read.
 */
function statfsOf(dir: string): { bavail: number; blocks: number; bsize: number } | undefined {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      return statfsSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || current === path.dirname(current)) return undefined;
    }
  }
}
