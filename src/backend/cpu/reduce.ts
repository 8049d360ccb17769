/** out[c] = scale · Σᵣ x[r, c]: the bias gradient over a batch, and loss totals. */
export function columnSums(x: Float32Array, rows: number, cols: number, scale = 1): Float32Array {
  const sums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) sums[c]! += x[r * cols + c]!;
  }
  return Float32Array.from(sums, (s) => s * scale);
}
