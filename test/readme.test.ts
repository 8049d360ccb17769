// Every code block of the README is checked, so the README cannot drift from
// the library:
// - ```ts and ```js blocks are type-checked (strict, as a user's project would
//   be) and run, each as a module of its own, with `from 'webgpu-train'`
//   pointing at the library's Node entry (src/node.ts: the source dist/ is
//   built from; the packed build is test/package.test.ts's business). They run
//   in a temporary working directory (the saving example writes there).
// - A block may rely on values the README cannot show in full, such as the
//   MNIST digits. An HTML comment right above its fence, invisible on the
//   rendered page, supplies them:
//       <!-- readme-test prelude (why):
//       import { tensor } from 'webgpu-train';
//       const images = …;
//       -->
//   The prelude's code runs before the block, in the same module; that is the
//   only adjustment there is. The CNN block trains on 8 made-up digits this
//   way (its 6 epochs of 8 samples take seconds; the real 98% run is
//   test/model/mnist-cnn.test.ts).
// - ```sh blocks cannot run in full (`npm run train` trains on MNIST for
//   minutes), so each command is checked for what can go stale: npm scripts
//   exist, packages named by `npm install` are ours, files run by `bash`
//   exist, and the command line's flags are accepted by its own parser.
// - Blocks without a language are program output, shown, not run.
// Blocks that need a WebGPU adapter are skipped without one, unless REQUIRE_GPU.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, trainConfig } from '../src/cli/options.js';
import { gpuRequired } from './helpers/required.js';

const root = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  scripts: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const work = mkdtempSync(join(tmpdir(), 'webgpu-train-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Block {
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  prelude: string;
}

function blocksOf(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) throw new Error(`README.md:${i + 1}: a code block that never closes`);
    let prelude = '';
    if (lines[i - 1] === '-->') {
      let start = i - 2;
      while (start >= 0 && !lines[start]!.startsWith('<!--')) start--;
      if (start < 0 || !lines[start]!.startsWith('<!-- readme-test prelude')) throw new Error(`README.md:${i + 1}: the comment above the block is not a readme-test prelude`);
      prelude = lines.slice(start + 1, i - 1).join('\n');
    }
    blocks.push({ lang: open[1]!, line: i + 1, code: lines.slice(i + 1, end).join('\n'), prelude });
    i = end;
  }
  return blocks;
}

const blocks = blocksOf(readme);
const code = blocks.filter((b) => b.lang === 'ts' || b.lang === 'js');
const shell = blocks.filter((b) => b.lang === 'sh');
const entry = join(root, 'src/node.js');

/** The module a block runs as: prelude, then the block, importing the library from the source. */
function moduleFile(b: Block): string {
  const source = `${b.prelude}\n${b.code}\nexport {};\n`.replaceAll(/from 'webgpu-train'/g, `from ${JSON.stringify(entry)}`);
  const file = join(work, `readme-line-${b.line}.${b.lang === 'js' ? 'mjs' : 'mts'}`);
  writeFileSync(file, source);
  return file;
}

describe('README code blocks', () => {
  it('has blocks of known kinds only', () => {
    const kinds = new Set(blocks.map((b) => b.lang));
    expect([...kinds].filter((k) => !['ts', 'js', 'sh', ''].includes(k))).toEqual([]);
    expect(code.length).toBeGreaterThanOrEqual(5);
  });

  it('type-checks every ts block', () => {
    const files = code.map(moduleFile);
    const program = ts.createProgram(files, {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      allowJs: true,
      checkJs: true,
      noEmit: true,
      skipLibCheck: true,
    });
    const blockOf = new Map(files.map((f, i) => [f, code[i]!]));
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && blockOf.has(d.file.fileName))
      .map((d) => {
        const b = blockOf.get(d.file!.fileName)!;
        // The module is the prelude's lines, then the block's: point at the README's line.
        const line = d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 - b.prelude.split('\n').length;
        const where = line > 0 ? `README.md:${b.line + line}` : `the prelude above README.md:${b.line}`;
        return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
      });
    expect(problems).toEqual([]);
  }, 60_000);

  for (const b of code) {
    const first = b.code.split('\n').find((l) => l.trim() && !l.startsWith('import')) ?? '';
    it(`runs the block at line ${b.line}: ${first.trim().slice(0, 60)}`, async (ctx) => {
      const file = moduleFile(b);
      const cwd = process.cwd();
      process.chdir(work);
      try {
        await import(file);
      } catch (e) {
        if ((e as Error).name === 'NoAdapterError' && !gpuRequired) ctx.skip(`no WebGPU adapter: ${(e as Error).message}`);
        throw e;
      } finally {
        process.chdir(cwd);
      }
    }, 120_000);
  }
});

describe('README shell blocks', () => {
  // The commands, split at && and without comments.
  const commands = shell.flatMap((b) =>
    b.code
      .split('\n')
      .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
      .filter(Boolean)
      .flatMap((l) => l.split('&&').map((c) => ({ line: b.line, words: c.trim().split(/\s+/) }))),
  );
  let benchOptions: ((argv: string[]) => unknown) | undefined;

  it('finds the commands', () => {
    expect(commands.length).toBeGreaterThan(10);
  });

  for (const { line, words } of commands) {
    it(`accepts \`${words.join(' ')}\` (block at line ${line})`, async () => {
      const [tool, sub, ...rest] = words;
      if (tool === 'npm' && (sub === 'ci' || sub === 'test')) {
        if (sub === 'test') expect(pkg.scripts.test).toBeDefined();
        expect(rest).toEqual([]);
      } else if (tool === 'npm' && sub === 'run') {
        const [script, dashes, ...args] = rest;
        expect(pkg.scripts[script!], `npm script '${script}'`).toBeDefined();
        if (dashes !== undefined) expect(dashes).toBe('--');
        if (script === 'train' || script === 'compare') {
          // The script runs `node dist/cli.js <script>` with the arguments after --.
          expect(pkg.scripts[script]).toContain(`dist/cli.js ${script}`);
          trainConfig(parseArgs([script, ...args]));
        } else {
          expect(args, `npm run ${script} takes no arguments in the README`).toEqual([]);
        }
      } else if (tool === 'npm' && sub === 'install') {
        const known = [pkg.name, ...Object.keys(pkg.peerDependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
        for (const name of rest) expect(known, `npm install ${name}`).toContain(name);
      } else if (tool === 'npx' && sub === 'webgpu-train') {
        trainConfig(parseArgs(rest));
      } else if (tool === 'bash' && sub === '.device/run.sh') {
        // Made by bench/pack-for-gpu.sh from bench/device-run.sh; its options are the benchmark's.
        expect(readFileSync(join(root, 'bench/pack-for-gpu.sh'), 'utf8')).toContain('bench/device-run.sh');
        benchOptions ??= ((await import(join(root, 'bench/options.mjs'))) as { parseOptions: (argv: string[]) => unknown }).parseOptions;
        benchOptions(rest);
      } else if (tool === 'bash') {
        expect(existsSync(join(root, sub!)), sub).toBe(true);
      } else {
        throw new Error(`README.md:${line}: no check for \`${words.join(' ')}\`; add one to test/readme.test.ts`);
      }
    });
  }
});
