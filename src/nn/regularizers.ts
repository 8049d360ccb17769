// Weight regularizers (Keras's L1, L2 and L1L2): a penalty on a parameter's
// size added to the loss, pulling weights toward zero — a guard against
// overfitting. Computed on the device inside the training step
// (shaders/regularize.wgsl): the gradient gets l1·sign(w) + 2·l2·w, and the
// reported loss includes l1·Σ|w| + l2·Σw², in validation and evaluate too.

export interface Regularizer {
  readonly kind: 'l1l2';
  readonly l1: number;
  readonly l2: number;
}

function make(where: string, l1: number, l2: number): Regularizer {
  for (const [name, v] of [['l1', l1], ['l2', l2]] as const) {
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new Error(`${where}: ${name} must be a number ≥ 0, got ${String(v)}`);
  }
  return { kind: 'l1l2', l1, l2 };
}

/** l1·Σ|w| (Keras default 0.01). */
export const l1 = (l1 = 0.01): Regularizer => make('l1', l1, 0);
/** l2·Σw² (Keras default 0.01). */
export const l2 = (l2 = 0.01): Regularizer => make('l2', 0, l2);
/** l1·Σ|w| + l2·Σw² (Keras defaults 0.01 each). */
export const l1l2 = (config: { l1?: number; l2?: number } = {}): Regularizer => make('l1l2', config.l1 ?? 0.01, config.l2 ?? 0.01);

export function checkRegularizer(where: string, r: unknown): Regularizer | undefined {
  if (r === undefined || r === null) return undefined;
  const o = r as Partial<Regularizer>;
  if (typeof r !== 'object' || o.kind !== 'l1l2') throw new Error(`${where}: a regularizer is l1(…), l2(…) or l1l2({ l1, l2 }), got ${JSON.stringify(r)}`);
  return make(where, o.l1 ?? 0, o.l2 ?? 0);
}

/** As Keras and TensorFlow.js write it in a model file. */
export function regularizerConfig(r: Regularizer | undefined): { class_name: string; config: { l1: number; l2: number } } | null {
  return r ? { class_name: 'L1L2', config: { l1: r.l1, l2: r.l2 } } : null;
}

/** From a model file: Keras's L1, L2 and L1L2 classes (TensorFlow.js writes L1L2). */
export function regularizerFromConfig(where: string, v: unknown): Regularizer | undefined {
  if (v === undefined || v === null) return undefined;
  const c = v as { class_name?: unknown; config?: { l1?: unknown; l2?: unknown } };
  const name = String(c.class_name ?? '').toLowerCase().replace('_', '');
  const cfg = c.config ?? {};
  const num = (x: unknown) => (x === undefined || x === null ? 0 : Number(x));
  if (name === 'l1l2') return make(where, num(cfg.l1), num(cfg.l2));
  if (name === 'l1') return make(where, num(cfg.l1), 0);
  if (name === 'l2') return make(where, 0, num(cfg.l2));
  throw new Error(`${where}: the regularizer ${JSON.stringify(c.class_name)} is not supported (L1, L2, L1L2 are)`);
}
