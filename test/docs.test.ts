// The API reference is generated from the source by TypeDoc (`npm run docs`,
// typedoc.json). Built here so it cannot rot: typedoc.json treats every
// warning as an error, so a broken {@link}, or an exported function, class,
// method or accessor without a doc comment, fails this test. The main entry
// points must also keep an @example.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'webgpu-train-docs-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Comment {
  summary?: unknown[];
  blockTags?: { tag: string }[];
}
interface Reflection {
  name: string;
  kind: number;
  comment?: Comment;
  signatures?: { comment?: Comment }[];
  getSignature?: { comment?: Comment };
  children?: Reflection[];
}
// TypeDoc's ReflectionKind values.
const KIND = { Function: 64, Class: 128, Method: 2048, Accessor: 262144 } as const;

const ENTRY_POINTS = [
  'sequential',
  'dense',
  'conv2d',
  'maxPooling2d',
  'dropout',
  'getBackend',
  'tensor',
  'tidy',
  'earlyStopping',
  'sgd',
  'adam',
  'exponentialDecay',
  'loadModel',
  'Sequential.compile',
  'Sequential.fit',
  'Sequential.evaluate',
  'Sequential.predict',
  'Sequential.save',
];

it('builds the API reference with every exported function, class and method documented', () => {
  const json = join(out, 'api.json');
  let log = '';
  try {
    log = execFileSync('node', [join(root, 'node_modules/typedoc/bin/typedoc'), '--out', join(out, 'html'), '--json', json], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const { stdout, stderr } = e as { stdout: string; stderr: string };
    // The undocumented or broken items, one per line, as TypeDoc names them.
    throw new Error(`typedoc failed:\n${stdout}${stderr}`);
  }
  expect(log).not.toMatch(/warning/i);
  expect(existsSync(join(out, 'html/index.html'))).toBe(true);

  const project = JSON.parse(readFileSync(json, 'utf8')) as Reflection;
  const byName = new Map<string, Reflection>();
  const counts: Record<string, number> = { Function: 0, Class: 0, Method: 0, Accessor: 0 };
  const walk = (r: Reflection, prefix: string) => {
    for (const c of r.children ?? []) {
      const name = prefix + c.name;
      byName.set(name, c);
      for (const [kind, value] of Object.entries(KIND)) if (c.kind === value) counts[kind]!++;
      walk(c, `${name}.`);
    }
  };
  walk(project, '');
  console.log(`[webgpu-train] API reference: ${counts.Function} functions, ${counts.Class} classes, ${counts.Method} methods, ${counts.Accessor} accessors, each documented`);
  expect(counts.Function).toBeGreaterThan(20);

  const withoutExample = ENTRY_POINTS.filter((name) => {
    const r = byName.get(name);
    if (!r) return true;
    const comments = [r.comment, ...(r.signatures ?? []).map((s) => s.comment)];
    return !comments.some((c) => c?.blockTags?.some((t) => t.tag === '@example'));
  });
  expect(withoutExample, 'entry points without an @example').toEqual([]);
}, 120_000);
