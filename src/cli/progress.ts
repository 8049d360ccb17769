// What the command line shows while training. On a terminal: a live bar per
// epoch (cli-progress) and a summary line when it ends. Piped: the summary
// lines only. With --json: one JSON object per epoch on stdout, and the human
// lines on stderr so they never mix with the data.
import cliProgress from 'cli-progress';
import type { EpochLogs } from '../nn/history.js';

export interface EpochReport extends EpochLogs {
  epoch: number;
  epochs: number;
  seconds: number;
  samplesPerSecond: number;
}

const fmt = (v: number | undefined, digits = 4) => (v === undefined ? '–' : v.toFixed(digits));

/** Writes unless the stream is closed (a reader that went away, as `| head -1` does): then nothing, never an error. */
export function writeTo(stream: NodeJS.WritableStream, text: string): void {
  const s = stream as NodeJS.WriteStream;
  if (s.destroyed || s.writableEnded || !s.writable) return;
  s.write(text);
}

/** "samplesPerSecond" → "samples_per_second": --json speaks Keras's log style (val_loss) throughout. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/-/g, '_');
}

/** A value with every object key in snake_case, at every depth. */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snakeCase(k), snakeKeys(v)]));
}

export class Reporter {
  private bar: cliProgress.SingleBar | undefined;
  private readonly live: boolean;
  /** Whether accuracy means anything (not for regression): the live bar shows it only then. */
  showAccuracy = true;

  constructor(
    private readonly json: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {
    this.live = !json && !!out.isTTY;
  }

  /** A line for people. */
  info(line: string): void {
    writeTo(this.json ? this.err : this.out, `${line}\n`);
  }

  /** How often (in batches) the live bar wants an update: about 25 per epoch, none when piped. */
  batchEvery(batches: number): number | undefined {
    return this.live ? Math.max(1, Math.ceil(batches / 25)) : undefined;
  }

  epochStart(epoch: number, epochs: number, batches: number): void {
    if (!this.live || this.out.destroyed) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} batches · loss {loss}${this.showAccuracy ? ' · acc {acc}' : ''} · {speed} samples/s · ETA {eta_formatted}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        stream: this.out,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(batches, 0, { loss: '–', acc: '–', speed: '–' });
  }

  batch(done: number, loss: number, accuracy: number | undefined, samplesPerSecond: number): void {
    this.bar?.update(done, { loss: fmt(loss), acc: fmt(accuracy), speed: Math.round(samplesPerSecond).toLocaleString('en-US') });
  }

  epochEnd(r: EpochReport): void {
    this.bar?.stop();
    this.bar = undefined;
    if (this.json) {
      const { epoch, ...rest } = r;
      writeTo(this.out, `${JSON.stringify(snakeKeys({ epoch: epoch + 1, ...rest }))}\n`);
      return;
    }
    const parts = [`epoch ${String(r.epoch + 1).padStart(String(r.epochs).length)}/${r.epochs}`, `loss ${fmt(r.loss)}`];
    if (r.accuracy !== undefined) parts.push(`acc ${fmt(r.accuracy)}`);
    if (r.val_loss !== undefined) parts.push(`val_loss ${fmt(r.val_loss)}`);
    if (r.val_accuracy !== undefined) parts.push(`val_acc ${fmt(r.val_accuracy)}`);
    parts.push(`${r.seconds.toFixed(1)} s`, `${Math.round(r.samplesPerSecond).toLocaleString('en-US')} samples/s`);
    this.info(parts.join(' · '));
  }

  /** Stops a live bar (on an error or an interrupt) so the terminal is left clean. */
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** The run's closing figures: a JSON object with --json, lines otherwise. */
  summary(fields: Record<string, unknown>, lines: string[]): void {
    if (this.json) writeTo(this.out, `${JSON.stringify(snakeKeys({ summary: fields }))}\n`);
    for (const l of lines) this.info(l);
  }
}
