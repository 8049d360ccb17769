import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');
export const cli = resolve(root, 'dist/cli.js');

/** Builds dist/ (the library and the CLI) once per test file. */
export function buildCli(): void {
  execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Standard error without blank lines. Dawn's own lines are not filtered here: the CLI must drop them itself. */
export function nonEmptyLines(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .join('\n');
}

/** What onStdout can do to the running CLI: send it a signal, or close its standard output (as `| head -1` does). */
export type CliControl = (chunk: string, kill: (signal: NodeJS.Signals) => void, closeStdout: () => void) => void;

export function runCli(args: string[], options: { cwd?: string; onStdout?: CliControl; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: options.cwd ?? root, env: { ...process.env, FORCE_COLOR: '0', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(
        d.toString(),
        (signal) => child.kill(signal),
        () => child.stdout.destroy(),
      );
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr: nonEmptyLines(stderr) }));
  });
}
