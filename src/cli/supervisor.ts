// Dawn's native code writes its adapter-probe warnings ("Warning: … artificially
// reduced …", "While initializing adapter", a line shaped like a stack frame)
// straight to file descriptor 2, and the Node bindings have no switch for it.
// To keep standard error for our own messages, the command runs as a child of
// a small supervisor that passes its standard error through, minus those
// lines. Standard output is the child's own (the live bar, --json, EPIPE).
//
// The child is in a process group of its own, so a terminal's Ctrl-C reaches
// it once, forwarded by the supervisor, as does a SIGTERM sent to the
// supervisor. If the supervisor dies, the child stops as on SIGTERM (it saves).
import { spawn } from 'node:child_process';
import { writeTo } from './progress.js';

const CHILD = 'WEBGPU_TRAIN_CLI_CHILD';
/** WEBGPU_TRAIN_DAWN_LOG=1 shows Dawn's lines as they are. */
const SHOW_DAWN = 'WEBGPU_TRAIN_DAWN_LOG';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SIGNAL_NUMBER: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGSEGV: 11, SIGABRT: 6 };

/** A line Dawn wrote while probing adapters, not one of ours. */
export function isDawnLine(line: string): boolean {
  return /^Warning: /.test(line) || /^ - While initializing adapter/.test(line) || /^\s+at \w+ \(.*dawn.*:\d+\)$/.test(line);
}

/**
 * In the command's first process: runs it again as a supervised child and
 * returns true (this process then only relays). In the child, or with
 * WEBGPU_TRAIN_DAWN_LOG=1: returns false, and the caller runs the command.
 */
export function superviseDawnOutput(): boolean {
  if (process.env[CHILD]) {
    // The supervisor is gone (killed outright): stop as if asked to.
    process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    // The channel must not keep the command alive once its work is done.
    (process.channel as { unref?: () => void } | undefined)?.unref?.();
    return false;
  }
  if (process.env[SHOW_DAWN]) return false;
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, [CHILD]: '1' },
    detached: true,
  });
  for (const signal of SIGNALS) process.on(signal, () => child.kill(signal));
  let pending = '';
  // Dawn's blocks end with an empty line: dropped with the block.
  let inDawnBlock = false;
  const relay = (text: string) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop()!;
    const kept = lines.filter((line) => {
      if (isDawnLine(line)) return !(inDawnBlock = true);
      if (inDawnBlock && line.trim() === '') return false;
      inDawnBlock = false;
      return true;
    });
    if (kept.length > 0) writeTo(process.stderr, kept.map((l) => `${l}\n`).join(''));
  };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', relay);
  child.on('error', (e) => {
    writeTo(process.stderr, `webgpu-train: could not start: ${e.message}\n`);
    process.exitCode = 1;
  });
  child.on('close', (code, signal) => {
    if (pending) relay('\n');
    process.exitCode = code ?? 128 + (SIGNAL_NUMBER[signal ?? ''] ?? 1);
    // Nothing else to wait for: the signal handlers would keep the supervisor alive.
    process.disconnect?.();
    setImmediate(() => process.exit());
  });
  return true;
}
