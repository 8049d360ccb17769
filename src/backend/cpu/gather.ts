/**
 * out[r, :] = src[indices[cursor + r], :] for r in [0, rows); rows past the
 * end of indices, and indices naming no row of src, read 0.
 */
export function gatherRows(src: Float32Array, indices: Float32Array, cursor: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const srcRows = cols > 0 ? src.length / cols : 0;
  for (let r = 0; r < rows; r++) {
    const pos = cursor + r;
    if (pos >= indices.length) continue;
    const row = indices[pos]!;
    if (!(row >= 0 && row < srcRows)) continue;
    const from = Math.trunc(row) * cols;
    out.set(src.subarray(from, from + cols), r * cols);
  }
  return out;
}

/** Moves the batch cursor on by one batch. */
export function advanceCursor(cursor: Float32Array, rows: number): void {
  cursor[0]! += rows;
}
