// Crash-safe file replacement: a file is written under a temporary name in
// its final folder, flushed to disk, then renamed over the old one. rename(2)
// within one file system is atomic, so a reader (or a crash) sees either the
// whole old file or the whole new one, never a torn mix.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

/** A file fully written and flushed under a temporary name, not yet visible under its final one. */
export interface StagedFile {
  readonly path: string;
  readonly tempPath: string;
  /** Renames the file into place. Call `syncFolder` afterwards to make the rename itself durable. */
  commit(): void;
  /** Removes the temporary file. */
  discard(): void;
}

/**
 * Writes a file under a temporary name beside `path` through `write(fd)`,
 * then fsyncs it. On failure the temporary file is removed and the error is
 * rethrown; the file at `path` is untouched either way until `commit()`.
 */
export async function stageFile(path: string, write: (fd: number) => void | Promise<void>): Promise<StagedFile> {
  const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(tempPath, "wx");
  try {
    await write(fd);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tempPath, { force: true });
    throw error;
  }
  closeSync(fd);
  return {
    path,
    tempPath,
    commit: () => renameSync(tempPath, path),
    discard: () => rmSync(tempPath, { force: true }),
  };
}

/** Makes renames and removals in `folder` durable (a no-op where folders cannot be fsynced). */
export function syncFolder(folder: string): void {
  let fd: number;
  try {
    fd = openSync(folder, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on a folder; the rename is still atomic there
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to `path` atomically (temporary file, fsync, rename, folder fsync). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const staged = await stageFile(path, (fd) => writeFully(fd, bytes));
  staged.commit();
  syncFolder(dirname(path));
}

/** writeSync may write fewer bytes than asked; loop until all are out. */
export function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
}
