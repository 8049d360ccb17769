// What a run collects: one row per measurement (engine → value, or why it was
// skipped), and the correctness checks made along the way. A row the PyTorch/JAX
// anchors measured too also gets `anchors: { values, skipped }` keyed by anchor id
// (bench/anchors/anchors.mjs): beside our engines, not among them, since they run
// in another process and the charts compare engines of this one.

export class Results {
  rows = [];
  checks = [];
  /** Where a training step's time goes: { workload, label, engine, profile } (engine.profile's StepProfile). */
  profiles = [];

  /**
   * @param {string} workload   the --only name it belongs to
   * @param {string} name       what the table shows
   * @param {string} unit
   * @param {'higher'|'lower'|'none'} better  which way is faster ('none': not a speed)
   * @param {object} params     the sizes, for charts
   */
  row(workload, name, unit, better, params = {}) {
    const row = { workload, name, unit, better, params, values: {}, skipped: {} };
    this.rows.push(row);
    return row;
  }

  check(workload, what, engine, ok, detail) {
    this.checks.push({ workload, what, engine, ok, detail });
  }

  get failed() {
    return this.checks.filter((c) => !c.ok);
  }
}
