// Small DOM helpers: every element the page needs is looked up once, by id,
// and a missing one fails loudly at start-up rather than silently later.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: the page has no element #${id}`);
  return el as T;
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

export const fmt = (v: number | undefined, digits = 4): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** Thousands separators for rates: 12,345. */
export const fmtRate = (v: number): string =>
  !Number.isFinite(v) ? '–' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3);

/**
 * Lets the browser paint and handle clicks before going on. A message to
 * ourselves rather than setTimeout(0), which browsers clamp to 4 ms once
 * timeouts nest.
 */
export function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
