// An installation as a list of steps, each of which knows whether it still has work to do: running the list twice
// changes nothing the second time, and a dry run prints what the first run would do without doing it.

import { execFile } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readFile, readlink, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Step {
  /** What the step is about, e.g. "/etc/ocpp-edge/backend.env". */
  subject: string;
  /** What is left to do ("create, mode 0600"), or undefined when the host is already so. */
  pending(): Promise<string | undefined>;
  apply(): Promise<void>;
  /** A step that cannot be taken here, only printed (neither changed nor unchanged). */
  note?: string;
}

export interface StepReport {
  changed: number;
  unchanged: number;
}

/** Runs (or, dry, only describes) each step in order, one line each. */
export async function runSteps(
  steps: readonly Step[],
  dryRun: boolean,
  out: (line: string) => void,
): Promise<StepReport> {
  const report: StepReport = { changed: 0, unchanged: 0 };
  for (const step of steps) {
    if (step.note !== undefined) {
      out(`  skip      ${step.subject}: ${step.note}`);
      continue;
    }
    const pending = await step.pending();
    if (pending === undefined) {
      out(`  ok        ${step.subject}`);
      report.unchanged++;
      continue;
    }
    out(`  ${dryRun ? 'would' : 'done '}     ${step.subject}: ${pending}`);
    if (!dryRun) await step.apply();
    report.changed++;
  }
  return report;
}

/** A file's owner, when the installation may set it (root on the host itself). */
export interface Owner {
  uid: number;
  gid: number;
}

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

async function statOrUndefined(file: string) {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function ownerDiffers(stats: { uid: number; gid: number }, owner: Owner | undefined): boolean {
  return owner !== undefined && (stats.uid !== owner.uid || stats.gid !== owner.gid);
}

export function directoryStep(subject: string, dir: string, mode: number, owner?: Owner): Step {
  return {
    subject,
    async pending() {
      const stats = await statOrUndefined(dir);
      if (!stats) return `create, mode ${octal(mode)}`;
      if (!stats.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
      if ((stats.mode & 0o7777) !== mode) return `mode ${octal(stats.mode)} → ${octal(mode)}`;
      if (ownerDiffers(stats, owner)) return `owner ${stats.uid}:${stats.gid} → ${owner!.uid}:${owner!.gid}`;
      return undefined;
    },
    async apply() {
      // Missing parents with the usual 0755 (/var/lib, /opt), only the directory itself with its own mode.
      await mkdir(path.dirname(dir), { recursive: true });
      await mkdir(dir, { recursive: true, mode });
      await chmod(dir, mode);
      if (owner) await chown(dir, owner.uid, owner.gid);
    },
  };
}

export interface FileStepOptions {
  mode: number;
  owner?: Owner;
  /**
   * Written only when missing, never replaced (the configuration and the secrets: the operator edits them); a file
   * of ours (a unit, the log rotation) is rewritten when its content differs.
   */
  keepExisting?: boolean;
}

export function fileStep(subject: string, file: string, content: () => string, options: FileStepOptions): Step {
  const { mode, owner, keepExisting = false } = options;
  return {
    subject,
    async pending() {
      const stats = await statOrUndefined(file);
      if (!stats) return `create, mode ${octal(mode)}`;
      if (!keepExisting && (await readFile(file, 'utf8')) !== content()) return 'rewrite (content differs)';
      if ((stats.mode & 0o7777) !== mode) return `mode ${octal(stats.mode)} → ${octal(mode)}`;
      if (ownerDiffers(stats, owner)) return `owner ${stats.uid}:${stats.gid} → ${owner!.uid}:${owner!.gid}`;
      return undefined;
    },
    async apply() {
      const stats = await statOrUndefined(file);
      if (!stats || !keepExisting) {
        await mkdir(path.dirname(file), { recursive: true });
        // Created with its final mode, so a secret is never readable by others, not even for a moment.
        const temporary = `${file}.${process.pid}.tmp`;
        await writeFile(temporary, content(), { mode, flag: 'wx' });
        await chmod(temporary, mode);
        if (owner) await chown(temporary, owner.uid, owner.gid);
        await rename(temporary, file);
        return;
      }
      await chmod(file, mode);
      if (owner) await chown(file, owner.uid, owner.gid);
    },
  };
}

/** A command run once when `isDone` says its work is missing (useradd, setcap). */
export function commandStep(subject: string, command: readonly string[], isDone: () => Promise<boolean>): Step {
  return {
    subject,
    async pending() {
      return (await isDone()) ? undefined : `run ${command.join(' ')}`;
    },
    async apply() {
      await run(command[0]!, command.slice(1));
    },
  };
}

/** A step that cannot be taken here (under --root: no user, no capability on the host's node), only printed. */
export function noteStep(subject: string, note: string): Step {
  return {
    subject,
    note,
    async pending() {
      return undefined;
    },
    async apply() {},
  };
}

/** Where a symbolic link points, or undefined when there is none. */
export async function linkTarget(link: string): Promise<string | undefined> {
  try {
    return await readlink(link);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Points `link` at `target` in one rename (a new link beside it, renamed over the old one): a reader sees the old
 * target or the new one, never no link.
 */
export async function swapLink(link: string, target: string): Promise<void> {
  const temporary = `${link}.${process.pid}.tmp`;
  await symlink(target, temporary);
  await rename(temporary, link);
}
