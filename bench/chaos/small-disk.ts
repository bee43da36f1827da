// A small filesystem of its own for the SQLite scenario (a tmpfs of a few MiB, mounted when this process may
// mount), and a way to fill it to the last byte and free it again: the backend's disk full, ENOSPC for real.

import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FILLER = '.filler';

export interface SmallDisk {
  dir: string;
  /** Writes a filler file until the filesystem says ENOSPC; resolves with the bytes it took. */
  fill(): Promise<number>;
  /** Deletes the filler: space again. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

/** A tmpfs of `sizeMiB` on a temporary directory; throws (with mount's reason) when mounting is not allowed. */
export async function mountSmallDisk(sizeMiB: number): Promise<SmallDisk> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-chaos-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', dir]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`cannot mount a tmpfs (root needed): ${(error as Error).message.trim()}`);
  }
  const filler = path.join(dir, FILLER);
  return {
    dir,
    async fill() {
      const handle = await open(filler, 'a');
      let written = 0;
      try {
        const block = Buffer.alloc(64 * 1024);
        for (;;) {
          const { bavail, bsize } = await statfs(dir);
          const room = bavail * bsize;
          if (room === 0) break;
          try {
            const { bytesWritten } = await handle.write(block, 0, Math.min(block.length, room));
            written += bytesWritten;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw error;
          }
        }
      } finally {
        await handle.close();
      }
      return written;
    },
    free: () => rm(filler, { force: true }),
    async unmount() {
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
