// The demo page end to end, in real headless Chromium (see demo-page.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifacts, changedShare, setControl, snapshotBoundary, text, trainFromScratch, useDemoPage, waitForStatus } from './demo-page.js';

const { ready, open } = useDemoPage();

describe('demo page in headless Chromium', () => {
  it('shows the WebGPU adapter, trains spiral on it (loss falls, boundary changes) and on the CPU backend', async (ctx) => {
    const { page, errors } = await open(ready(ctx));

    const adapter = await text(page, 'adapter');
    console.log(`[webgpu-train] demo page adapter: ${adapter}`);
    expect(adapter).not.toBe('none');
    // Headless Chromium without a GPU offers SwiftShader; a machine with a GPU names its own.
    expect(adapter).toMatch(/swiftshader|llvmpipe|nvidia|amd|radeon|intel|apple|mali|adreno|geforce/i);
    expect(await page.isVisible('[data-testid=no-webgpu]')).toBe(false);
    // A software adapter starts the page on the CPU backend (see the test of the default below); WebGPU stays selectable.
    await setControl(page, 'backend', 'webgpu');
    await waitForStatus(page, 'ready', 30_000);

    // Spiral on WebGPU: the page's small default model (2 → 16 → 16 → 1, adam).
    await setControl(page, 'dataset', 'spiral');
    await waitForStatus(page, 'ready', 30_000);
    expect(await page.locator('[data-testid=backend]').inputValue()).toBe('webgpu');
    await snapshotBoundary(page, 'before');
    // The first WebGPU run on a fresh device says it is compiling shaders before its first epoch.
    await page.evaluate(() => {
      const w = window as unknown as { statuses: string[] };
      w.statuses = [];
      const status = document.querySelector('[data-testid=status]')!;
      new MutationObserver(() => w.statuses.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
    });
    const gpuLosses = await trainFromScratch(page, 15, 90_000);
    const statuses = await page.evaluate(() => (window as unknown as { statuses: string[] }).statuses);
    const compiling = statuses.findIndex((t) => t.startsWith('compiling shaders…'));
    expect(compiling).toBeGreaterThanOrEqual(0);
    expect(compiling).toBeLessThan(statuses.findIndex((t) => t.startsWith('training… epoch 1 of')));
    await snapshotBoundary(page, 'after');
    console.log(`[webgpu-train] spiral on WebGPU, displayed loss by epoch: ${gpuLosses.map(([e, l]) => `${e}:${l}`).join(' ')}`);
    const [first, last] = [gpuLosses[0]!, gpuLosses[gpuLosses.length - 1]!];
    expect(first[0]).toBeLessThan(last[0]);
    expect(last[0]).toBe(15);
    expect(last[1]).toBeLessThan(first[1] - 0.03);
    expect(Number(await text(page, 'accuracy'))).toBeGreaterThan(0.55);
    const changed = await changedShare(page, 'before', 'after');
    console.log(`[webgpu-train] boundary pixels changed by training: ${(changed * 100).toFixed(1)}%`);
    expect(changed).toBeGreaterThan(0.05);
    expect(Number((await text(page, 'epochs-per-s')).replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'demo-spiral-webgpu.png'), fullPage: true });

    // The same data on the CPU reference backend.
    await setControl(page, 'backend', 'cpu');
    await waitForStatus(page, 'ready', 30_000);
    expect(await text(page, 'backend-name')).toBe('CPU');
    const cpuLosses = await trainFromScratch(page, 15, 60_000);
    const [cFirst, cLast] = [cpuLosses[0]!, cpuLosses[cpuLosses.length - 1]!];
    expect(cLast[1]).toBeLessThan(cFirst[1] - 0.03);
    // Same seed, same math: the two backends end at nearly the same loss.
    expect(Math.abs(cLast[1] - last[1])).toBeLessThan(0.02);
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
    await page.screenshot({ path: join(artifacts, 'demo-spiral-cpu.png'), fullPage: true });

    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('trains a CNN on the MNIST digits: its filters, the feature maps of a drawn digit, its answer', async (ctx) => {
    const { page, errors } = await open(ready(ctx));
    await setControl(page, 'dataset', 'mnist');
    await waitForStatus(page, 'ready', 60_000);
    await setControl(page, 'backend', 'webgpu');
    await waitForStatus(page, 'ready', 30_000);
    await setControl(page, 'architecture', 'cnn');
    await waitForStatus(page, 'ready', 30_000);
    expect(await page.locator('[data-testid=layers]').inputValue()).toBe('conv8x3,maxpool2,conv16x3,maxpool2,flatten,32');
    expect(await page.textContent('#model-hint')).toContain('28×28×1 → conv 8 3×3 relu → maxpool 2×2 → conv 16 3×3 relu → maxpool 2×2 → flatten → 32 relu → 10 softmax');
    // 1,000 of the training digits keep an epoch short on a software adapter.
    await page.evaluate(() => {
      const size = document.querySelector<HTMLInputElement>('[data-testid=train-size]')!;
      size.value = '1000';
      size.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitForStatus(page, 'ready', 30_000);
    const started = Date.now();
    // How late a 50 ms timer in the page comes while WebGPU trains: the page must stay usable.
    await page.evaluate(() => {
      const w = window as unknown as { lag: { max: number; ticks: number } };
      w.lag = { max: 0, ticks: 0 };
      let last = performance.now();
      setInterval(() => {
        const now = performance.now();
        w.lag.max = Math.max(w.lag.max, now - last - 50);
        w.lag.ticks++;
        last = now;
      }, 50);
    });
    const cnnLosses = await trainFromScratch(page, 2, 240_000);
    const seconds = (Date.now() - started) / 1000;
    const lag = await page.evaluate(() => (window as unknown as { lag: { max: number; ticks: number } }).lag);
    console.log(`[webgpu-train] demo responsiveness while the CNN trains on WebGPU: max event-loop delay ${lag.max.toFixed(0)} ms over ${lag.ticks} ticks of a 50 ms timer`);
    expect(lag.max).toBeLessThan(500);
    console.log(`[webgpu-train] MNIST CNN on WebGPU in Chromium (1,000 digits, 2 epochs, ${seconds.toFixed(0)} s): loss by epoch ${cnnLosses.map(([e, l]) => `${e}:${l}`).join(' ')}, accuracy ${await text(page, 'accuracy')}`);
    expect(cnnLosses[cnnLosses.length - 1]![1]).toBeLessThan(cnnLosses[0]![1]);
    expect(Number(await text(page, 'accuracy'))).toBeGreaterThan(0.5);
    // The first layer is a convolution: its eight 3×3 filters, and the feature maps of both convolutions.
    expect(await page.textContent('#first-layer-title')).toBe('What the first-layer filters look for');
    expect(await page.locator('[data-testid=weight-images] canvas').count()).toBe(8);
    expect(await page.locator('[data-testid=feature-maps] .maps').count()).toBe(2);
    expect(await page.locator('[data-testid=feature-maps] canvas').count()).toBe(8 + 16);
    expect(await page.textContent('#maps-source')).toBe('the first held-out digit');
    // Draw a "1": the maps and the ten probabilities follow the drawing.
    await page.locator('[data-testid=draw]').scrollIntoViewIfNeeded();
    const pad = (await page.locator('[data-testid=draw]').boundingBox())!;
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * (0.15 + 0.07 * i));
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelector('#maps-source')!.textContent === 'your drawing', undefined, { timeout: 30_000 });
    const probs = await page.locator('[data-testid=probs] .pct').allTextContents();
    expect(probs).toHaveLength(10);
    const total = probs.reduce((sum, p) => sum + Number(p.replace('%', '')), 0);
    expect(Math.abs(total - 100)).toBeLessThan(1);
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'demo-mnist-cnn-webgpu.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 360_000);

  it('without WebGPU, says so and still trains on the CPU backend', async (ctx) => {
    // A browser without navigator.gpu, as most browsers without WebGPU look.
    const { page, errors } = await open(ready(ctx), () => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
    expect(await text(page, 'adapter')).toBe('none');
    expect(await page.isVisible('[data-testid=no-webgpu]')).toBe(true);
    expect(await text(page, 'no-webgpu')).toMatch(/no WebGPU/);
    // What a GPU would add, in the project's measured figures rather than "slower".
    expect(await text(page, 'no-webgpu')).toMatch(/306,843 samples\/s.*11,478 samples\/s.*27×/);
    expect(await text(page, 'no-webgpu')).not.toContain('only slower');
    expect(await page.locator('[data-testid=backend]').inputValue()).toBe('cpu');
    const cpuLosses = await trainFromScratch(page, 10, 30_000);
    expect(cpuLosses[cpuLosses.length - 1]![1]).toBeLessThan(cpuLosses[0]![1]);
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('starts on the faster backend and says why, naming the adapter: compare measures both, and the default is the faster one', async (ctx) => {
    const { page, errors } = await open(ready(ctx));
    const adapter = await text(page, 'adapter');
    const chosen = await page.locator('[data-testid=backend]').inputValue();
    const reason = await text(page, 'backend-reason');
    console.log(`[webgpu-train] demo default backend on ${adapter}: ${chosen}; reason shown: "${reason}"`);
    expect(reason).toContain(adapter);
    const software = /swiftshader|llvmpipe|lavapipe|softpipe/i.test(adapter);
    expect(chosen).toBe(software ? 'cpu' : 'webgpu');
    // WebGPU stays selectable.
    expect(await page.locator('[data-testid=backend] option[value=webgpu]').isDisabled()).toBe(false);

    // The page's own measurement: spiral, 300 samples, 10 epochs on each backend.
    await setControl(page, 'epochs', '10');
    await page.click('[data-testid=compare]');
    await page.waitForSelector('[data-testid=compare-ratio]', { timeout: 120_000 });
    await waitForStatus(page, 'ready', 30_000);
    const ratio = Number((await text(page, 'compare-ratio')).replace('×', ''));
    const rows = await page.locator('[data-testid=compare-result] td').allTextContents();
    console.log(`[webgpu-train] demo compare on spiral (300 samples, epochs/s): CPU ${rows[1]}, WebGPU ${rows[5]}; WebGPU ÷ CPU ${ratio.toFixed(3)} (CPU ${(1 / ratio).toFixed(1)}× faster); default was ${chosen}`);
    expect(ratio).toBeGreaterThan(0);
    expect(chosen).toBe(ratio >= 1 ? 'webgpu' : 'cpu');
    // The reason now quotes the measurement, also after a reload (kept in localStorage).
    expect(await text(page, 'backend-reason')).toMatch(/measured here by "compare" \(spiral, 300 samples/);
    if (ratio < 1) expect(await text(page, 'compare-result')).toContain('Try the MNIST digits');
    await page.reload();
    await waitForStatus(page, 'ready', 60_000);
    expect(await text(page, 'backend-reason')).toMatch(/Last measured here by "compare" \(spiral/);

    // On the digits the advice is not "try MNIST".
    await setControl(page, 'dataset', 'mnist');
    await waitForStatus(page, 'ready', 60_000);
    await page.evaluate(() => {
      const size = document.querySelector<HTMLInputElement>('[data-testid=train-size]')!;
      size.value = '200';
      size.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitForStatus(page, 'ready', 30_000);
    await page.click('[data-testid=compare]');
    await page.waitForSelector('[data-testid=compare-ratio]', { timeout: 120_000 });
    await waitForStatus(page, 'ready', 30_000);
    const verdict = await page.locator('[data-testid=compare-result] p').first().textContent();
    console.log(`[webgpu-train] demo compare on MNIST (200 digits): ${verdict}`);
    expect(verdict).not.toContain('MNIST');
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('stays responsive while an MNIST epoch trains on the CPU backend: event-loop delay bounded, pause stops at the next epoch', async (ctx) => {
    const { page, errors } = await open(ready(ctx));
    await setControl(page, 'backend', 'cpu');
    await waitForStatus(page, 'ready', 30_000);
    await setControl(page, 'dataset', 'mnist');
    await waitForStatus(page, 'ready', 60_000);
    await page.evaluate(() => {
      const size = document.querySelector<HTMLInputElement>('[data-testid=train-size]')!;
      size.value = '3000';
      size.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitForStatus(page, 'ready', 30_000);
    await setControl(page, 'epochs', '6');
    // A 50 ms timer in the page: how late each tick comes is how long the page could not react.
    await page.evaluate(() => {
      const w = window as unknown as { lag: { max: number; ticks: number; stop(): void }; epochStarts: number[] };
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        w.lag.max = Math.max(w.lag.max, now - last - 50);
        w.lag.ticks++;
        last = now;
      }, 50);
      w.lag = { max: 0, ticks: 0, stop: () => clearInterval(timer) };
      // When each epoch ends (the epoch counter changes), to size an epoch.
      w.epochStarts = [performance.now()];
      new MutationObserver(() => w.epochStarts.push(performance.now())).observe(document.querySelector('[data-testid=epoch]')!, { childList: true, characterData: true, subtree: true });
    });
    await page.click('[data-testid=train]');
    // Well inside epoch 2: pause then, and it takes effect when that epoch ends.
    await page.waitForFunction(() => /^training… epoch 2 of 6: [1-5]\d%/.test(document.querySelector('[data-testid=status]')!.textContent ?? ''), undefined, { timeout: 60_000, polling: 20 });
    const { clickToHandler, during } = await page.evaluate(
      () =>
        new Promise<{ clickToHandler: number; during: string }>((resolve) => {
          // A click queued like a visitor's, timed from the moment it is queued to its handler.
          const pause = document.querySelector<HTMLButtonElement>('[data-testid=pause]')!;
          const queued = performance.now();
          pause.addEventListener('click', () => resolve({ clickToHandler: performance.now() - queued, during: document.querySelector('[data-testid=status]')!.textContent ?? '' }), { once: true });
          setTimeout(() => pause.click(), 0);
        }),
    );
    // The epoch the click landed in is the last one trained.
    const pausedIn = Number(/epoch (\d+) of/.exec(during)?.[1]);
    expect(pausedIn).toBeGreaterThanOrEqual(2);
    expect(pausedIn).toBeLessThan(6);
    await waitForStatus(page, 'paused', 60_000);
    const lag = await page.evaluate(() => {
      const w = window as unknown as { lag: { max: number; ticks: number; stop(): void }; epochStarts: number[] };
      w.lag.stop();
      const e = w.epochStarts;
      return { max: w.lag.max, ticks: w.lag.ticks, epochMs: e.length > 1 ? (e[e.length - 1]! - e[0]!) / (e.length - 1) : NaN };
    });
    const epoch = await text(page, 'epoch');
    console.log(
      `[webgpu-train] demo responsiveness, MNIST 3,000 digits on the CPU backend: max event-loop delay ${lag.max.toFixed(0)} ms over ${lag.ticks} ticks of a 50 ms timer; click to handler ${clickToHandler.toFixed(1)} ms; an epoch ≈ ${lag.epochMs.toFixed(0)} ms; pause clicked during "${during}", paused after epoch ${epoch}`,
    );
    expect(lag.max).toBeLessThan(500);
    expect(clickToHandler).toBeLessThan(500);
    expect(epoch).toBe(String(pausedIn));
    expect(await text(page, 'status')).toBe(`paused after epoch ${pausedIn}`);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('small things: "+1 epoch" says where it stopped, a rebuild says why, the loss names fit, no console warnings', async (ctx) => {
    const { page, errors, warnings } = await open(ready(ctx));
    // The longest loss name fits its select (text width against the select's inner width less the arrow).
    const fit = await page.evaluate(() => {
      const select = document.querySelector<HTMLSelectElement>('[data-testid=loss-fn]')!;
      const cs = getComputedStyle(select);
      const ctx2d = document.createElement('canvas').getContext('2d')!;
      ctx2d.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const widest = Math.max(...Array.from(select.options).map((o) => ctx2d.measureText(o.text).width));
      return { widest, room: select.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20 };
    });
    console.log(`[webgpu-train] demo loss select: widest name ${fit.widest.toFixed(0)} px, room ${fit.room.toFixed(0)} px`);
    expect(fit.widest).toBeLessThanOrEqual(fit.room);

    await setControl(page, 'backend', 'cpu');
    await waitForStatus(page, 'ready', 30_000);
    await page.click('[data-testid=step]');
    await waitForStatus(page, 'paused', 30_000);
    expect(await text(page, 'status')).toBe('paused after epoch 1');
    await page.click('[data-testid=step]');
    await page.waitForFunction(() => document.querySelector('[data-testid=epoch]')!.textContent === '2');
    await waitForStatus(page, 'paused', 30_000);
    expect(await text(page, 'status')).toBe('paused after epoch 2');
    await setControl(page, 'epochs', '4');
    await page.click('[data-testid=train]');
    await waitForStatus(page, 'done', 30_000);
    expect(await text(page, 'status')).toBe('done (epoch 4)');

    // Any control but epochs builds a new model, and the status says which one did it.
    await setControl(page, 'activation', 'tanh');
    await page.waitForFunction(() => (document.querySelector('[data-testid=status]')!.textContent ?? '').startsWith('ready — new model'), undefined, { timeout: 30_000 });
    expect(await text(page, 'status')).toBe('ready — new model: weights reset because activation changed');
    expect(await text(page, 'epoch')).toBe('0');
    await setControl(page, 'lr', '0.03');
    await page.waitForFunction(() => (document.querySelector('[data-testid=status]')!.textContent ?? '').startsWith('ready — new model'), undefined, { timeout: 30_000 });
    expect(await text(page, 'status')).toBe('ready — new model: weights reset because learning rate changed');

    // The drawing pad reads its pixels back on every stroke: no Canvas2D readback warning.
    await setControl(page, 'dataset', 'mnist');
    await waitForStatus(page, 'ready', 60_000);
    await page.locator('[data-testid=draw]').scrollIntoViewIfNeeded();
    const pad = (await page.locator('[data-testid=draw]').boundingBox())!;
    for (const x of [0.3, 0.5, 0.7]) {
      await page.mouse.move(pad.x + pad.width * x, pad.y + pad.height * 0.2);
      await page.mouse.down();
      for (let i = 1; i <= 5; i++) await page.mouse.move(pad.x + pad.width * x, pad.y + pad.height * (0.2 + 0.12 * i));
      await page.mouse.up();
    }
    await expect.poll(() => page.locator('[data-testid=probs] .pct').count(), { timeout: 10_000 }).toBe(10);
    console.log(`[webgpu-train] demo console warnings: ${warnings.length === 0 ? 'none' : warnings.join(' | ')}`);
    expect(warnings).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('on a hardware adapter WebGPU is the default, and the notice says so', async (ctx) => {
    // The adapter's info as a hardware GPU reports it (the WGSL still runs on SwiftShader underneath).
    const { page, errors } = await open(ready(ctx), () => {
      const info = GPUAdapterInfo.prototype;
      Object.defineProperty(info, 'isFallbackAdapter', { get: () => false });
      Object.defineProperty(info, 'vendor', { get: () => 'examplevendor' });
      Object.defineProperty(info, 'architecture', { get: () => 'examplegpu' });
      Object.defineProperty(info, 'device', { get: () => '' });
      Object.defineProperty(info, 'description', { get: () => '' });
    });
    const adapter = await text(page, 'adapter');
    const reason = await text(page, 'backend-reason');
    console.log(`[webgpu-train] demo on an adapter that reports hardware (${adapter}): default ${await page.locator('[data-testid=backend]').inputValue()}; "${reason}"`);
    expect(adapter).toContain('examplegpu');
    expect(await page.locator('[data-testid=backend]').inputValue()).toBe('webgpu');
    expect(reason).toMatch(/^WebGPU is the default: examplegpu.* is a hardware GPU/);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
