// Weight regularization (shaders/regularize.wgsl): the penalty
// l1·Σ|p| + l2·Σp², and its gradient l1·sign(p) + 2·l2·p added to g.

/** Adds the penalty's gradient to `grad` (when given); returns the penalty. */
export function regularize(param: Float32Array, grad: Float32Array | undefined, l1: number, l2: number): number {
  let penalty = 0;
  for (let i = 0; i < param.length; i++) {
    const p = param[i]!;
    penalty += l1 * Math.abs(p) + l2 * p * p;
    if (grad) grad[i]! += l1 * Math.sign(p) + 2 * l2 * p;
  }
  return penalty;
}
