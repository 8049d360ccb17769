// Feature inputs for the 2-D sets, as TensorFlow Playground offers them: the
// model sees chosen functions of a point (x₁, x₂) rather than the point
// itself. With x₁² and x₂² a single layer can draw a circle, which it cannot
// from x₁ and x₂ alone. The boundary view maps its grid through the same
// functions, so what it draws is what the model was trained on.

export const FEATURE_NAMES = ['x1', 'x2', 'x1sq', 'x2sq', 'x1x2', 'sinx1', 'sinx2'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export const DEFAULT_FEATURES: readonly FeatureName[] = ['x1', 'x2'];

export const FEATURES: Record<FeatureName, { label: string; of: (x1: number, x2: number) => number }> = {
  x1: { label: 'x₁', of: (a) => a },
  x2: { label: 'x₂', of: (_, b) => b },
  x1sq: { label: 'x₁²', of: (a) => a * a },
  x2sq: { label: 'x₂²', of: (_, b) => b * b },
  x1x2: { label: 'x₁x₂', of: (a, b) => a * b },
  sinx1: { label: 'sin x₁', of: (a) => Math.sin(a) },
  sinx2: { label: 'sin x₂', of: (_, b) => Math.sin(b) },
};

export const isFeatureName = (s: string): s is FeatureName => (FEATURE_NAMES as readonly string[]).includes(s);

/** The chosen features in the page's fixed order, whatever order they were given in, each once. */
export function orderedFeatures(chosen: Iterable<string>): FeatureName[] {
  const set = new Set(chosen);
  return FEATURE_NAMES.filter((f) => set.has(f));
}

/** Maps points [n × 2] (row-major) to model inputs [n × features.length]. */
export function mapFeatures(points: Float32Array, features: readonly FeatureName[]): Float32Array {
  if (features.length === 0) throw new Error('features: choose at least one input feature');
  const n = points.length / 2;
  const fns = features.map((f) => FEATURES[f].of);
  const out = new Float32Array(n * fns.length);
  for (let i = 0; i < n; i++) {
    const a = points[2 * i]!;
    const b = points[2 * i + 1]!;
    for (let j = 0; j < fns.length; j++) out[i * fns.length + j] = fns[j]!(a, b);
  }
  return out;
}
