/**
 * What one epoch reports: the training loss and accuracy, the validation ones
 * when there is validation data, and every other metric compile was given,
 * under the name it was given (mse, mae, precision, recall; val_ before it
 * for validation).
 */
export interface EpochLogs {
  loss: number;
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
  [metric: string]: number | undefined;
}

/**
 * Per-epoch metrics of a fit, under Keras's names: history.loss[e] is the mean
 * training loss of epoch e. A validation loss that rises while the training
 * loss still falls is the mark of overfitting.
 */
export class History {
  /** The accuracy metric's name as compile was given it: 'accuracy', or Keras's 'acc'. */
  constructor(readonly accuracyName: 'accuracy' | 'acc' = 'accuracy') {}

  readonly epoch: number[] = [];
  readonly loss: number[] = [];
  accuracy?: number[];
  val_loss?: number[];
  val_accuracy?: number[];

  /** Other metrics, by the name compile was given (val_ before it for validation). */
  readonly metrics: Record<string, number[]> = {};

  /** The same arrays keyed by name, as Keras's History.history (accuracy under the metric's name: 'acc' gives acc and val_acc). */
  get history(): Record<string, number[]> {
    const h: Record<string, number[]> = { loss: this.loss };
    const name = (k: string) => (this.accuracyName === 'acc' ? k.replace('accuracy', 'acc') : k);
    for (const k of ['accuracy', 'val_loss', 'val_accuracy'] as const) {
      const v = this[k];
      if (v) h[name(k)] = v;
    }
    return { ...h, ...this.metrics };
  }

  /** Appends one epoch's logs (fit calls it; a custom training loop may too). */
  record(epoch: number, logs: EpochLogs): void {
    this.epoch.push(epoch);
    this.loss.push(logs.loss);
    for (const k of ['accuracy', 'val_loss', 'val_accuracy'] as const) {
      const v = logs[k];
      if (v !== undefined) (this[k] ??= []).push(v);
    }
    for (const [k, v] of Object.entries(logs)) {
      if (v === undefined || ['loss', 'accuracy', 'val_loss', 'val_accuracy'].includes(k)) continue;
      (this.metrics[k] ??= []).push(v);
    }
  }
}
