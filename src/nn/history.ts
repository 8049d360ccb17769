/** What one epoch reports: the training loss and accuracy, and the validation ones when there is validation data. */
export interface EpochLogs {
  loss: number;
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
}

/**
 * Per-epoch metrics of a fit, under Keras's names: history.loss[e] is the mean
 * training loss of epoch e. A validation loss that rises while the training
 * loss still falls is the mark of overfitting.
 */
export class History {
  readonly epoch: number[] = [];
  readonly loss: number[] = [];
  accuracy?: number[];
  val_loss?: number[];
  val_accuracy?: number[];

  /** The same arrays keyed by name, as Keras's History.history. */
  get history(): Record<string, number[]> {
    const h: Record<string, number[]> = { loss: this.loss };
    for (const k of ['accuracy', 'val_loss', 'val_accuracy'] as const) {
      const v = this[k];
      if (v) h[k] = v;
    }
    return h;
  }

  record(epoch: number, logs: EpochLogs): void {
    this.epoch.push(epoch);
    this.loss.push(logs.loss);
    for (const k of ['accuracy', 'val_loss', 'val_accuracy'] as const) {
      const v = logs[k];
      if (v !== undefined) (this[k] ??= []).push(v);
    }
  }
}
