// Runs the benchmark (bench/run.mjs, on the built dist/) as a child process,
// for the tests of its harness.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

export interface BenchRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bench/run.mjs …args` with these variables added to the environment. */
export function runBench(args: string[], env: Record<string, string> = {}): Promise<BenchRun> {
  return runBenchScript('run.mjs', args, env);
}

/** `node bench/<script> …args` (run.mjs, ab.mjs, …) with these variables added to the environment. */
export function runBenchScript(script: string, args: string[], env: Record<string, string> = {}): Promise<BenchRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(root, 'bench', script), ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
