// Finds the config files of a directory: every *.yaml / *.yml below it,
// recursively, skipping hidden entries (.git, editor folders) and node_modules.
// Symbolic links are followed, but every directory and file is read once
// (by its device and inode, so a hard link counts as the same file as well as
// a symbolic one): a link loop or a file linked in twice does not load
// documents twice. Sorted by relative path so diagnostics and config order
// are deterministic; of two paths to one file, the first in that order is used.
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export const CONFIG_FILE = /\.ya?ml$/i;

export interface DiscoveredFile {
  /** Relative to the config directory, `/`-separated. */
  file: string;
  absPath: string;
}

export async function discoverFiles(dir: string): Promise<DiscoveredFile[]> {
  const found: (DiscoveredFile & { real: string })[] = [];
  const seenDirs = new Set<string>();
  const visit = async (current: string, depth: number): Promise<void> => {
    if (depth > 32) return; // absurd trees
    const real = await realpath(current).catch(() => current);
    if (seenDirs.has(real)) return; // a link back into a directory already read
    seenDirs.add(real);
    const entries = (await readdir(current, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const abs = join(current, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(abs).catch(() => undefined);
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDir) await visit(abs, depth + 1);
      else if (CONFIG_FILE.test(entry.name)) {
        // A *.yaml that is not a regular file (a FIFO, a device, a socket, a
        // dangling link) is listed too: reading it (parse.ts, bounded-read.ts)
        // turns it into a clear error naming it instead of skipping it silently.
        // Device + inode identify the file across symbolic and hard links alike.
        const id = isFile
          ? await stat(abs, { bigint: true }).then(
              (s) => `${s.dev}:${s.ino}`,
              () => abs,
            )
          : abs;
        found.push({ file: relative(dir, abs).split(sep).join('/'), absPath: abs, real: id });
      }
    }
  };
  await visit(dir, 0);
  found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const seenFiles = new Set<string>();
  const files: DiscoveredFile[] = [];
  for (const { file, absPath, real } of found) {
    if (seenFiles.has(real)) continue;
    seenFiles.add(real);
    files.push({ file, absPath });
  }
  return files;
}
