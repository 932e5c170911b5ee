// Finds the config files of a directory: every *.yaml / *.yml below it,
// recursively, skipping hidden entries (.git, editor folders) and node_modules.
// Sorted by relative path so diagnostics and config order are deterministic.
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export const CONFIG_FILE = /\.ya?ml$/i;

export interface DiscoveredFile {
  /** Relative to the config directory, `/`-separated. */
  file: string;
  absPath: string;
}

export async function discoverFiles(dir: string): Promise<DiscoveredFile[]> {
  const found: DiscoveredFile[] = [];
  const visit = async (current: string, depth: number): Promise<void> => {
    if (depth > 32) return; // symlink loops and absurd trees
    const entries = await readdir(current, { withFileTypes: true });
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
      else if (isFile && CONFIG_FILE.test(entry.name)) {
        found.push({ file: relative(dir, abs).split(sep).join('/'), absPath: abs });
      }
    }
  };
  await visit(dir, 0);
  return found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
