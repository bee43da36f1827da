// TLS session ticket keys shared through a file (--tls-ticket-keys, nginx's ssl_session_ticket_key). Without it
// every proxy process draws its own random keys, so a charger whose session ticket came from one PM2 worker, or
// from one machine behind a balancer, gets a full handshake when its next connection lands on another. Every
// process that reads the same file encrypts and accepts the same tickets.
//
// The file holds the 48 bytes Node's tls.Server#setTicketKeys takes (16-byte key name, 16-byte HMAC secret,
// 16-byte AES key), either raw (`openssl rand 48 > FILE`) or as one line of text, hex (`openssl rand -hex 48`)
// or base64 (`openssl rand -base64 48`), for keys kept in a secret store. nginx's 80-byte files do not fit Node's
// ticket format and are refused rather than cut down.
//
// A file that does not exist is created with 48 random bytes, mode 0600: written and fsynced under a temporary
// name, then link()ed to its real name. link() never replaces an existing file, so when several workers start at
// the same moment exactly one of them creates it, the others get EEXIST, and all read the same complete key.

import { randomBytes } from 'node:crypto';
import { type FileHandle, link, mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../common/config.js';

/** Key material Node's tls.Server#setTicketKeys takes, in bytes. */
export const TICKET_KEYS_BYTES = 48;

const OPTION = '--tls-ticket-keys';
/** Larger than any of the accepted forms with some whitespace; stops a wrong path (a log file, /dev/zero) early. */
const MAX_FILE_BYTES = 1024;
const EXPECTED = `${TICKET_KEYS_BYTES} bytes: raw, ${TICKET_KEYS_BYTES * 2} hex digits or ${(TICKET_KEYS_BYTES / 3) * 4} base64 characters (openssl rand ${TICKET_KEYS_BYTES} > FILE)`;

/**
 * The ticket keys in `file`, creating the file with random keys first when it does not exist. Throws a ConfigError
 * naming --tls-ticket-keys when the file cannot be read or created, or does not hold a key.
 */
export async function loadTicketKeys(file: string): Promise<Buffer> {
  const existing = await readKeyFile(file);
  if (existing !== undefined) return parseTicketKeys(existing, file);
  await createKeyFile(file);
  const created = await readKeyFile(file);
  if (created === undefined)
    throw new ConfigError(OPTION, `cannot read ${file} (ENOENT): it disappeared right after it was created`);
  return parseTicketKeys(created, file);
}

/** The 48 bytes of key material in a file's contents: raw, or hex or base64 text with surrounding whitespace. */
export function parseTicketKeys(contents: Buffer, file: string): Buffer {
  if (contents.length === TICKET_KEYS_BYTES) return contents;
  const text = contents.toString('latin1').trim();
  if (/^[0-9a-f]+$/i.test(text) && text.length === TICKET_KEYS_BYTES * 2) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text, 'base64');
    if (decoded.length === TICKET_KEYS_BYTES) return decoded;
  }
  throw new ConfigError(
    OPTION,
    `${file} holds ${contents.length} bytes that are not a ticket key; expected ${EXPECTED}`,
  );
}

/** The file's contents, or undefined when it does not exist. */
async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(
      OPTION,
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new ConfigError(OPTION, `${file} is not a regular file`);
    if (stats.size > MAX_FILE_BYTES)
      throw new ConfigError(
        OPTION,
        `${file} holds ${stats.size} bytes that are not a ticket key; expected ${EXPECTED}`,
      );
    return await handle.readFile();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      OPTION,
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  } finally {
    await handle.close();
  }
}

/** Creates `file` with random keys unless another process gets there first (then its file stays as it is). */
async function createKeyFile(file: string): Promise<void> {
  const directory = path.dirname(file);
  const temporary = path.join(
    directory,
    `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(randomBytes(TICKET_KEYS_BYTES));
      // On disk before it gets its name: after a crash the file is either absent or complete, never empty.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, file).catch((error: NodeJS.ErrnoException) => {
      // Another process created it between our read and our link: use theirs.
      if (error.code !== 'EEXIST') throw error;
    });
  } catch (error) {
    throw new ConfigError(
      OPTION,
      `cannot create ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  } finally {
    await unlink(temporary).catch(() => {});
  }
}
