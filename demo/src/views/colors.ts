// One diverging colour scale for every heatmap on the page: orange for class
// 0 (or a negative value), white for undecided (zero), blue for class 1 (positive).

const ORANGE = [245, 147, 34] as const;
const BLUE = [8, 119, 189] as const;
const WHITE = [255, 255, 255] as const;

/** RGB for t in [−1, 1]: −1 orange, 0 white, +1 blue. */
export function diverging(t: number): [number, number, number] {
  const c = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  const end = c < 0 ? ORANGE : BLUE;
  const a = Math.abs(c);
  return [0, 1, 2].map((k) => Math.round(WHITE[k]! + (end[k]! - WHITE[k]!) * a)) as [number, number, number];
}

export const CLASS_COLORS = ['#f59322', '#0877bd'] as const;

/** Paints a w×h field of values in [−1, 1] into a canvas of any size, smoothly scaled (or in hard blocks, for hard classes). */
export function paintField(canvas: HTMLCanvasElement, values: ArrayLike<number>, w: number, h: number, lighten = 0, smooth = true): void {
  const small = document.createElement('canvas');
  small.width = w;
  small.height = h;
  const sctx = small.getContext('2d')!;
  const img = sctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = diverging(values[i]!);
    // Lightened so the data points drawn over it stay readable.
    img.data[4 * i] = r + (255 - r) * lighten;
    img.data[4 * i + 1] = g + (255 - g) * lighten;
    img.data[4 * i + 2] = b + (255 - b) * lighten;
    img.data[4 * i + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = smooth;
  if (smooth) ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}
