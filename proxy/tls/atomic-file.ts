// Files the proxy keeps in its data dir (ACME state, the lock, challenge answers, the self-signed certificate) are
// written so that a crash or a full disk leaves either the old file or the new one, never a partial one.

import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a file so that readers see the old contents or the new ones, never a mix: temporary file in the same
 * directory (same file system), created with its final mode (a key is never briefly world-readable), fsync, rename.
 */
export async function writeFileAtomic(file: string, contents: string, mode: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, 'wx', mode);
    await handle.writeFile(contents);
    await handle.chmod(mode); // the umask applies at creation; make the final mode exact
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, file);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
