import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

export type Machine = {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  date: string;
  commit: string;
  dirty: boolean;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
};

export function machine(): Machine {
  const git = (args: string[]): string => {
    try {
      return execFileSync('git', args, { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    date: new Date().toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
